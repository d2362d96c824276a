# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Declarative sponsors of a connected organization: plan, then apply.

For use by this collection only; not a public API.

Graph only offers "add one sponsor" (``POST …/internalSponsors/$ref``) and "remove one
sponsor" (``DELETE …/internalSponsors/{id}/$ref``). ``plan_changes`` compares the current
sponsors with the requested ones by object id; ``apply_plan`` sends only the writes
that the plan lists.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.entra.governance.plugins.module_utils.directory import COLLECTIONS, ORGANIZATION_PATH
from ansible_collections.entra.governance.plugins.module_utils.errors import (
    GraphError,
    InvalidInputError,
    PartialChangeError,
)

SPONSOR_TYPES = ("internal", "external")


class SponsorPlan(object):
    """The sponsors a task adds and removes, and the sponsor list it leaves behind."""

    def __init__(self, before, to_add, to_remove):
        self.before = sorted(before, key=_sort_key)
        self.to_add = sorted(to_add, key=_sort_key)
        self.to_remove = sorted(to_remove, key=_sort_key)
        removed_ids = set(sponsor.id for sponsor in to_remove)
        kept = [sponsor for sponsor in before if sponsor.id not in removed_ids]
        self.after = sorted(kept + list(to_add), key=_sort_key)

    @property
    def changes(self):
        return bool(self.to_add or self.to_remove)


def _sort_key(sponsor):
    return sponsor.sort_key()


def plan_changes(current, requested, state, exclusive=False, allow_no_sponsors=False):
    """Compute the writes that bring ``current`` sponsors to the requested state.

    ``current`` is a list of DirectoryObjects; ``requested`` maps object ids (lower case)
    to DirectoryObjects. With ``state='present'`` the missing requested objects are added;
    with ``exclusive`` every other current sponsor is removed as well. With
    ``state='absent'`` the requested objects that are sponsors are removed. Nothing else
    is ever removed.

    Raises InvalidInputError when ``exclusive`` would leave the list empty and
    ``allow_no_sponsors`` is false.
    """
    if state not in ("present", "absent"):
        raise InvalidInputError("Invalid state '%s': expected present or absent." % state)
    if exclusive and state != "present":
        raise InvalidInputError("Invalid combination: exclusive=true works only with state=present; with "
                                "state=absent list the sponsors to remove.")

    current_by_id = dict((sponsor.id, sponsor) for sponsor in current)
    requested_ids = set(requested)
    current_ids = set(current_by_id)

    if state == "present":
        to_add = [requested[object_id] for object_id in requested_ids - current_ids]
        to_remove = [current_by_id[object_id] for object_id in current_ids - requested_ids] if exclusive else []
    else:
        to_add = []
        to_remove = [current_by_id[object_id] for object_id in requested_ids & current_ids]

    plan = SponsorPlan(current, to_add, to_remove)
    if exclusive and not plan.after and plan.before and not allow_no_sponsors:
        raise InvalidInputError(
            "Refusing to remove all %d sponsors: exclusive=true with no users or groups would leave the connected "
            "organization without sponsors of this type. Set allow_no_sponsors=true if that is intended."
            % len(plan.before))
    return plan


def _sponsor_collection_url(client, organization_id, sponsor_type):
    return client.url(*(ORGANIZATION_PATH + (organization_id, "%sSponsors" % sponsor_type)))


def _member_url(client, organization_id, sponsor_type, object_id):
    return client.url(*(ORGANIZATION_PATH + (organization_id, "%sSponsors" % sponsor_type, object_id)))


def _already_there(error):
    # Graph rejects an add of an existing reference with 400 "One or more added object
    # references already exist ...". 409 Conflict is accepted too.
    if error.status == 409:
        return True
    return error.status == 400 and "already exist" in (error.message or "").lower()


def _already_gone(error):
    # Graph rejects a remove of a missing reference with 404, or with 400 "One or more
    # removed object references do not exist ...".
    if error.status == 404:
        return True
    message = (error.message or "").lower()
    return error.status == 400 and ("do not exist" in message or "does not exist" in message)


def apply_plan(client, organization, sponsor_type, plan):
    """Send the plan's writes: additions first, so the list is never emptier than needed.

    Returns ``(added, removed)``, the object ids Graph changed. A sponsor that someone
    else added or removed in the meantime is skipped: not a failure, not a change. When
    Graph reports that on a retry after 503 or 504, the write is counted as done, because
    the earlier attempt may have taken effect. Any
    other failure raises PartialChangeError carrying what was already changed.
    """
    collection_url = _sponsor_collection_url(client, organization["id"], sponsor_type)
    added = []
    removed = []
    for sponsor in plan.to_add:
        operation = "add %s as %s sponsor of connected organization '%s'" % (
            sponsor.label(), sponsor_type, organization["display_name"])
        body = {"@odata.id": client.endpoints.object_reference(COLLECTIONS[sponsor.type], sponsor.id)}
        try:
            client.post_json(collection_url + "/$ref", operation, body)
        except GraphError as error:
            if not _already_there(error):
                raise PartialChangeError(error, added, removed)
            if not client.last_request_ambiguous:
                client.log("Skipped: %s was already among the %s sponsors (HTTP %s)."
                           % (sponsor.id, sponsor_type, error.status))
                continue
            # An earlier attempt got 503 or 504 and may have added the sponsor after all.
            client.log("Counted as added: %s was among the %s sponsors when a retried add reached Graph."
                       % (sponsor.id, sponsor_type))
        added.append(sponsor.id)

    for sponsor in plan.to_remove:
        operation = "remove %s as %s sponsor of connected organization '%s'" % (
            sponsor.label(), sponsor_type, organization["display_name"])
        try:
            client.delete(_member_url(client, organization["id"], sponsor_type, sponsor.id) + "/$ref", operation)
        except GraphError as error:
            if not _already_gone(error):
                raise PartialChangeError(error, added, removed)
            if not client.last_request_ambiguous:
                client.log("Skipped: %s was no longer among the %s sponsors (HTTP %s)."
                           % (sponsor.id, sponsor_type, error.status))
                continue
            client.log("Counted as removed: %s was gone from the %s sponsors when a retried remove reached Graph."
                       % (sponsor.id, sponsor_type))
        removed.append(sponsor.id)
    return added, removed


def diff_text(sponsors):
    """Render a sponsor list for ``--diff``: one sorted line per sponsor."""
    return "".join("%s\n" % sponsor.label() for sponsor in sponsors)
