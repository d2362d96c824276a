# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Look-ups in the directory: connected organizations, users, groups and sponsors.

For use by this collection only; not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time
from urllib.parse import quote

from ansible_collections.entra.governance.plugins.module_utils.batch import SubRequest, send_batch
from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError, InvalidInputError
from ansible_collections.entra.governance.plugins.module_utils.graph import odata_string, path_segment

GUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# The C0 and C1 control characters and DEL: Unicode category Cc.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Surrogate code points cannot be encoded as UTF-8, so a value with one cannot go into a
# URL. Ansible templates can produce them, for example with '%c' % 55296.
SURROGATES = re.compile("[\ud800-\udfff]")

# Entra ID limits group display names to 256 characters, a UPN to 113 and a mail address
# to 254. A longer value cannot match anything, so it is rejected before any request.
MAX_REFERENCE_LENGTH = 256

# At most 1000 ids per directoryObjects/getByIds request (Graph's documented limit).
GET_BY_IDS_CHUNK = 1000
# Maximum length, in characters, of the percent-encoded $filter of one batched name look-up,
# so that each request URL stays under about 2 KB. The user filter lists every name twice
# (userPrincipalName and mail).
# NOTE: 2 KB is a conservative estimate for URLs, not a limit that Graph documents.
MAX_FILTER_LENGTH = 1500

# Further reads of a sponsor list that took several pages, when a plan depends on a sponsor
# being absent from it (see Directory.settle_sponsors).
MAX_SETTLE_READS = 3

ODATA_TYPES = {
    "#microsoft.graph.user": "user",
    "#microsoft.graph.group": "group",
}
COLLECTIONS = {"user": "users", "group": "groups"}

USER_FIELDS = "id,displayName,userPrincipalName,mail"
GROUP_FIELDS = "id,displayName"
ORGANIZATION_PATH = ("identityGovernance", "entitlementManagement", "connectedOrganizations")


class DirectoryObject(object):
    """A user or group: a current sponsor, or one that a task requests."""

    def __init__(self, object_id, object_type, display_name=None, user_principal_name=None):
        self.id = object_id.lower()
        self.type = object_type
        self.display_name = display_name
        self.user_principal_name = user_principal_name

    @classmethod
    def from_graph(cls, item):
        object_type = _object_type(item)
        return cls(item["id"], object_type, item.get("displayName"), item.get("userPrincipalName"))

    def to_result(self):
        result = {"id": self.id, "type": self.type, "display_name": self.display_name}
        if self.type == "user":
            result["user_principal_name"] = self.user_principal_name
        return result

    def label(self):
        """Describe the object for messages and diffs: type, name, UPN and id."""
        name = self.display_name or "(no display name)"
        if self.user_principal_name:
            return "%s %s <%s> (%s)" % (self.type, name, self.user_principal_name, self.id)
        return "%s %s (%s)" % (self.type, name, self.id)

    def sort_key(self):
        return ((self.display_name or "").lower(), self.id)


def _object_type(item):
    odata_type = item.get("@odata.type") or ""
    if odata_type in ODATA_TYPES:
        return ODATA_TYPES[odata_type]
    # Anything else is reported with Graph's own type name, such as servicePrincipal.
    return odata_type.rsplit(".", 1)[-1] or "unknown"


def check_references(option, references):
    """Reject values that cannot name a user or group, before anything is sent.

    ``option`` is ``users`` or ``groups``; the error names it, the position and the value.
    """
    for index, reference in enumerate(references):
        where = "%s[%d]" % (option, index)
        if reference is None or not reference.strip():
            raise InvalidInputError("Invalid %s '%s': the value is empty." % (where, reference or ""))
        if CONTROL_CHARACTERS.search(reference):
            raise InvalidInputError("Invalid %s %r: the value contains control characters." % (where, reference))
        if SURROGATES.search(reference):
            raise InvalidInputError("Invalid %s %r: the value contains a lone surrogate." % (where, reference))
        if len(reference) > MAX_REFERENCE_LENGTH:
            raise InvalidInputError(
                "Invalid %s '%s...': the value is %d characters long; object ids, UPNs, mail "
                "addresses and group names are at most %d."
                % (where, reference[:40], len(reference), MAX_REFERENCE_LENGTH)
            )
        if option == "users" and not GUID_PATTERN.match(reference):
            if reference != reference.strip() or " " in reference or "@" not in reference:
                raise InvalidInputError(
                    "Invalid %s '%s': expected a user object id, a userPrincipalName or a mail "
                    "address." % (where, reference)
                )


