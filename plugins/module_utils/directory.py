# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Look-ups in the directory: connected organizations, users, groups and sponsors.

For use by this collection only; not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError, InvalidInputError
from ansible_collections.entra.governance.plugins.module_utils.graph import odata_string


GUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

# Entra ID limits group display names to 256 characters, a UPN to 113 and a mail address
# to 254. A longer value cannot match anything, so it is rejected before any request.
MAX_REFERENCE_LENGTH = 256

# At most 1000 ids per directoryObjects/getByIds request (Graph's documented limit).
GET_BY_IDS_CHUNK = 1000

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
        if len(reference) > MAX_REFERENCE_LENGTH:
            raise InvalidInputError("Invalid %s '%s...': the value is %d characters long; object ids, UPNs, mail "
                                    "addresses and group names are at most %d."
                                    % (where, reference[:40], len(reference), MAX_REFERENCE_LENGTH))
        if option == "users" and not GUID_PATTERN.match(reference):
            if reference != reference.strip() or " " in reference or "@" not in reference:
                raise InvalidInputError("Invalid %s '%s': expected a user object id, a userPrincipalName or a mail "
                                        "address." % (where, reference))


class Directory(object):
    """Resolves names to objects through a GraphClient."""

    def __init__(self, client):
        self.client = client

    def find_connected_organization(self, reference):
        """Return ``{"id", "display_name"}`` of the organization with this object id or exact display name."""
        if not reference or not reference.strip():
            raise InvalidInputError("Invalid connected_organization '%s': the value is empty." % (reference or ""))
        if CONTROL_CHARACTERS.search(reference):
            raise InvalidInputError("Invalid connected_organization %r: the value contains control characters."
                                    % reference)

        if GUID_PATTERN.match(reference):
            url = self.client.url(*(ORGANIZATION_PATH + (reference,)))
            try:
                item = self.client.get_json(url, "read connected organization %s" % reference)
                return _organization(item)
            except GraphError as error:
                if not error.is_not_found:
                    raise
            # Not an id after all: a display name may look like one.

        matches = self.client.list_all(
            self.client.url(*ORGANIZATION_PATH),
            "look up connected organization '%s' by display name" % reference,
            params={"$filter": "displayName eq %s" % odata_string(reference)})
        matches = _prefer_exact(matches, "displayName", reference)
        if not matches:
            raise InvalidInputError("Connected organization '%s' not found: no connected organization has this "
                                    "object id or display name." % reference)
        if len(matches) > 1:
            raise InvalidInputError("Connected organization '%s' is ambiguous: %d connected organizations have this "
                                    "display name (ids %s); use the object id instead."
                                    % (reference, len(matches), ", ".join(sorted(m["id"] for m in matches))))
        return _organization(matches[0])

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
            found = self._resolve_user(reference, "users[%d]" % index)
            resolved[found.id] = found
        for index, reference in enumerate(groups):
            found = self._resolve_group(reference, "groups[%d]" % index)
            resolved[found.id] = found
        return resolved

    def _resolve_user(self, reference, where):
        if GUID_PATTERN.match(reference):
            return self._by_id(reference, "user", where)
        matches = self.client.list_all(
            self.client.url("users"),
            "look up user '%s'" % reference,
            params={"$filter": "userPrincipalName eq %s or mail eq %s" % (odata_string(reference),
                                                                         odata_string(reference)),
                    "$select": USER_FIELDS})
        if len(matches) > 1:
            by_upn = [m for m in matches if (m.get("userPrincipalName") or "").lower() == reference.lower()]
            matches = by_upn or matches
        if not matches:
            raise InvalidInputError("Invalid %s '%s': no user has this userPrincipalName or mail address."
                                    % (where, reference))
        if len(matches) > 1:
            raise InvalidInputError("Invalid %s '%s': %d users have this mail address (ids %s); use the object id "
                                    "or userPrincipalName instead."
                                    % (where, reference, len(matches), ", ".join(sorted(m["id"] for m in matches))))
        return DirectoryObject(matches[0]["id"], "user", matches[0].get("displayName"),
                               matches[0].get("userPrincipalName"))

    def _resolve_group(self, reference, where):
        if GUID_PATTERN.match(reference):
            return self._by_id(reference, "group", where)
        matches = self.client.list_all(
            self.client.url("groups"),
            "look up group '%s'" % reference,
            params={"$filter": "displayName eq %s" % odata_string(reference), "$select": GROUP_FIELDS})
        matches = _prefer_exact(matches, "displayName", reference)
        if not matches:
            raise InvalidInputError("Invalid %s '%s': no group has this display name." % (where, reference))
        if len(matches) > 1:
            raise InvalidInputError("Invalid %s '%s': %d groups have this display name (ids %s); use the object id "
                                    "instead." % (where, reference, len(matches),
                                                  ", ".join(sorted(m["id"] for m in matches))))
        return DirectoryObject(matches[0]["id"], "group", matches[0].get("displayName"))

    def _by_id(self, object_id, expected_type, where):
        try:
            item = self.client.get_json(self.client.url("directoryObjects", object_id),
                                        "read directory object %s" % object_id)
        except GraphError as error:
            if error.is_not_found:
                raise InvalidInputError("Invalid %s '%s': no %s has this object id." % (where, object_id,
                                                                                      expected_type))
            raise
        found = DirectoryObject.from_graph(item)
        if found.type == expected_type:
            return found
        if found.type in COLLECTIONS:
            raise InvalidInputError("Invalid %s '%s': this object is a %s; list it under %s."
                                    % (where, object_id, found.type, COLLECTIONS[found.type]))
        raise InvalidInputError("Invalid %s '%s': this object is a %s; sponsors must be users or groups."
                                % (where, object_id, found.type))

    def list_sponsors(self, organization_id, sponsor_type):
        """Return every current sponsor of one type, with display names, as DirectoryObjects."""
        collection = "%sSponsors" % sponsor_type
        items = self.client.list_all(
            self.client.url(*(ORGANIZATION_PATH + (organization_id, collection))),
            "list %s sponsors of connected organization %s" % (sponsor_type, organization_id))
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
            chunk = ids[start:start + GET_BY_IDS_CHUNK]
            answer = self.client.post_json(self.client.url("directoryObjects", "getByIds"),
                                           "read the names of %d sponsors" % len(chunk),
                                           {"ids": chunk, "types": ["user", "group"]}) or {}
            for item in answer.get("value") or []:
                found = DirectoryObject.from_graph(item)
                details[found.id] = found
        return details


def _organization(item):
    return {"id": item["id"].lower(), "display_name": item.get("displayName")}


def _prefer_exact(matches, field, reference):
    """Keep the case-sensitive matches if there are any: Graph's ``eq`` ignores case."""
    exact = [m for m in matches if m.get(field) == reference]
    return exact or matches
