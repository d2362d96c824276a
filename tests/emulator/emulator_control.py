"""Control API of the emulator under /_emulator on the Graph listener.

It needs no token, and faults, latency and the request log do not apply to it. Errors are
``{"error": "<message>"}`` with status 400, 404 or 405.
"""

from emulator_http import json_response
from emulator_state import SPONSOR_KINDS, StateError


class ControlError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def handle(app, request):
    """Handle one request whose path starts with /_emulator."""
    try:
        return json_response(*_route(app, request))
    except StateError as error:
        return json_response(400, {"error": str(error)})
    except LookupError as error:
        return json_response(404, {"error": str(error.args[0] if error.args else error)})
    except ControlError as error:
        return json_response(error.status, {"error": str(error)})


def _body(request):
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError):
        raise ControlError(400, "the request body must be valid JSON") from None


def _route(app, request):
    segments = [segment for segment in request.segments[1:] if segment]
    names = [segment.lower() for segment in segments]
    method = request.method
    state = app.tenant

    def allow(*methods):
        if method not in methods:
            raise ControlError(405, "%s is not allowed on %s; use %s" % (method, request.path, " or ".join(methods)))

    if names == ["state"]:
        allow("GET")
        return 200, state.snapshot()

    if names[:2] == ["state", "connectedorganizations"] and len(names) == 3:
        allow("GET")
        org = state.get_organization(segments[2])
        if org is None:
            raise LookupError("connected organization %r not found" % segments[2])
        return 200, org

    if names == ["reset"]:
        allow("POST")
        state.reset()
        return 200, {"reset": True}

    if names == ["requests"]:
        allow("GET", "DELETE")
        if method == "DELETE":
            state.clear_requests()
            return 200, {"cleared": True}
        return 200, state.requests()

    if names == ["faults"]:
        allow("GET", "POST", "DELETE")
        if method == "POST":
            return 201, state.add_fault(_body(request))
        if method == "DELETE":
            state.clear_faults()
            return 200, {"cleared": True}
        return 200, state.list_faults()

    if names == ["config"]:
        allow("GET", "POST")
        if method == "POST":
            changes = _body(request)
            if not isinstance(changes, dict):
                raise ControlError(400, "the config body must be a JSON object of switches")
            return 200, state.configure(changes)
        return 200, state.get_switches()

    if names[:1] == ["connectedorganizations"] and len(names) == 3:
        allow("PUT")
        kind = next((k for k in SPONSOR_KINDS if k.lower() == names[2]), None)
        if kind is None:
            raise ControlError(404, "unknown sponsor list %r; use internalSponsors or externalSponsors" % segments[2])
        body = _body(request)
        if not isinstance(body, dict) or "ids" not in body:
            raise ControlError(400, 'the body must be {"ids": [...]}')
        return 200, state.set_sponsors(segments[1], kind, body["ids"])

    if names == ["users"]:
        allow("POST")
        return 201, state.add_user(_body(request))

    if names == ["groups"]:
        allow("POST")
        return 201, state.add_group(_body(request))

    if names == ["tokens", "expire"]:
        allow("POST")
        return 200, {"expired": state.expire_tokens()}

    raise ControlError(404, "unknown control path %s" % request.path)
