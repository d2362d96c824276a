# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fakes at the HTTP boundary for the unit tests: responses, a session, a token provider and a small Graph.

Nothing here opens a socket. The URLs point at 127.0.0.1 only so that a fake that
leaked into a real request would go nowhere.
"""

import itertools
import json
import re
import uuid
from http.client import responses as HTTP_REASONS
from urllib.parse import quote, unquote, urlsplit

import requests
from ansible_collections.entra.governance.plugins.module_utils.clouds import Endpoints
from ansible_collections.entra.governance.plugins.module_utils.graph import GraphClient

LOGIN_URL = "https://127.0.0.1:8443"
GRAPH_URL = "https://127.0.0.1:9443"
API_ROOT = GRAPH_URL + "/v1.0"
ORGANIZATIONS_URL = API_ROOT + "/identityGovernance/entitlementManagement/connectedOrganizations"
ORGANIZATIONS_PATH = ["identityGovernance", "entitlementManagement", "connectedOrganizations"]

USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"
SERVICE_PRINCIPAL_TYPE = "#microsoft.graph.servicePrincipal"

# The timestamps the fake gives organizations: the first when created, each next one when changed.
ORGANIZATION_TIMESTAMPS = "2024-05-06T07:08:%02dZ"
# Properties of a connected organization that a PATCH may set, as Graph documents them.
UPDATABLE_ORGANIZATION_PROPERTIES = ("displayName", "description", "state")


def make_response(status, body=None, text=None, headers=None):
    """Build a real ``requests.Response``: ``body`` is sent as JSON, ``text`` as it is."""
    response = requests.Response()
    response.status_code = status
    response.reason = HTTP_REASONS.get(status, "")
    response.encoding = "utf-8"
    if body is not None:
        response._content = json.dumps(body).encode("utf-8")
        response.headers["Content-Type"] = "application/json"
    elif text is not None:
        response._content = text.encode("utf-8")
    else:
        response._content = b""
    response.headers.update(headers or {})
    return response


def error_response(
    status, code, message, request_id="11111111-2222-3333-4444-555555555555", date="2024-05-06T07:08:09", headers=None
):
    """Build a failed response carrying Graph's error envelope."""
    body = {"error": {"code": code, "message": message, "innerError": {"request-id": request_id, "date": date}}}
    return make_response(status, body=body, headers=headers)


class SentRequest:
    """One request the code under test sent: method, URL, decoded path and query, headers and JSON body."""

    def __init__(self, method, url, kwargs):
        self.method = method
        self.url = url
        self.kwargs = kwargs
        self.headers = kwargs.get("headers") or {}
        data = kwargs.get("data")
        self.body = json.loads(data) if data else None
        parts = urlsplit(url)
        self.raw_query = parts.query
        self.query = {
            name: unquote(value) for name, value in (pair.split("=", 1) for pair in parts.query.split("&") if pair)
        }
        self.segments = [unquote(segment) for segment in parts.path.split("/") if segment]


class FakeSession:
    """Stand-in for ``requests.Session`` that records each request and returns a canned response.

    The response comes from ``handler(sent_request)`` when a handler is given, otherwise from
    the ``responses`` queue in order. An exception in the queue is raised instead. With a
    handler, a JSON batch is unpacked and each sub-request goes to the handler.
    """

    def __init__(self, responses=(), handler=None):
        self.responses = list(responses)
        self.handler = handler
        self.sent = []
        # The JSON batches sent; their sub-requests are in ``sent``.
        self.batches = []

    def request(self, method, url, **kwargs):
        sent = SentRequest(method, url, kwargs)
        if self.handler is not None and method == "POST" and sent.segments[-1:] == ["$batch"]:
            return self._batch(sent)
        self.sent.append(sent)
        if self.handler is not None:
            return self.handler(sent)
        if not self.responses:
            raise AssertionError(f"unexpected request {method} {url}")
        answer = self.responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _batch(self, outer):
        """Respond to a JSON batch by sending each sub-request to the handler.

        Each sub-request is recorded in ``sent`` and the batch itself in ``batches``.
        """
        self.batches.append(outer)
        version_root = outer.url.rsplit("/", 1)[0]
        answers = []
        for item in outer.body["requests"]:
            assert not item["url"].startswith("http"), item["url"]
            kwargs = {"headers": item.get("headers") or {}}
            if item.get("body") is not None:
                kwargs["data"] = json.dumps(item["body"])
            sub = SentRequest(item["method"], version_root + item["url"], kwargs)
            sub.batch_id = item["id"]
            self.sent.append(sub)
            response = self.handler(sub)
            answer = {"id": item["id"], "status": response.status_code, "headers": dict(response.headers)}
            if response.content:
                answer["body"] = response.json()
            answers.append(answer)
        return make_response(200, body={"responses": answers})

    def writes(self):
        """Return the requests that change something: every POST, PATCH, PUT and DELETE but the getByIds query."""
        return [
            sent
            for sent in self.sent
            if sent.method in ("POST", "PATCH", "PUT", "DELETE") and sent.segments[-1] != "getByIds"
        ]


