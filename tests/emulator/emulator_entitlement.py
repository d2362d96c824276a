"""Connected organizations and their sponsors under /identityGovernance/entitlementManagement.

Where Graph's behaviour is undocumented, a switch selects the response: ``sponsor_detail`` (item
shape of sponsor lists), ``duplicate_add`` (adding a sponsor twice), ``missing_remove``
(removing a non-sponsor), ``patch_status`` (202 or 204) and ``org_not_found_code``.
"""

import re
import urllib.parse

import emulator_graph as graph
from emulator_http import GRAPH_JSON_TYPE, empty_response, json_response

_READERS = ("EntitlementManagement.Read.All", "EntitlementManagement.ReadWrite.All")
_WRITERS = ("EntitlementManagement.ReadWrite.All",)

_SPONSOR_KINDS = {"internalsponsors": "internalSponsors", "externalsponsors": "externalSponsors"}
_PUBLIC_FIELDS = ("id", "displayName", "description", "state", "identitySources", "createdDateTime", "modifiedDateTime")
_UPDATABLE_FIELDS = ("displayName", "description", "state")
_STATES = ("configured", "proposed")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Required properties of each identity source type, besides @odata.type.
IDENTITY_SOURCE_TYPES = {
    "#microsoft.graph.azureActiveDirectoryTenant": ("tenantId",),
    "#microsoft.graph.crossCloudAzureActiveDirectoryTenant": ("tenantId", "cloudInstance"),
    "#microsoft.graph.domainIdentitySource": ("domainName",),
    "#microsoft.graph.externalDomainFederation": ("domainName", "issuerUri"),
}

_CONTEXT = "identityGovernance/entitlementManagement/connectedOrganizations"


def route(app, request, version, roles, rest):
    """Dispatch a request below …/connectedOrganizations.

    ``rest`` contains the path segments after connectedOrganizations.
    """
    method = request.method
    writer = method in ("POST", "PATCH", "PUT", "DELETE")
    graph.require_role(
        roles, _WRITERS if writer else _READERS, "UnAuthorized", "User is not authorized to perform the operation."
    )
    names = [segment.lower() for segment in rest]

    if not rest:
        if method == "GET":
            items = [public_view(org) for org in app.tenant.list_organizations()]
            return graph.list_response(app, request, version, items, "connectedOrganization", _CONTEXT)
        if method == "POST":
            return create(app, request, version)
        raise graph.method_not_allowed()

    org_id = rest[0]
    org = app.tenant.get_organization(org_id)
    if org is None:
        raise org_not_found(app, org_id)

    if len(rest) == 1:
        if method == "GET":
            return graph.entity_response(app, request, version, public_view(org), None, _CONTEXT)
        if method == "PATCH":
            return update(app, request, org_id)
        if method == "DELETE":
            app.tenant.delete_organization(org_id)
            return empty_response(204)
        raise graph.method_not_allowed()

    kind = _SPONSOR_KINDS.get(names[1])
    if kind is None:
        raise graph.GraphError(400, "BadRequest", "Resource not found for the segment '%s'." % rest[1])

    if len(rest) == 2:
        if method == "GET":
            return list_sponsors(app, request, version, org, kind)
        if method == "POST":
            raise graph.GraphError(
                400,
                "Request_BadRequest",
                "Unsupported resource type 'DirectoryObject' for operation "
                "'Create'. Add a sponsor with POST …/%s/$ref." % kind,
            )
        raise graph.method_not_allowed()

    if len(rest) == 3 and names[2] == "$ref":
        if method == "POST":
            return add_sponsor(app, request, org_id, kind)
        raise graph.method_not_allowed()

    if len(rest) == 4 and names[3] == "$ref":
        if method == "DELETE":
            return remove_sponsor(app, org_id, kind, rest[2])
        raise graph.method_not_allowed()

    # Graph has no "get one sponsor" operation: clients list the sponsors and compare.
    raise graph.method_not_allowed()


def org_not_found(app, org_id):
    code = app.tenant.switch("org_not_found_code")
    if code == "Request_ResourceNotFound":
        return graph.not_found(org_id)
    return graph.GraphError(404, code, "No connected organization with id '%s' was found." % org_id)


def public_view(org):
    return {name: org[name] for name in _PUBLIC_FIELDS}


def _invalid_model(reason):
    return graph.GraphError(400, "BadRequest", "The model is invalid. %s" % reason)


def _validate_fields(body, allowed):
    """Reject sponsor lists and any property outside ``allowed``, then check the values."""
    for name in body:
        if name == "@odata.type":
            continue
        if name in ("internalSponsors", "externalSponsors"):
            raise _invalid_model("Sponsors cannot be set in this request; use POST …/%s/$ref." % name)
        if name not in allowed:
            raise _invalid_model("Property '%s' cannot be set." % name)
    if "displayName" in body and (not isinstance(body["displayName"], str) or not body["displayName"].strip()):
        raise _invalid_model("displayName must be a non-empty string.")
    if "description" in body and body["description"] is not None and not isinstance(body["description"], str):
        raise _invalid_model("description must be a string.")
    if "state" in body and body["state"] not in _STATES:
        raise _invalid_model("state must be 'configured' or 'proposed', not %r." % body["state"])


