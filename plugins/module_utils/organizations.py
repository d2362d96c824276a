# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Connected organizations as whole objects: reading, result shape, create, update and delete.

For use by this collection only; not a public API.

Graph creates an organization with ``displayName``, ``description``, ``state`` and exactly
one identity source (``POST …/connectedOrganizations``, 201 with the object). It updates
only ``displayName``, ``description`` and ``state`` (``PATCH``, documented as 202 in v1.0
and 204 in beta) and deletes with ``DELETE`` (204). A PATCH that names sponsors is rejected
with 400 "The model is invalid", so sponsors stay with sponsors.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.entra.governance.plugins.module_utils.directory import (
    CONTROL_CHARACTERS,
    GUID_PATTERN,
    ORGANIZATION_PATH,
)
from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError, InvalidInputError
from ansible_collections.entra.governance.plugins.module_utils.sponsors import SPONSOR_TYPES

GRAPH_TYPE_PREFIX = "#microsoft.graph."

# The identity source types that the connected_org module can create, by the option key that
# selects each: Graph's @odata.type and the property that identifies the source.
IDENTITY_SOURCE_TYPES = {
    "tenant_id": ("#microsoft.graph.azureActiveDirectoryTenant", "tenantId"),
    "domain_name": ("#microsoft.graph.domainIdentitySource", "domainName"),
}

ORG_STATES = ("configured", "proposed")

# The state of a new organization when the task does not set org_state. Access package
# policies for "all configured connected organizations" apply to users of such organizations.
DEFAULT_ORG_STATE = "configured"

# Graph properties that the task can set on an existing organization, by module option.
UPDATABLE_PROPERTIES = (
    ("display_name", "displayName"),
    ("description", "description"),
    ("org_state", "state"),
)

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


# Result shapes


def organization_result(item):
    """Convert Graph's connectedOrganization item to the modules' ``connected_organization`` shape."""
    organization_id = item.get("id")
    return {
        "id": organization_id.lower() if organization_id else None,
        "display_name": item.get("displayName"),
        "description": item.get("description"),
        "org_state": item.get("state"),
        "identity_sources": [identity_source_result(source) for source in item.get("identitySources") or []],
        "created": item.get("createdDateTime"),
        "modified": item.get("modifiedDateTime"),
    }


def identity_source_result(source):
    """Convert one identity source: ``type`` without Graph's namespace, properties in snake_case."""
    odata_type = source.get("@odata.type") or ""
    result = {"type": odata_type[len(GRAPH_TYPE_PREFIX) :] if odata_type.startswith(GRAPH_TYPE_PREFIX) else odata_type}
    for name, value in source.items():
        if not name.startswith("@"):
            result[_CAMEL_HUMP.sub(r"_\1", name).lower()] = value
    return result


def organization_sponsors(directory, item):
    """Read both sponsor lists of one organization; return the sponsor_info module's shape.

    NOTE: an organization deleted after it was listed makes the sponsor read fail with 404,
    which fails the task; it is not skipped.
    """
    result = {"id": item["id"].lower(), "display_name": item.get("displayName")}
    for sponsor_type in SPONSOR_TYPES:
        sponsors = directory.list_sponsors(result["id"], sponsor_type)
        sponsors.sort(key=lambda sponsor: sponsor.sort_key())
        result["%s_sponsors" % sponsor_type] = [sponsor.to_result() for sponsor in sponsors]
    return result


def diff_view(result):
    """Return the part of an organization result that ``--diff`` shows: everything but the timestamps."""
    if not result:
        return {}
    return dict((key, value) for key, value in result.items() if key not in ("created", "modified"))


# Reading


def read_organizations(directory, reference=None):
    """Return Graph's items of the organizations that ``reference`` names, or of all of them.

    ``reference`` is an object id or a display name. A name shared by several
    organizations returns each of them; a reference that matches nothing returns an empty
    list. The items are sorted by display name, then id.
    """
    if reference is None:
        items = directory.list_connected_organizations()
    else:
        items = directory.match_connected_organizations(reference)
    return sorted(items, key=lambda item: ((item.get("displayName") or "").lower(), item["id"].lower()))