def check_organization_reference(reference):
    """Reject a ``connected_organization`` value that cannot name an organization, before anything is sent."""
    if not reference or not reference.strip():
        raise InvalidInputError("Invalid connected_organization '%s': the value is empty." % (reference or ""))
    if CONTROL_CHARACTERS.search(reference):
        raise InvalidInputError("Invalid connected_organization %r: the value contains control characters." % reference)
    if SURROGATES.search(reference):
        raise InvalidInputError("Invalid connected_organization %r: the value contains a lone surrogate." % reference)


# Maximum pause, in seconds, between two look-ups of a user or group that is not found yet.
MAX_RESOLVE_DELAY = 10.0


class ObjectNotFoundError(InvalidInputError):
    """A user or group reference that names no object, perhaps because a new object has not replicated yet."""


class Directory(object):
    """Resolves names to objects through a GraphClient.

    ``resolve_wait`` is the time in seconds that ``resolve`` spends in total looking up
    again users and groups that are not found, because Graph can take seconds to find an
    object created moments ago. With 0 a missing object fails at once.
    """

    def __init__(self, client, resolve_wait=0, sleep=time.sleep, monotonic=time.monotonic):
        self.client = client
        self.resolve_wait = resolve_wait
        self.sleep = sleep
        self.monotonic = monotonic
        self._resolve_deadline = None
        # The number of pages of the last sponsor listing; see settle_sponsors.
        self.sponsor_pages = 0

    def find_connected_organization(self, reference):
        """Return ``{"id", "display_name"}`` of the organization with this object id or exact display name."""
        return _single_organization(reference, self.match_connected_organizations(reference))

    def match_connected_organizations(self, reference):
        """Return Graph's items of the organizations with this object id, or else this display name.

        The list is empty when nothing matches, and has several items when several
        organizations share the display name. ``reference`` is the value of the
        ``connected_organization`` option, which error messages name.
        """
        check_organization_reference(reference)
        if GUID_PATTERN.match(reference):
            item = self.get_connected_organization(reference)
            if item is not None:
                return [item]
            # Not an id after all: a display name may look like one.
        return self.connected_organizations_named(reference)

    def get_connected_organization(self, organization_id):
        """Return Graph's item of the organization with this object id, or None if there is none."""
        url = self.client.url(*(ORGANIZATION_PATH + (organization_id,)))
        try:
            return self.client.get_json(url, "read connected organization %s" % organization_id)
        except GraphError as error:
            if not error.is_not_found:
                raise
        return None

    def connected_organizations_named(self, display_name):
        """Return Graph's items of the organizations with this display name, from all pages."""
        matches = self.client.list_all(
            self.client.url(*ORGANIZATION_PATH),
            "look up connected organization '%s' by display name" % display_name,
            params={"$filter": "displayName eq %s" % odata_string(display_name)},
        )
        return _prefer_exact(matches, "displayName", display_name)

    def list_connected_organizations(self):
        """Return Graph's items of every connected organization, from all pages."""
        return self.client.list_all(self.client.url(*ORGANIZATION_PATH), "list connected organizations")

    def resolve(self, users, groups):
        """Resolve every user and group reference; return ``{object id: DirectoryObject}``.

        A reference that names nothing, several objects, or an object of the wrong kind
        raises InvalidInputError naming the option and the value. The same object listed
        twice (by id and by name, say) is kept once.
        """
        check_references("users", users)
        check_references("groups", groups)
        resolved = {}
        for index, reference in enumerate(users):
            found = self._resolve_waiting(self._resolve_user, reference, "users[%d]" % index)
            resolved[found.id] = found
        for index, reference in enumerate(groups):
            found = self._resolve_waiting(self._resolve_group, reference, "groups[%d]" % index)
            resolved[found.id] = found
        return resolved

    def _resolve_waiting(self, resolve_one, reference, where):
        """Call ``resolve_one``, looking up again while the object is not found and ``resolve_wait`` lasts."""
        delay = 1.0
        while True:
            try:
                return resolve_one(reference, where)
            except ObjectNotFoundError as error:
                if not self.resolve_wait:
                    raise
                if self._resolve_deadline is None:
                    self._resolve_deadline = self.monotonic() + self.resolve_wait
                remaining = self._resolve_deadline - self.monotonic()
                if remaining <= 0:
                    raise ObjectNotFoundError(
                        "%s It was still not found after waiting resolve_wait=%s s." % (error, self.resolve_wait)
                    )
                delay = min(delay, remaining)
                self.client.log("%s Looking it up again in %.1f s, within resolve_wait." % (error, delay))
                self.sleep(delay)
                delay = min(delay * 2, MAX_RESOLVE_DELAY)

    def _resolve_user(self, reference, where):
        if GUID_PATTERN.match(reference):
            return self._by_id(reference, "user", where)
        matches = self.client.list_all(
            self.client.url("users"),
            "look up user '%s'" % reference,
            params={
                "$filter": "userPrincipalName eq %s or mail eq %s" % (odata_string(reference), odata_string(reference)),
                "$select": USER_FIELDS,
            },
        )
        return _pick_user(matches, reference, where)

    def _resolve_group(self, reference, where):
        if GUID_PATTERN.match(reference):
            return self._by_id(reference, "group", where)
        matches = self.client.list_all(
            self.client.url("groups"),
            "look up group '%s'" % reference,
            params={"$filter": "displayName eq %s" % odata_string(reference), "$select": GROUP_FIELDS},
        )
        return _pick_group(matches, reference, where)

    def _by_id(self, object_id, expected_type, where):
        try:
            item = self.client.get_json(
                self.client.url("directoryObjects", object_id), "read directory object %s" % object_id
            )
        except GraphError as error:
            if error.is_not_found:
                raise ObjectNotFoundError(
                    "Invalid %s '%s': no %s has this object id." % (where, object_id, expected_type)
                )
            raise
        found = DirectoryObject.from_graph(item)
        _check_type(found, expected_type, where, object_id)
        return found

    def list_sponsors(self, organization_id, sponsor_type):
        """Return every current sponsor of one type, with display names, as DirectoryObjects.

        Sets ``sponsor_pages`` to the number of pages the listing took.
        """
        collection = "%sSponsors" % sponsor_type
        pages = list(
            self.client.list_pages(
                self.client.url(*(ORGANIZATION_PATH + (organization_id, collection))),
                "list %s sponsors of connected organization %s" % (sponsor_type, organization_id),
            )
        )
        return self._named_sponsors(pages)

    def settle_sponsors(self, organization_id, sponsor_type, first):
        """Read a sponsor list again until two reads in a row agree, and return the last one.

        ``first`` is a listing that took more than one page. Graph returns each page in its
        own response, so a sponsor added or removed by someone else between two pages can
        make the listing skip a sponsor that was there all along (or show one twice). A
        single page cannot be torn that way. Two reads agree when they list the same ids in
        the same order: a sponsor removed and added back between them usually moves, while
        the set of ids can be the same for two reads that each skipped a sponsor. After
        ``MAX_SETTLE_READS`` reads that all differ, the result is every sponsor seen in any
        of them. Removing a sponsor that is gone by then fails with "not found", which
        apply_plan counts as no change.

        NOTE: Graph does not document the order of the list. If it puts a sponsor that is
        removed and added back at its old place, two torn reads can still agree.
        """
        seen = dict((sponsor.id, sponsor) for sponsor in first)
        previous = [sponsor.id for sponsor in first]
        for attempt in range(1, MAX_SETTLE_READS + 1):
            self.client.log(
                "The %s sponsor list of connected organization %s took %d pages, so another run may have changed it "
                "between them: reading it again to confirm (read %d of at most %d)."
                % (sponsor_type, organization_id, self.sponsor_pages, attempt, MAX_SETTLE_READS)
            )
            listing = self.list_sponsors(organization_id, sponsor_type)
            ids = [sponsor.id for sponsor in listing]
            if ids == previous:
                return listing
            seen.update((sponsor.id, sponsor) for sponsor in listing)
            previous = ids
            if self.sponsor_pages == 1:
                return listing
        self.client.log(
            "The %s sponsor list of connected organization %s changed between each of %d reads: planning with "
            "every sponsor seen in any of them." % (sponsor_type, organization_id, MAX_SETTLE_READS + 1)
        )
        return list(seen.values())

    def _named_sponsors(self, pages):
        self.sponsor_pages = len(pages)
        items = [item for page in pages for item in page]
        sponsors = [DirectoryObject.from_graph(item) for item in items]
        # Graph documents list items with only @odata.type and id, while the live service has
        # been seen returning whole objects. Names are fetched only when they are missing.
        unnamed = [sponsor.id for sponsor in sponsors if not sponsor.display_name]
        if unnamed:
            details = self._get_by_ids(unnamed)
            for sponsor in sponsors:
                if sponsor.id in details:
                    detail = details[sponsor.id]
                    sponsor.display_name = detail.display_name
                    sponsor.user_principal_name = detail.user_principal_name
                    if sponsor.type == "unknown":
                        sponsor.type = detail.type
        return sponsors

    def _get_by_ids(self, ids):
        details = {}
        for start in range(0, len(ids), GET_BY_IDS_CHUNK):
            chunk = ids[start : start + GET_BY_IDS_CHUNK]
            answer = (
                self.client.post_json(
                    self.client.url("directoryObjects", "getByIds"),
                    "read the names of %d sponsors" % len(chunk),
                    {"ids": chunk, "types": ["user", "group"]},
                )
                or {}
            )
            for item in answer.get("value") or []:
                found = DirectoryObject.from_graph(item)
                details[found.id] = found
        return details

    # -- Batched reads for connected_org_sponsor ---------------------------------------------

    def read_sponsor_task(self, reference, sponsor_type, users, groups):
        """Read the organization, its sponsors of ``sponsor_type`` and the requested users and groups.

        Returns ``(organization, current sponsors, {object id: requested DirectoryObject})``
        with the same checks and messages as ``find_connected_organization``,
        ``list_sponsors`` and ``resolve``. Every read goes into one JSON batch, so an
        organization given by object id costs one request per page of its sponsor list
        (plus one getByIds request if Graph returns sponsors without names). An
        organization given by display name costs one more request.
        """
        check_organization_reference(reference)
        check_references("users", users)
        check_references("groups", groups)

        by_id = GUID_PATTERN.match(reference) is not None
        reads = {}
        if by_id:
            organization_path = ORGANIZATION_PATH + (reference,)
            reads["organization"] = [
                SubRequest("GET", _relative_path(organization_path), "read connected organization %s" % reference)
            ]
            reads["sponsors"] = [
                SubRequest(
                    "GET",
                    _relative_path(organization_path + ("%sSponsors" % sponsor_type,)),
                    "list %s sponsors of connected organization %s" % (sponsor_type, reference),
                )
            ]
        else:
            reads["organization"] = [
                SubRequest(
                    "GET",
                    _relative_path(ORGANIZATION_PATH),
                    "look up connected organization '%s' by display name" % reference,
                    params={"$filter": "displayName eq %s" % odata_string(reference)},
                )
            ]
        object_ids = _unique([value.lower() for value in list(users) + list(groups) if GUID_PATTERN.match(value)])
        reads["ids"] = [
            SubRequest(
                "POST",
                "/directoryObjects/getByIds",
                "read %d directory objects by id" % len(object_ids[start : start + GET_BY_IDS_CHUNK]),
                body={"ids": object_ids[start : start + GET_BY_IDS_CHUNK]},
            )
            for start in range(0, len(object_ids), GET_BY_IDS_CHUNK)
        ]
        user_names = _unique([value for value in users if not GUID_PATTERN.match(value)])
        group_names = _unique([value for value in groups if not GUID_PATTERN.match(value)])
        reads["users"] = [
            SubRequest(
                "GET",
                "/users",
                "look up users %s" % ", ".join("'%s'" % n for n in names),
                params={"$filter": _user_filter(names), "$select": USER_FIELDS},
            )
            for names in _filter_chunks(user_names)
        ]
        reads["groups"] = [
            SubRequest(
                "GET",
                "/groups",
                "look up groups %s" % ", ".join("'%s'" % n for n in names),
                params={"$filter": _group_filter(names), "$select": GROUP_FIELDS},
            )
            for names in _filter_chunks(group_names)
        ]

        order = [key for key in ("organization", "sponsors", "ids", "users", "groups") for _sub in reads.get(key, [])]
        flat = [sub for key in ("organization", "sponsors", "ids", "users", "groups") for sub in reads.get(key, [])]
        answers = send_batch(self.client, flat, "read connected organization '%s' and its sponsors" % reference)
        results = {}
        for key, sub, answer in zip(order, flat, answers):
            results.setdefault(key, []).append((sub, answer))

        organization, current = self._organization_and_sponsors(reference, by_id, results)
        try:
            requested = self._requested_objects(users, groups, results)
        except ObjectNotFoundError:
            if not self.resolve_wait:
                raise
            # Objects created moments ago may not be found yet: look each one up again.
            requested = self.resolve(users, groups)
        if current is None:
            # Only now, so that a task with an invalid user or group fails without this request.
            current = self.list_sponsors(organization["id"], sponsor_type)
        return organization, current, requested

    def _organization_and_sponsors(self, reference, by_id, results):
        """Return the organization and its sponsors from the batch; the sponsors are None when not in it."""
        organization_sub, organization_answer = results["organization"][0]
        if by_id:
            if organization_answer.ok:
                organization = _organization(organization_answer.json_object(self.client, organization_sub))
                sponsors_sub, sponsors_answer = results["sponsors"][0]
                pages = list(self._all_pages(sponsors_sub, sponsors_answer))
                return organization, self._named_sponsors(pages)
            if organization_answer.status != 404:
                raise organization_answer.error(self.client, organization_sub)
            # Not an id after all: a display name may look like one.
            organization = _single_organization(reference, self.connected_organizations_named(reference))
        else:
            matches = _prefer_exact(self._all_items(organization_sub, organization_answer), "displayName", reference)
            organization = _single_organization(reference, matches)
        return organization, None

    def _requested_objects(self, users, groups, results):
        by_object_id = {}
        for sub, answer in results.get("ids", []):
            for item in answer.json_object(self.client, sub).get("value") or []:
                found = DirectoryObject.from_graph(item)
                by_object_id[found.id] = found
        user_items = []
        for sub, answer in results.get("users", []):
            user_items.extend(self._all_items(sub, answer))
        group_items = []
        for sub, answer in results.get("groups", []):
            group_items.extend(self._all_items(sub, answer))

        requested = {}
        for option, references in (("users", users), ("groups", groups)):
            expected_type = option[:-1]
            for index, reference in enumerate(references):
                where = "%s[%d]" % (option, index)
                if GUID_PATTERN.match(reference):
                    found = by_object_id.get(reference.lower())
                    if found is None:
                        raise ObjectNotFoundError(
                            "Invalid %s '%s': no %s has this object id." % (where, reference, expected_type)
                        )
                    _check_type(found, expected_type, where, reference)
                elif option == "users":
                    found = _pick_user(user_items, reference, where)
                else:
                    found = _pick_group(group_items, reference, where)
                requested[found.id] = found
        return requested

    def _all_items(self, sub, answer):
        """Return the items of a batched collection read, following ``@odata.nextLink`` outside the batch."""
        return [item for page in self._all_pages(sub, answer) for item in page]

    def _all_pages(self, sub, answer):
        """Return an iterator over the item list of each page of a batched collection read."""
        first_page = answer.json_object(self.client, sub)
        return self.client.list_pages(sub.relative_url(), sub.operation, first_page=first_page)