class FakeTokenProvider:
    """A token provider whose token changes each time it is invalidated."""

    def __init__(self):
        self.generation = 1
        self.invalidations = 0

    def get_token(self):
        return f"token-{self.generation}"

    def invalidate(self):
        self.invalidations += 1
        self.generation += 1


class Recorder:
    """A callable that stores its arguments, used as ``sleep`` and ``log``."""

    def __init__(self):
        self.calls = []

    def __call__(self, value):
        self.calls.append(value)


def make_client(session, api_version="v1.0", jitter=0.5, **kwargs):
    """Build a GraphClient on the fake endpoints, with recorded sleeps (``client.sleep.calls``) and log."""
    endpoints = Endpoints("public", LOGIN_URL, GRAPH_URL, api_version)
    return GraphClient(
        endpoints, FakeTokenProvider(), session, sleep=Recorder(), log=Recorder(), jitter=lambda: jitter, **kwargs
    )


def make_fake_msal_application():
    """Return a new stand-in class for ``msal.ConfidentialClientApplication``.

    The class stores each instance in ``created`` with its constructor arguments, raises
    ``constructor_error`` from the constructor when set, and returns ``token_result`` from
    ``acquire_token_for_client``.
    """

    class FakeApplication:
        constructor_error = None

        def __init__(self, client_id, **kwargs):
            if FakeApplication.constructor_error is not None:
                raise FakeApplication.constructor_error
            self.client_id = client_id
            self.kwargs = kwargs
            self.scopes = []
            self.removals = 0
            FakeApplication.created.append(self)

        def acquire_token_for_client(self, scopes):
            self.scopes.append(scopes)
            return FakeApplication.token_result

        def remove_tokens_for_client(self):
            self.removals += 1

    FakeApplication.created = []
    FakeApplication.token_result = {"access_token": "issued-token", "token_type": "Bearer", "expires_in": 3599}
    return FakeApplication


def _not_found(resource):
    return error_response(
        404,
        "Request_ResourceNotFound",
        f"Resource '{resource}' does not exist or one of its queried reference-property objects are not present.",
    )


_STRING_LITERAL = r"'((?:[^']|'')*)'"
_DISPLAY_NAME_FILTER = re.compile(rf"^displayName eq {_STRING_LITERAL}$")
_USER_FILTER = re.compile(rf"^userPrincipalName eq {_STRING_LITERAL} or mail eq {_STRING_LITERAL}$")


def _literal(text):
    return text.replace("''", "'")