def find_for_update(directory, organization_id=None, display_name=None):
    """Return Graph's item of the organization that the connected_org module manages, or None.

    With ``organization_id`` the organization is read by id and a 404 means it does not
    exist. Otherwise ``display_name`` identifies it, and a name that several organizations
    share raises InvalidInputError listing their ids.
    """
    if organization_id:
        return directory.get_connected_organization(organization_id)
    matches = directory.connected_organizations_named(display_name)
    if len(matches) > 1:
        raise InvalidInputError(
            "Connected organization '%s' is ambiguous: %d connected organizations have this "
            "display name (ids %s); set id to choose one."
            % (display_name, len(matches), ", ".join(sorted(m["id"].lower() for m in matches)))
        )
    return matches[0] if matches else None


# Options


def check_options(params):
    """Reject option values of the connected_org module that cannot work, before anything is sent."""
    organization_id = params.get("id")
    if organization_id is not None and not GUID_PATTERN.match(organization_id):
        raise InvalidInputError(
            "Invalid id '%s': expected the object id of a connected organization, a GUID such "
            "as 6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d." % organization_id
        )
    display_name = params.get("display_name")
    if display_name is not None:
        if not display_name.strip():
            raise InvalidInputError("Invalid display_name '%s': the value is empty." % display_name)
        if CONTROL_CHARACTERS.search(display_name):
            raise InvalidInputError("Invalid display_name %r: the value contains control characters." % display_name)
    source = params.get("identity_source")
    if source:
        tenant_id = source.get("tenant_id")
        if tenant_id is not None and not GUID_PATTERN.match(tenant_id):
            raise InvalidInputError(
                "Invalid identity_source.tenant_id '%s': expected the directory (tenant) id of "
                "the other organization's Microsoft Entra tenant, a GUID." % tenant_id
            )
        domain_name = source.get("domain_name")
        if domain_name is not None and (not domain_name.strip() or " " in domain_name.strip()):
            raise InvalidInputError(
                "Invalid identity_source.domain_name '%s': expected a DNS domain name such as "
                "fabrikam.com." % domain_name
            )


def identity_source_body(source):
    """Build Graph's identity source from the ``identity_source`` option."""
    for key, (odata_type, graph_property) in sorted(IDENTITY_SOURCE_TYPES.items()):
        if source.get(key):
            body = {"@odata.type": odata_type, graph_property: source[key].strip()}
            if source.get("display_name") is not None:
                body["displayName"] = source["display_name"]
            return body
    raise InvalidInputError("Invalid identity_source: set tenant_id or domain_name.")


def describe_identity_source(source):
    """Describe an identity source for messages: Graph type, identifying property and display name."""
    fields = identity_source_result(source)
    source_type = fields["type"] or "unknown type"
    details = ", ".join("%s %s" % (key, fields[key]) for key in sorted(fields) if key != "type")
    if not details:
        return source_type
    return "%s (%s)" % (source_type, details)


def check_identity_source(item, source):
    """Raise InvalidInputError unless the organization ``item`` has the identity source the option describes.

    The identifying property (``tenantId`` or ``domainName``) compares without regard to
    case; the source's display name is compared only when the option sets it.
    """
    requested = identity_source_body(source)
    existing = item.get("identitySources") or []
    for candidate in existing:
        if _same_identity_source(candidate, requested):
            return
    current = "; ".join(describe_identity_source(candidate) for candidate in existing) or "none"
    raise InvalidInputError(
        "Invalid identity_source for connected organization '%s' (%s): the organization's identity source is %s, "
        "not %s. Graph cannot change the identity source of an existing organization: remove identity_source from "
        "the task, or delete the organization and create it again."
        % (item.get("displayName"), item["id"].lower(), current, describe_identity_source(requested))
    )