def _validate_identity_sources(sources):
    if not isinstance(sources, list) or len(sources) != 1:
        raise _invalid_model("identitySources must hold exactly one identity source.")
    source = sources[0]
    if not isinstance(source, dict) or source.get("@odata.type") not in IDENTITY_SOURCE_TYPES:
        raise _invalid_model(
            "The identity source needs an @odata.type of %s." % ", ".join(sorted(IDENTITY_SOURCE_TYPES))
        )
    for name in IDENTITY_SOURCE_TYPES[source["@odata.type"]]:
        if not isinstance(source.get(name), str) or not source[name]:
            raise _invalid_model("The identity source of type %s needs '%s'." % (source["@odata.type"], name))
    if "tenantId" in source and not _GUID.match(source["tenantId"]):
        raise _invalid_model("tenantId '%s' is not a GUID." % source["tenantId"])


def create(app, request, version):
    body = graph.json_body(request)
    _validate_fields(body, ("displayName", "description", "identitySources", "state"))
    if "displayName" not in body:
        raise _invalid_model("displayName is required.")
    _validate_identity_sources(body.get("identitySources"))
    fields = {
        "displayName": body["displayName"],
        "description": body.get("description"),
        "state": body.get("state", "configured"),
        "identitySources": body["identitySources"],
    }
    org = app.tenant.create_organization(fields)
    created = {"@odata.context": "%s/%s/$metadata#%s/$entity" % (app.graph_url, version, _CONTEXT)}
    created.update(public_view(org))
    return json_response(201, created, GRAPH_JSON_TYPE)


def update(app, request, org_id):
    body = graph.json_body(request)
    _validate_fields(body, _UPDATABLE_FIELDS)
    fields = {name: body[name] for name in _UPDATABLE_FIELDS if name in body}
    if app.tenant.update_organization(org_id, fields) is None:
        raise org_not_found(app, org_id)
    return empty_response(app.tenant.switch("patch_status"))


def render_sponsor(app, object_id):
    """Return a sponsor list item in the shape the sponsor_detail switch selects, or None."""
    kind, obj = app.tenant.find_directory_object(object_id)
    if kind is None:
        return None
    if app.tenant.switch("sponsor_detail") == "minimal":
        return {"@odata.type": "#microsoft.graph.%s" % kind, "id": obj["id"]}
    item = graph.render_directory_object(kind, obj)
    defaults = {"user": graph.USER_DEFAULT_PROPERTIES, "group": graph.GROUP_DEFAULT_PROPERTIES}.get(kind)
    if defaults is not None:
        item = {"@odata.type": item["@odata.type"], **{name: item[name] for name in defaults if name in item}}
    return item


def list_sponsors(app, request, version, org, kind):
    items = [render_sponsor(app, object_id) for object_id in org[kind]]
    items = [item for item in items if item is not None]
    return graph.list_response(app, request, version, items, None, "directoryObjects")


def _invalid_reference():
    return graph.GraphError(400, "Request_BadRequest", "Invalid URL format specified in @odata.id.")


def parse_reference(app, odata_id):
    """Return (collection, object id) from an @odata.id URL on this Graph host.

    The URL must be ``{graph_url}/{v1.0|beta}/{users|groups|directoryObjects}/{id}``.
    """
    if not isinstance(odata_id, str):
        raise _invalid_reference()
    url = urllib.parse.urlsplit(odata_id)
    expected = urllib.parse.urlsplit(app.graph_url)
    if (
        url.scheme.lower() != expected.scheme
        or url.netloc.lower() != expected.netloc.lower()
        or url.query
        or url.fragment
    ):
        raise _invalid_reference()
    segments = [urllib.parse.unquote(segment) for segment in url.path.split("/")[1:]]
    if (
        len(segments) != 3
        or segments[0].lower() not in graph.VERSIONS
        or segments[1].lower() not in ("users", "groups", "directoryobjects")
        or not segments[2]
    ):
        raise _invalid_reference()
    return segments[1].lower(), segments[2]


def add_sponsor(app, request, org_id, kind):
    body = graph.json_body(request)
    collection, object_id = parse_reference(app, body.get("@odata.id"))

    object_kind, obj = app.tenant.find_directory_object(object_id)
    wrong_collection = (collection == "users" and object_kind != "user") or (
        collection == "groups" and object_kind != "group"
    )
    if object_kind is None or wrong_collection:
        raise graph.not_found(object_id)
    if object_kind not in ("user", "group"):
        raise graph.GraphError(
            400,
            "Request_BadRequest",
            "Object '%s' is a %s; a sponsor must be a user or a group." % (object_id, object_kind),
        )

    try:
        added = app.tenant.add_sponsor(org_id, kind, obj["id"])
    except KeyError:
        raise org_not_found(app, org_id) from None
    if added:
        return empty_response(204)

    behaviour = app.tenant.switch("duplicate_add")
    if behaviour == "no_content":
        return empty_response(204)
    if behaviour == "conflict":
        raise graph.GraphError(409, "Request_Conflict", "Object '%s' is already in '%s'." % (object_id, kind))
    raise graph.GraphError(
        400,
        "Request_BadRequest",
        "One or more added object references already exist for the following modified properties: '%s'." % kind,
    )


def remove_sponsor(app, org_id, kind, object_id):
    try:
        removed = app.tenant.remove_sponsor(org_id, kind, object_id)
    except KeyError:
        raise org_not_found(app, org_id) from None
    if removed:
        return empty_response(204)

    behaviour = app.tenant.switch("missing_remove")
    if behaviour == "no_content":
        return empty_response(204)
    if behaviour == "bad_request":
        raise graph.GraphError(
            400,
            "Request_BadRequest",
            "One or more removed object references do not exist for the following modified properties: '%s'." % kind,
        )
    raise graph.not_found(object_id)
