"""Graph listener of the emulator: token checks, faults, directory objects and JSON batching.

Connected organizations and their sponsors live in emulator_entitlement. Every response carries
``request-id`` and ``client-request-id`` headers, and errors use Graph's envelope
``{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}``.
"""

import json
import time
import urllib.parse

import emulator_entitlement
from emulator_http import GRAPH_JSON_TYPE, ConnectionAbort, Request, Response, json_response, log_entry, new_id
from emulator_odata import (
    ODataError,
    apply_select,
    decode_skiptoken,
    encode_skiptoken,
    parse_filter,
    parse_select,
    parse_top,
)

VERSIONS = ("v1.0", "beta")
MAX_BATCH_REQUESTS = 20
MAX_GET_BY_IDS = 1000

# Properties that GET returns without $select. Other stored properties need $select.
USER_DEFAULT_PROPERTIES = (
    "id",
    "displayName",
    "givenName",
    "surname",
    "userPrincipalName",
    "mail",
    "jobTitle",
    "businessPhones",
)
GROUP_DEFAULT_PROPERTIES = (
    "id",
    "displayName",
    "description",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "groupTypes",
)

_USER_READERS = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
_GROUP_READERS = ("Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
_DIRECTORY_READERS = ("Directory.Read.All", "Directory.ReadWrite.All")

_DEFAULT_FAULT_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Forbidden",
    404: "Request_ResourceNotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


class GraphError(Exception):
    """A Graph error response with its HTTP status, error code and message."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or []


def not_found(object_id):
    return GraphError(
        404,
        "Request_ResourceNotFound",
        "Resource '%s' does not exist or one of its queried reference-property objects are not present." % object_id,
    )


def method_not_allowed():
    return GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")


def invalid_json():
    return GraphError(
        400,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is "
        "set and payload is of valid JSON format.",
    )


def json_body(request):
    """Return the request body as a JSON object, raising GraphError if it is not one."""
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError):
        raise invalid_json() from None
    if not isinstance(body, dict):
        raise invalid_json()
    return body


# -- request entry point ----------------------------------------------------------------------


def handle(app, request, apply_latency=True):
    """Handle one Graph request: faults first, then latency, then token check and routing.

    A $batch sub-request comes through here too, with ``apply_latency`` False because latency
    applies once per HTTP request. A "reset" fault raises ConnectionAbort, which closes the
    whole connection even for a sub-request.
    """
    request.request_id = new_id()
    request.client_request_id_out = request.client_request_id or request.request_id

    fault = app.tenant.take_fault("graph", request.method, request.path)
    if fault is not None:
        if fault["action"] == "reset":
            raise ConnectionAbort()
        if fault["action"] == "delay":
            time.sleep(fault["seconds"])
        else:
            return _finish(request, fault_response(request, fault))

    if apply_latency:
        latency = app.tenant.switch("latency")
        if latency:
            time.sleep(latency)

    try:
        response = dispatch(app, request)
    except GraphError as error:
        response = error_response(request, error)
    except ODataError as error:
        response = error_response(request, GraphError(400, "BadRequest", str(error)))
    return _finish(request, response)


def _finish(request, response):
    response.headers.append(("request-id", request.request_id))
    response.headers.append(("client-request-id", request.client_request_id_out))
    return response


def error_envelope(request, code, message):
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
                "request-id": request.request_id,
                "client-request-id": request.client_request_id_out,
            },
        }
    }


def error_response(request, error):
    return json_response(
        error.status, error_envelope(request, error.code, error.message), GRAPH_JSON_TYPE, error.headers
    )


def fault_response(request, fault):
    """Build the response for an injected fault: Graph's envelope unless a raw body was given."""
    headers = []
    if fault["retry_after"] is not None:
        headers.append(("Retry-After", fault["retry_after"]))
    if fault["body"] is not None:
        return Response(
            fault["status"],
            fault["body"].encode("utf-8"),
            fault["content_type"] or "text/plain; charset=utf-8",
            headers,
        )
    code = fault["code"] or _DEFAULT_FAULT_CODES.get(fault["status"], "UnknownError")
    message = fault["message"] or "Injected fault: HTTP %d." % fault["status"]
    return json_response(
        fault["status"], error_envelope(request, code, message), fault["content_type"] or GRAPH_JSON_TYPE, headers
    )


# -- authentication ---------------------------------------------------------------------------


def authenticate(app, request):
    """Return the roles of the request's bearer token, raising GraphError 401 if it is invalid."""
    challenge = [
        (
            "WWW-Authenticate",
            'Bearer realm="", authorization_uri="%s/common/oauth2/authorize", '
            'client_id="00000003-0000-0000-c000-000000000000"' % app.login_url,
        )
    ]
    scheme, _separator, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", challenge)
    record = app.tenant.lookup_token(token)
    if record is None:
        raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure.", challenge)
    if record["audience"] != app.graph_url:
        raise GraphError(
            401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", challenge
        )
    if record["expires_at"] <= time.time():
        raise GraphError(
            401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", challenge
        )
    return record["roles"]


def require_role(roles, accepted, code, message):
    """Raise GraphError 403 unless ``roles`` contains one of ``accepted``."""
    if not roles:
        raise GraphError(403, "AccessDenied", "Either scp or roles claim need to be present in the token.")
    if not set(roles) & set(accepted):
        raise GraphError(403, code, message)


def require_directory_role(roles, accepted):
    require_role(roles, accepted, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


# -- routing ----------------------------------------------------------------------------------


def dispatch(app, request):
    segments = list(request.segments)
    if segments and segments[-1] == "" and len(segments) > 1:
        segments.pop()
    if not segments or segments[0].lower() not in VERSIONS:
        raise GraphError(
            404, "NotFound", "Microsoft Graph paths start with /v1.0 or /beta; '%s' does not." % request.path
        )
    version = segments[0].lower()
    rest = segments[1:]
    names = [segment.lower() for segment in rest]

    roles = authenticate(app, request)
    check_query_options(request)

    if names == ["$batch"]:
        if request.method != "POST":
            raise method_not_allowed()
        if getattr(request, "in_batch", False):
            raise GraphError(400, "BadRequest", "A $batch request cannot contain another $batch.")
        return batch(app, request, version)

    if names[:1] == ["me"]:
        raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")

    if names[:3] == ["identitygovernance", "entitlementmanagement", "connectedorganizations"]:
        return emulator_entitlement.route(app, request, version, roles, rest[3:])

    if names[:1] == ["users"] and len(rest) <= 2:
        require_directory_role(roles, _USER_READERS)
        if request.method != "GET":
            raise method_not_allowed()
        if len(rest) == 1:
            items = [render_user(user) for user in app.tenant.list_users()]
            return list_response(app, request, version, items, "user", "users")
        user = app.tenant.find_user(rest[1])
        if user is None:
            raise not_found(rest[1])
        return entity_response(app, request, version, render_user(user), "user", "users")

    if names[:1] == ["groups"] and len(rest) <= 2:
        require_directory_role(roles, _GROUP_READERS)
        if request.method != "GET":
            raise method_not_allowed()
        if len(rest) == 1:
            items = [render_group(group) for group in app.tenant.list_groups()]
            return list_response(app, request, version, items, "group", "groups")
        group = app.tenant.find_group(rest[1])
        if group is None:
            raise not_found(rest[1])
        return entity_response(app, request, version, render_group(group), "group", "groups")

    if names[:1] == ["directoryobjects"] and len(rest) == 2:
        require_directory_role(roles, _DIRECTORY_READERS)
        if names[1] == "getbyids":
            if request.method != "POST":
                raise method_not_allowed()
            return get_by_ids(app, request, version)
        if request.method != "GET":
            raise method_not_allowed()
        kind, obj = app.tenant.find_directory_object(rest[1])
        if kind is None:
            raise not_found(rest[1])
        return entity_response(app, request, version, render_directory_object(kind, obj), None, "directoryObjects")

    # Name the first segment that no route accepts, as Graph does.
    known_roots = ("users", "groups", "directoryobjects")
    if names[:1] and names[0] in known_roots and len(rest) > 2:
        unknown = rest[2]
    else:
        unknown = rest[0] if rest else version
    raise GraphError(400, "BadRequest", "Resource not found for the segment '%s'." % unknown)


_SUPPORTED_OPTIONS = ("$filter", "$select", "$top", "$count", "$skiptoken")


def check_query_options(request):
    for name in request.query:
        if name.startswith("$") and name not in _SUPPORTED_OPTIONS:
            raise GraphError(
                400,
                "BadRequest",
                "Query option '%s' is not supported by the emulator; it supports "
                "%s." % (name, ", ".join(_SUPPORTED_OPTIONS)),
            )
    if request.query.get("$count", "true").lower() not in ("true", "false"):
        raise GraphError(400, "BadRequest", "Invalid value for $count: expected true or false.")


# -- rendering and listing --------------------------------------------------------------------


def render_user(user):
    return {"@odata.type": "#microsoft.graph.user", **user}


def render_group(group):
    return {"@odata.type": "#microsoft.graph.group", **group}


def render_directory_object(kind, obj):
    return {"@odata.type": "#microsoft.graph.%s" % kind, **obj}


def _default_view(item, entity_type):
    defaults = {"user": USER_DEFAULT_PROPERTIES, "group": GROUP_DEFAULT_PROPERTIES}.get(entity_type)
    if defaults is None:
        return item
    return apply_select(item, defaults)


def _select(item, names, entity_type):
    """Apply $select, rejecting a property the entity type does not have."""
    if names is None:
        return _default_view(item, entity_type)
    if entity_type is not None:
        for name in names:
            if name not in item:
                raise ODataError(
                    "Could not find a property named '%s' on type 'microsoft.graph.%s'." % (name, entity_type)
                )
    return apply_select(item, names)


def entity_response(app, request, version, item, entity_type, context_path):
    if "$filter" in request.query:
        raise GraphError(400, "BadRequest", "$filter is not supported on a single entity.")
    names = parse_select(request.query.get("$select"))
    body = {"@odata.context": "%s/%s/$metadata#%s/$entity" % (app.graph_url, version, context_path)}
    body.update(_select(item, names, entity_type))
    return json_response(200, body, GRAPH_JSON_TYPE)


def list_response(app, request, version, items, entity_type, context_path):
    """Return the response to a collection GET with $filter, $select, $count and paging applied."""
    if "$filter" in request.query:
        if entity_type is None:
            raise GraphError(400, "BadRequest", "The emulator does not support $filter here.")
        predicate = parse_filter(request.query["$filter"], entity_type)
        items = [item for item in items if predicate(item)]
    names = parse_select(request.query.get("$select"))
    items = [_select(item, names, entity_type) for item in items]
    return json_response(200, page(app, request, version, items, context_path), GRAPH_JSON_TYPE)


def page(app, request, version, items, context_path):
    """Return one page of ``items`` with @odata.nextLink when more remain.

    The page size is the page_size switch, lowered by $top. $top never raises it, so paging is
    exercised even when a client asks for big pages.
    """
    size = app.tenant.switch("page_size")
    top = parse_top(request.query.get("$top"))
    if top is not None:
        size = min(size, top)
    offset = 0
    if "$skiptoken" in request.query:
        offset = decode_skiptoken(request.query["$skiptoken"])

    body = {"@odata.context": "%s/%s/$metadata#%s" % (app.graph_url, version, context_path)}
    if request.query.get("$count", "").lower() == "true":
        body["@odata.count"] = len(items)
    body["value"] = items[offset : offset + size]
    if offset + size < len(items):
        params = [(name, value) for name, value in request.query.items() if name != "$skiptoken"]
        params.append(("$skiptoken", encode_skiptoken(offset + size)))
        query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="$'(),:@")
        body["@odata.nextLink"] = "%s%s?%s" % (app.graph_url, request.raw_path, query)
    return body


def get_by_ids(app, request, version):
    body = json_body(request)
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise GraphError(400, "Request_BadRequest", "Invalid request: 'ids' must be a non-empty list of object ids.")
    if len(ids) > MAX_GET_BY_IDS:
        raise GraphError(400, "Request_BadRequest", "Invalid request: 'ids' can hold at most %d ids." % MAX_GET_BY_IDS)
    types = body.get("types")
    if types is not None and (not isinstance(types, list) or not all(isinstance(t, str) for t in types)):
        raise GraphError(400, "Request_BadRequest", "Invalid request: 'types' must be a list of type names.")
    requested_types = {t.lower() for t in types} if types else None

    names = parse_select(request.query.get("$select"))
    found = []
    for object_id in ids:
        kind, obj = app.tenant.find_directory_object(object_id)
        if kind is None or (requested_types is not None and kind.lower() not in requested_types):
            continue
        found.append(apply_select(render_directory_object(kind, obj), names))
    return json_response(
        200,
        {
            "@odata.context": "%s/%s/$metadata#directoryObjects" % (app.graph_url, version),
            "value": found,
        },
        GRAPH_JSON_TYPE,
    )


# -- JSON batching ----------------------------------------------------------------------------


def batch(app, request, version):
    """Run up to 20 sub-requests in order through handle() and collect their responses."""
    body = json_body(request)
    subrequests = body.get("requests")
    if not isinstance(subrequests, list) or not subrequests:
        raise GraphError(400, "BadRequest", "Invalid batch payload format: 'requests' must be a non-empty list.")
    if len(subrequests) > MAX_BATCH_REQUESTS:
        raise GraphError(
            400,
            "BadRequest",
            "The batch contains %d requests; the limit is %d." % (len(subrequests), MAX_BATCH_REQUESTS),
        )
    _validate_batch(subrequests)

    statuses = {}
    responses = []
    for sub in subrequests:
        response = _run_subrequest(app, request, version, sub, statuses)
        statuses[sub["id"]] = response.status
        responses.append(_render_subresponse(sub["id"], response))
    return json_response(200, {"responses": responses}, GRAPH_JSON_TYPE)


def _validate_batch(subrequests):
    seen = set()
    for sub in subrequests:
        if not isinstance(sub, dict):
            raise GraphError(400, "BadRequest", "Invalid batch payload format: each request must be a JSON object.")
        sub_id, method, url = sub.get("id"), sub.get("method"), sub.get("url")
        if not isinstance(sub_id, str) or not sub_id:
            raise GraphError(400, "BadRequest", "Every batch request needs a string 'id'.")
        if sub_id in seen:
            raise GraphError(400, "BadRequest", "Batch request id '%s' is used twice." % sub_id)
        if not isinstance(method, str) or method.upper() not in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            raise GraphError(400, "BadRequest", "Batch request '%s' has an invalid method %r." % (sub_id, method))
        if not isinstance(url, str) or not url:
            raise GraphError(400, "BadRequest", "Batch request '%s' needs a 'url'." % sub_id)
        split = urllib.parse.urlsplit(url)
        if split.scheme or split.netloc:
            raise GraphError(
                400,
                "BadRequest",
                "Batch request '%s' has the absolute URL '%s'; batch URLs must be "
                "relative to the version, such as '/users/{id}'." % (sub_id, url),
            )
        depends_on = sub.get("dependsOn", [])
        if not isinstance(depends_on, list) or any(d not in seen for d in depends_on):
            raise GraphError(
                400, "BadRequest", "Batch request '%s' depends on an id that is not an earlier request." % sub_id
            )
        if "headers" in sub and not isinstance(sub["headers"], dict):
            raise GraphError(400, "BadRequest", "Batch request '%s' has 'headers' that are not an object." % sub_id)
        seen.add(sub_id)


def _run_subrequest(app, request, version, sub, statuses):
    sub_headers = {str(name).lower(): str(value) for name, value in sub.get("headers", {}).items()}
    target = "/%s/%s" % (version, sub["url"].lstrip("/"))
    sub_request = Request("graph", sub["method"], target, {}, b"")
    sub_request.request_id = new_id()
    sub_request.client_request_id_out = request.client_request_id_out

    failed = [d for d in sub.get("dependsOn", []) if statuses[d] >= 400]
    if failed:
        error = GraphError(
            424,
            "FailedDependency",
            "Batch request '%s' was not run because request '%s' failed." % (sub["id"], failed[0]),
        )
        response = error_response(sub_request, error)
        app.tenant.record(log_entry("graph", sub_request, response.status, sub["id"]))
        return response

    has_body = "body" in sub and sub["body"] is not None
    if has_body and "content-type" not in sub_headers:
        error = GraphError(
            400, "BadRequest", "Write request id : %s does not contain Content-Type header or body." % sub["id"]
        )
        response = error_response(sub_request, error)
        app.tenant.record(log_entry("graph", sub_request, response.status, sub["id"]))
        return response

    body = b""
    if has_body:
        payload = sub["body"]
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
    headers = dict(sub_headers)
    # Sub-requests run with the batch's token, even if their own headers contain another one.
    headers["authorization"] = request.headers.get("authorization", "")
    sub_request = Request("graph", sub["method"], target, headers, body)
    sub_request.client_request_id = sub_request.client_request_id or request.client_request_id_out
    sub_request.in_batch = True

    response = handle(app, sub_request, apply_latency=False)
    app.tenant.record(log_entry("graph", sub_request, response.status, sub["id"]))
    return response


def _render_subresponse(sub_id, response):
    subresponse = {"id": sub_id, "status": response.status, "headers": dict(response.headers)}
    if response.body:
        content_type = response.header("Content-Type") or ""
        text = response.body.decode("utf-8")
        subresponse["body"] = text
        if "json" in content_type:
            try:
                subresponse["body"] = json.loads(text)
            except ValueError:
                pass
    return subresponse