def _same_identity_source(candidate, requested):
    if candidate.get("@odata.type") != requested["@odata.type"]:
        return False
    for name, value in requested.items():
        if name == "@odata.type":
            continue
        current = candidate.get(name)
        if name == "displayName":
            if current != value:
                return False
        elif (current or "").lower() != value.lower():
            return False
    return True


# Writes


def creation_body(params):
    """Build the POST body of a new organization from the connected_org module's options.

    Raises InvalidInputError when ``id`` is set, because Graph chooses the id of a new
    organization, and when ``display_name`` or ``identity_source`` is missing.
    """
    if params.get("id"):
        raise InvalidInputError(
            "Connected organization %s not found, and it cannot be created with a given id: "
            "omit id and set display_name and identity_source to create it." % params["id"]
        )
    if not params.get("display_name"):
        raise InvalidInputError("Invalid options: set display_name to create a connected organization.")
    if not params.get("identity_source"):
        raise InvalidInputError(
            "Connected organization '%s' not found: set identity_source to create it." % params["display_name"]
        )
    return {
        "displayName": params["display_name"],
        "description": params.get("description") or "",
        "identitySources": [identity_source_body(params["identity_source"])],
        "state": params.get("org_state") or DEFAULT_ORG_STATE,
    }


def update_body(item, params):
    """Return the PATCH body that brings ``item`` to the options; empty when nothing differs.

    An option that is not set (None) is left as it is. A description that is missing in
    Graph and an empty description compare equal.
    """
    body = {}
    for option, graph_property in UPDATABLE_PROPERTIES:
        requested = params.get(option)
        if requested is None:
            continue
        current = item.get(graph_property)
        if option == "description":
            if (current or "") != requested:
                body[graph_property] = requested
        elif current != requested:
            body[graph_property] = requested
    return body


def planned_item(item, body):
    """Return ``item`` with the properties of a POST or PATCH body applied, as a real run would leave it."""
    planned = dict(item or {})
    planned.update(body)
    return planned


def create(client, body):
    """Send the POST that creates an organization; return Graph's item of the new organization."""
    operation = "create connected organization '%s'" % body["displayName"]
    url = client.url(*ORGANIZATION_PATH)
    created = client.post_json(url, operation, body)
    if not created or not created.get("id"):
        # NOTE: not seen from Graph, which documents 201 with the object. Whether the
        # organization exists is then unknown, so the error names the module that can check.
        raise GraphError(
            operation,
            "POST",
            url,
            detail="the response contains no organization id, so it is "
            "unknown whether the organization was created; look for it with "
            "entra.governance.connected_org_info",
        )
    return created


def update(client, item, body):
    """Send the PATCH with ``body`` to the organization ``item``. Graph returns 202 or 204; both mean success."""
    operation = "update %s of connected organization '%s' (%s)" % (
        ", ".join(sorted(body)),
        item.get("displayName"),
        item["id"].lower(),
    )
    client.request("PATCH", client.url(*(ORGANIZATION_PATH + (item["id"],))), operation, body=body)


def delete(client, item):
    """Delete the organization ``item``; return False if Graph reports it gone already.

    When the 404 comes on a retry after 503 or 504, the earlier attempt may have done the
    delete, so it counts as done and True is returned.
    """
    operation = "delete connected organization '%s' (%s)" % (item.get("displayName"), item["id"].lower())
    try:
        client.delete(client.url(*(ORGANIZATION_PATH + (item["id"],))), operation)
    except GraphError as error:
        if not error.is_not_found:
            raise
        if client.last_request_ambiguous:
            client.log(
                "Counted as deleted: connected organization %s was gone when a retried delete reached Graph."
                % item["id"]
            )
            return True
        client.log("Skipped: connected organization %s was already deleted (HTTP 404)." % item["id"])
        return False
    return True