def _single_organization(reference, matches):
    if not matches:
        raise InvalidInputError(
            "Connected organization '%s' not found: no connected organization has this "
            "object id or display name." % reference
        )
    if len(matches) > 1:
        raise InvalidInputError(
            "Connected organization '%s' is ambiguous: %d connected organizations have this "
            "display name (ids %s); use the object id instead."
            % (reference, len(matches), ", ".join(sorted(m["id"] for m in matches)))
        )
    return _organization(matches[0])


def _pick_user(items, reference, where):
    """Return the one user of ``items`` whose UPN, or else mail address, is ``reference`` apart from case."""
    matches = [
        m for m in items if _same_name(m.get("userPrincipalName"), reference) or _same_name(m.get("mail"), reference)
    ]
    if len(matches) > 1:
        by_upn = [m for m in matches if _same_name(m.get("userPrincipalName"), reference)]
        matches = by_upn or matches
    if not matches:
        raise ObjectNotFoundError(
            "Invalid %s '%s': no user has this userPrincipalName or mail address." % (where, reference)
        )
    if len(matches) > 1:
        raise InvalidInputError(
            "Invalid %s '%s': %d users have this mail address (ids %s); use the object id "
            "or userPrincipalName instead."
            % (where, reference, len(matches), ", ".join(sorted(m["id"] for m in matches)))
        )
    return DirectoryObject(matches[0]["id"], "user", matches[0].get("displayName"), matches[0].get("userPrincipalName"))


