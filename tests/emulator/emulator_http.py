"""Request and response types shared by the emulator's login, Graph and control handlers.

Handlers are plain functions from Request to Response, so that a $batch sub-request can go
through the same Graph handler as a request that arrived over HTTP.
"""

import json
import time
import urllib.parse
import uuid

JSON_TYPE = "application/json; charset=utf-8"
# The content type Graph sends with JSON bodies. Clients that compare it with
# "application/json" for equality break against Graph and against the emulator alike.
GRAPH_JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

# Query parameters whose values never go into the request log.
_SECRET_PARAMETERS = {
    "client_secret",
    "client_assertion",
    "access_token",
    "code",
    "assertion",
    "refresh_token",
    "password",
}


class ConnectionAbort(Exception):
    """Raised by a handler to close the connection without sending a response."""


class Request:
    """An HTTP request as the handlers see it.

    ``path`` is the percent-decoded path and ``segments`` its decoded segments, so an encoded
    '/' (%2F) or '#' (%23) stays inside its segment. ``query`` maps each parameter name to its
    last value. ``headers`` maps lower-cased names to values.
    """

    def __init__(self, listener, method, target, headers, body=b""):
        self.listener = listener
        self.method = method.upper()
        split = urllib.parse.urlsplit(target)
        self.raw_path = split.path
        self.raw_query = split.query
        raw_segments = split.path.split("/")[1:]
        self.segments = [urllib.parse.unquote(segment) for segment in raw_segments]
        self.path = "/" + "/".join(self.segments)
        self.query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        self.headers = {name.lower(): value for name, value in headers.items()}
        self.body = body
        self.client_request_id = self.headers.get("client-request-id") or None

    def json(self):
        """Return the body parsed as JSON, raising ValueError if it is not valid JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        """Return the body parsed as application/x-www-form-urlencoded, last value wins."""
        return dict(urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


class Response:
    """An HTTP response: status, header list and body bytes."""

    def __init__(self, status, body=b"", content_type=None, headers=None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        if content_type and body:
            self.headers.append(("Content-Type", content_type))

    def header(self, name):
        """Return the first value of header ``name`` (any case), or None."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


def json_response(status, payload, content_type=JSON_TYPE, headers=None):
    return Response(status, json.dumps(payload).encode("utf-8"), content_type, headers)


def empty_response(status, headers=None):
    return Response(status, b"", None, headers)


def new_id():
    return str(uuid.uuid4())


def log_entry(listener, request, status, batch_id=None):
    """Return the request-log entry for a request: no headers, no body, no secret values."""
    query = {name: ("***" if name.lower() in _SECRET_PARAMETERS else value) for name, value in request.query.items()}
    entry = {
        "listener": listener,
        "method": request.method,
        "path": request.path,
        "raw_path": request.raw_path,
        "query": query,
        "status": status,
        "time": time.time(),
    }
    if batch_id is not None:
        entry["batch_id"] = batch_id
    return entry