class FakeGraph:
    """A small in-memory Graph that serves the requests the collection sends.

    It serves only the requests of ``directory.py``, ``sponsors.py`` and ``organizations.py``
    and fails the test on any other. Sponsor lists and organization lists come in pages of
    ``page_size`` items. Sponsor items are only ``@odata.type`` and ``id``, as in Graph's
    documented example, unless ``full_sponsors``. A PATCH of an organization gets
    ``patch_status`` (Graph documents 202 for v1.0 and 204 for beta).
    ``fail(method, last_segment, response)`` makes the next matching request get ``response``.
    ``after(method, last_segment, action)`` calls ``action()`` right after each matching
    request gets its response, as a client that changes the directory between two requests would.
    """

    def __init__(self, page_size=2, full_sponsors=False, patch_status=202):
        self.page_size = page_size
        self.full_sponsors = full_sponsors
        self.patch_status = patch_status
        self.objects = {}
        self.organizations = {}
        self.failures = []
        self.actions = []
        self._seconds = itertools.count()

    def add_user(self, object_id, display_name, upn, mail=None):
        self.objects[object_id] = {
            "@odata.type": USER_TYPE,
            "id": object_id,
            "displayName": display_name,
            "userPrincipalName": upn,
            "mail": mail,
        }

    def add_group(self, object_id, display_name):
        self.objects[object_id] = {"@odata.type": GROUP_TYPE, "id": object_id, "displayName": display_name}

    def add_service_principal(self, object_id, display_name):
        self.objects[object_id] = {"@odata.type": SERVICE_PRINCIPAL_TYPE, "id": object_id, "displayName": display_name}

    def add_organization(
        self, object_id, display_name, internal=(), external=(), description=None, state="configured", source=None
    ):
        """Add a connected organization; ``source`` is its one identity source as Graph returns it."""
        stamp = ORGANIZATION_TIMESTAMPS % next(self._seconds)
        self.organizations[object_id] = {
            "id": object_id,
            "displayName": display_name,
            "description": description,
            "state": state,
            "identitySources": [source] if source else [],
            "createdDateTime": stamp,
            "modifiedDateTime": stamp,
            "internal": list(internal),
            "external": list(external),
        }

    def organization_item(self, object_id):
        """Return the organization as Graph's GET returns it: every property, no sponsors."""
        organization = self.organizations[object_id]
        return {key: value for key, value in organization.items() if key not in ("internal", "external")}

    def sponsors(self, organization_id, sponsor_type="internal"):
        return sorted(self.organizations[organization_id][sponsor_type])

    def fail(self, method, last_segment, response):
        self.failures.append((method, last_segment, response))

    def after(self, method, last_segment, action):
        self.actions.append((method, last_segment, action))

    def __call__(self, sent):
        response = self._answer(sent)
        for method, last_segment, action in self.actions:
            if sent.method == method and sent.segments[-1] == last_segment:
                action()
        return response

    def _answer(self, sent):
        for index, (method, last_segment, response) in enumerate(self.failures):
            if sent.method == method and sent.segments[-1] == last_segment:
                del self.failures[index]
                return response

        assert sent.url.startswith(GRAPH_URL + "/"), sent.url
        path = sent.segments[1:]  # without the API version
        if path[:3] == ORGANIZATIONS_PATH:
            return self._organizations(sent, path[3:])
        if path == ["users"] and sent.method == "GET":
            return self._find_users(sent)
        if path == ["groups"] and sent.method == "GET":
            return self._find_groups(sent)
        if path == ["directoryObjects", "getByIds"] and sent.method == "POST":
            items = [self.objects[object_id] for object_id in sent.body["ids"] if object_id in self.objects]
            return make_response(200, body={"value": items})
        if len(path) == 2 and path[0] == "directoryObjects" and sent.method == "GET":
            found = self.objects.get(path[1].lower())
            return make_response(200, body=found) if found else _not_found(path[1])
        raise AssertionError(f"the fake Graph has no route for {sent.method} {sent.url}")

    def _organizations(self, sent, rest):
        if not rest and sent.method == "GET":
            found = [self.organization_item(object_id) for object_id in self.organizations]
            if "$filter" in sent.query:
                match = _DISPLAY_NAME_FILTER.match(sent.query["$filter"])
                name = _literal(match.group(1)).lower()
                found = [item for item in found if item["displayName"].lower() == name]
            return self._page(sent, found)
        if not rest and sent.method == "POST":
            return self._create_organization(sent.body)

        organization = self.organizations.get(rest[0].lower())
        if organization is None:
            return _not_found(rest[0])
        if len(rest) == 1 and sent.method == "GET":
            return make_response(200, body=self.organization_item(organization["id"]))
        if len(rest) == 1 and sent.method == "PATCH":
            return self._update_organization(organization, sent.body)
        if len(rest) == 1 and sent.method == "DELETE":
            del self.organizations[organization["id"]]
            return make_response(204)

        sponsor_type = rest[1][: -len("Sponsors")]
        sponsors = organization[sponsor_type]
        if len(rest) == 2 and sent.method == "GET":
            return self._sponsor_page(sent, sponsors)
        if rest[2:] == ["$ref"] and sent.method == "POST":
            object_id = sent.body["@odata.id"].rsplit("/", 1)[-1]
            if object_id in sponsors:
                return error_response(
                    400,
                    "Request_BadRequest",
                    "One or more added object references already "
                    f"exist for the following modified properties: '{sponsor_type}Sponsors'.",
                )
            sponsors.append(object_id)
            return make_response(204)
        if len(rest) == 4 and rest[3] == "$ref" and sent.method == "DELETE":
            if rest[2] not in sponsors:
                return _not_found(rest[2])
            sponsors.remove(rest[2])
            return make_response(204)
        raise AssertionError(f"the fake Graph has no route for {sent.method} {sent.url}")

    def _create_organization(self, body):
        allowed = ("displayName", "description", "identitySources", "state")
        invalid = sorted(set(body) - set(allowed))
        if invalid or len(body.get("identitySources") or []) != 1:
            return error_response(400, "BadRequest", f"The model is invalid. Unexpected properties {invalid}.")
        object_id = str(uuid.uuid4())
        self.add_organization(
            object_id,
            body["displayName"],
            description=body.get("description"),
            state=body.get("state", "configured"),
            source=body["identitySources"][0],
        )
        return make_response(201, body=self.organization_item(object_id))

    def _update_organization(self, organization, body):
        invalid = sorted(set(body) - set(UPDATABLE_ORGANIZATION_PROPERTIES))
        if invalid:
            return error_response(400, "BadRequest", f"The model is invalid. Properties {invalid} cannot be updated.")
        organization.update(body)
        organization["modifiedDateTime"] = ORGANIZATION_TIMESTAMPS % next(self._seconds)
        return make_response(self.patch_status)

    def _page(self, sent, items):
        start = int(sent.query.get("$skiptoken", "0"))
        body = {"value": items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            base_url = sent.url.split("?")[0]
            query = {name: value for name, value in sent.query.items() if name != "$skiptoken"}
            query["$skiptoken"] = str(start + self.page_size)
            encoded = "&".join(f"{name}={quote(value, safe='')}" for name, value in query.items())
            body["@odata.nextLink"] = f"{base_url}?{encoded}"
        return make_response(200, body=body)

    def _sponsor_page(self, sent, sponsor_ids):
        start = int(sent.query.get("$skiptoken", "0"))
        page = sponsor_ids[start : start + self.page_size]
        items = []
        for object_id in page:
            item = self.objects[object_id]
            items.append(dict(item) if self.full_sponsors else {"@odata.type": item["@odata.type"], "id": object_id})
        body = {"value": items}
        if start + self.page_size < len(sponsor_ids):
            base_url = sent.url.split("?")[0]
            body["@odata.nextLink"] = f"{base_url}?$skiptoken={start + self.page_size}"
        return make_response(200, body=body)

    def _find_users(self, sent):
        match = _USER_FILTER.match(sent.query["$filter"])
        upn, mail = _literal(match.group(1)).lower(), _literal(match.group(2)).lower()
        found = [
            item
            for item in self.objects.values()
            if item["@odata.type"] == USER_TYPE
            and ((item["userPrincipalName"] or "").lower() == upn or (item["mail"] or "").lower() == mail)
        ]
        return make_response(200, body={"value": found})

    def _find_groups(self, sent):
        match = _DISPLAY_NAME_FILTER.match(sent.query["$filter"])
        name = _literal(match.group(1)).lower()
        found = [
            item
            for item in self.objects.values()
            if item["@odata.type"] == GROUP_TYPE and item["displayName"].lower() == name
        ]
        return make_response(200, body={"value": found})