def _pick_group(items, reference, where):
    """Return the one group of ``items`` named ``reference``, preferring a case-sensitive match."""
    matches = _prefer_exact(items, "displayName", reference)
    if not matches:
        raise ObjectNotFoundError("Invalid %s '%s': no group has this display name." % (where, reference))
    if len(matches) > 1:
        raise InvalidInputError(
            "Invalid %s '%s': %d groups have this display name (ids %s); use the object id "
            "instead." % (where, reference, len(matches), ", ".join(sorted(m["id"] for m in matches)))
        )
    return DirectoryObject(matches[0]["id"], "group", matches[0].get("displayName"))


def _check_type(found, expected_type, where, object_id):
    if found.type == expected_type:
        return
    if found.type in COLLECTIONS:
        raise InvalidInputError(
            "Invalid %s '%s': this object is a %s; list it under %s."
            % (where, object_id, found.type, COLLECTIONS[found.type])
        )
    raise InvalidInputError(
        "Invalid %s '%s': this object is a %s; sponsors must be users or groups." % (where, object_id, found.type)
    )


def _relative_path(segments):
    return "/" + "/".join(path_segment(segment) for segment in segments)


def _unique(values):
    seen = set()
    return [value for value in values if not (value in seen or seen.add(value))]


def _user_filter(names):
    if len(names) == 1:
        literal = odata_string(names[0])
        return "userPrincipalName eq %s or mail eq %s" % (literal, literal)
    literals = ",".join(odata_string(name) for name in names)
    return "userPrincipalName in (%s) or mail in (%s)" % (literals, literals)


