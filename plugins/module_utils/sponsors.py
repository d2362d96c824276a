# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Declarative sponsors of a connected organization: plan, then apply.

For use by this collection only; not a public API.

Graph only offers "add one sponsor" (``POST …/internalSponsors/$ref``) and "remove one
sponsor" (``DELETE …/internalSponsors/{id}/$ref``). ``plan_changes`` compares the current
sponsors with the requested ones by object id. ``apply_plan`` then sends only the writes
that the plan lists, up to 20 in one JSON batch.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.entra.governance.plugins.module_utils.batch import MAX_BATCH_REQUESTS, SubRequest, send_batch
from ansible_collections.entra.governance.plugins.module_utils.directory import COLLECTIONS, ORGANIZATION_PATH
from ansible_collections.entra.governance.plugins.module_utils.errors import (
    GraphError,
    InvalidInputError,
    PartialChangeError,
)
from ansible_collections.entra.governance.plugins.module_utils.graph import path_segment

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
        raise InvalidInputError(
            "Invalid combination: exclusive=true works only with state=present; with "
            "state=absent list the sponsors to remove."
        )

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
            % len(plan.before)
        )
    return plan


def relies_on_absence(current, requested, exclusive=False):
    """Tell whether a plan would act on a sponsor being absent from ``current``.

    That is so with ``exclusive``, where a sponsor missing from the listing would not be
    removed. It is also so whenever a requested object is not in ``current``. With state
    present the plan then adds it, which check mode reports as a change, and Graph may
    accept the addition without an error when the sponsor is there after all. With state
    absent the plan leaves it in place.
    """
    if exclusive:
        return True
    current_ids = set(sponsor.id for sponsor in current)
    return any(object_id not in current_ids for object_id in requested)


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
    """Send the plan's writes in JSON batches: additions first, so the list is never emptier than needed.

    Returns ``(added, removed)``, the object ids Graph changed. A sponsor that someone
    else added or removed in the meantime is skipped: not a failure, not a change. When
    Graph reports that on a retry after 503 or 504, the write is counted as done, because
    the earlier attempt may have taken effect. Additions and removals go in separate
    batches of at most 20. Graph runs every write of a batch even when one fails. After a
    batch with a failed write no later batch is sent, and SponsorWriteError reports what
    was changed, what failed and what was not attempted.
    """
    added = []
    removed = []
    steps = [(sponsor, "add") for sponsor in plan.to_add] + [(sponsor, "remove") for sponsor in plan.to_remove]
    for start, end in _batch_bounds(len(plan.to_add), len(plan.to_remove)):
        chunk = steps[start:end]
        sub_requests = [_write_request(client, organization, sponsor_type, sponsor, kind) for sponsor, kind in chunk]
        try:
            answers = send_batch(
                client,
                sub_requests,
                "change the %s sponsors of connected organization '%s'" % (sponsor_type, organization["display_name"]),
            )
        except GraphError as error:
            not_attempted = [sponsor.id for sponsor, _kind in steps[start:]]
            raise SponsorWriteError([], error, added, removed, not_attempted)

        failures = []
        for (sponsor, kind), sub_request, answer in zip(chunk, sub_requests, answers):
            outcome = _write_outcome(client, sponsor, sponsor_type, kind, sub_request, answer)
            if isinstance(outcome, GraphError):
                failures.append((sponsor, outcome))
            elif outcome:
                (added if kind == "add" else removed).append(sponsor.id)
        if failures:
            not_attempted = [sponsor.id for sponsor, _kind in steps[end:]]
            raise SponsorWriteError(failures, failures[0][1], added, removed, not_attempted)
    return added, removed


def _batch_bounds(add_count, remove_count):
    """Return ``(start, end)`` of each batch: additions and removals never share one.

    Graph may run the sub-requests of a batch in parallel unless ``dependsOn`` orders them
    (https://learn.microsoft.com/graph/json-batching), so separate batches keep every
    addition ahead of every removal.
    """
    bounds = [(start, min(start + MAX_BATCH_REQUESTS, add_count)) for start in range(0, add_count, MAX_BATCH_REQUESTS)]
    total = add_count + remove_count
    bounds += [(start, min(start + MAX_BATCH_REQUESTS, total)) for start in range(add_count, total, MAX_BATCH_REQUESTS)]
    return bounds


def _write_request(client, organization, sponsor_type, sponsor, kind):
    collection = ORGANIZATION_PATH + (organization["id"], "%sSponsors" % sponsor_type)
    if kind == "add":
        operation = "add %s as %s sponsor of connected organization '%s'" % (
            sponsor.label(),
            sponsor_type,
            organization["display_name"],
        )
        body = {"@odata.id": client.endpoints.object_reference(COLLECTIONS[sponsor.type], sponsor.id)}
        return SubRequest("POST", _relative_path(collection) + "/$ref", operation, body=body)
    operation = "remove %s as %s sponsor of connected organization '%s'" % (
        sponsor.label(),
        sponsor_type,
        organization["display_name"],
    )
    return SubRequest("DELETE", _relative_path(collection + (sponsor.id,)) + "/$ref", operation)


def _relative_path(segments):
    return "/" + "/".join(path_segment(segment) for segment in segments)


def _write_outcome(client, sponsor, sponsor_type, kind, sub_request, answer):
    """Return True for a write Graph made, False for one skipped as already done, or the GraphError."""
    if answer.ok:
        return True
    error = answer.error(client, sub_request)
    if kind == "add" and not _already_there(error):
        return error
    if kind == "remove" and not _already_gone(error):
        return error
    if not answer.ambiguous:
        client.log(
            "Skipped: %s was %s the %s sponsors (HTTP %s)."
            % (sponsor.id, "already among" if kind == "add" else "no longer among", sponsor_type, error.status)
        )
        return False
    # An earlier attempt got 502, 503 or 504 and may have made the change after all.
    client.log(
        "Counted as %s: %s was %s the %s sponsors when a retried %s reached Graph."
        % (
            "added" if kind == "add" else "removed",
            sponsor.id,
            "among" if kind == "add" else "gone from",
            sponsor_type,
            kind,
        )
    )
    return True


class SponsorWriteError(PartialChangeError):
    """Writes of a batch failed; the message lists the sponsors changed, failed and not attempted.

    ``failures`` is a list of ``(DirectoryObject, GraphError)``, empty when the whole batch
    request failed with ``cause``.
    """

    def __init__(self, failures, cause, added, removed, not_attempted):
        super(SponsorWriteError, self).__init__(cause, added, removed)
        self.failed = [sponsor.id for sponsor, _error in failures]
        self.not_attempted = list(not_attempted)
        message = self.args[0]
        if len(failures) > 1:
            message += ". %d writes of the same batch failed: %s" % (
                len(failures),
                "; ".join("%s (HTTP %s)" % (sponsor.id, error.status) for sponsor, error in failures),
            )
        if self.not_attempted:
            message += ". Not attempted: %s" % ", ".join(self.not_attempted)
        self.args = (message,)


def diff_text(sponsors):
    """Render a sponsor list for ``--diff``: one sorted line per sponsor."""
    return "".join("%s\n" % sponsor.label() for sponsor in sponsors)