def _group_filter(names):
    if len(names) == 1:
        return "displayName eq %s" % odata_string(names[0])
    return "displayName in (%s)" % ",".join(odata_string(name) for name in names)


def _filter_chunks(names):
    """Split ``names`` so that each ``$filter`` stays under MAX_FILTER_LENGTH characters once percent-encoded.

    A single name longer than that still gets its own chunk.
    """
    chunks = []
    chunk = []
    for name in names:
        if chunk and len(quote(_user_filter(chunk + [name]), safe="")) > MAX_FILTER_LENGTH:
            chunks.append(chunk)
            chunk = []
        chunk.append(name)
    if chunk:
        chunks.append(chunk)
    return chunks


def _organization(item):
    return {"id": item["id"].lower(), "display_name": item.get("displayName")}


def _prefer_exact(matches, field, reference):
    """Keep the case-sensitive matches if there are any, else those that differ from ``reference`` only in case.

    Graph's ``eq`` ignores case, so a name in another case is a match as well.
    """
    exact = [m for m in matches if m.get(field) == reference]
    return exact or [m for m in matches if _same_name(m.get(field), reference)]


def _same_name(value, reference):
    """Tell whether ``value`` equals ``reference`` apart from letter case.

    Graph compares on the server, and a server that folds more than case could return a
    lookalike: Unicode case folding turns the ligature U+FB01 into "fi" and the sharp s
    U+00DF into "ss", and lowers the Kelvin sign U+212A to "k". Requiring equal lower and
    upper case forms rejects all three, and Latin and Cyrillic letters never compare equal.
    """
    if value is None:
        return False
    return value == reference or (value.lower() == reference.lower() and value.upper() == reference.upper())
