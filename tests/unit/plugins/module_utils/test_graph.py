# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import email.utils

import pytest
import requests
from ansible_collections.entra.governance.plugins.module_utils import graph
from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    API_ROOT,
    GRAPH_URL,
    FakeSession,
    error_response,
    make_client,
    make_response,
)

USERS_URL = API_ROOT + "/users"
NOW = 1700000000.0


def throttled(status=429, retry_after=None, request_id="r-throttled"):
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return error_response(status, "TooManyRequests", "Too many requests.", request_id=request_id, headers=headers)


def ok(body=None):
    return make_response(200, body={"value": []} if body is None else body)


def send_get(responses, **client_options):
    """Send GET USERS_URL through a client whose session returns ``responses``, and return the client.

    ``client.session.sent`` lists the requests and ``client.sleep.calls`` the retry delays.
    """
    client = make_client(FakeSession(responses), **client_options)
    client.request("GET", USERS_URL, "list users")
    return client


def send_get_failing(responses, **client_options):
    """Send GET USERS_URL like send_get, expect a GraphError, and return the client and the error."""
    client = make_client(FakeSession(responses), **client_options)
    with pytest.raises(GraphError) as caught:
        client.request("GET", USERS_URL, "list users")
    return client, caught.value


def get_error(responses):
    """Return the GraphError of a GET USERS_URL whose session returns ``responses``."""
    return send_get_failing(responses)[1]


# Retry-After and back-off


@pytest.mark.parametrize("status", [429, 503, 504])
def test_retry_after_fractional(status):
    client = send_get([throttled(status, "2.128"), ok()])

    assert client.sleep.calls == [2.128]
    assert len(client.session.sent) == 2


def test_retry_after_integer():
    client = send_get([throttled(retry_after="3"), throttled(retry_after="1"), ok()])

    assert client.sleep.calls == [3.0, 1.0]
    assert len(client.session.sent) == 3


def test_retry_after_http_date():
    retry_at = email.utils.formatdate(NOW + 7, usegmt=True)

    client = send_get([throttled(retry_after=retry_at), ok()], clock=lambda: NOW)

    assert client.sleep.calls == [7.0]


def test_retry_after_past_date():
    client = send_get([throttled(retry_after="Wed, 21 Oct 2015 07:28:00 GMT"), ok()])

    assert client.sleep.calls == [0.0]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2.128", 2.128),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("nan", 0.0),
        (email.utils.formatdate(NOW + 42, usegmt=True), 42.0),
        (email.utils.formatdate(NOW - 42, usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, expected):
    assert graph.parse_retry_after(value, now=NOW) == expected


def test_backoff_without_retry_after():
    client = send_get([throttled(503)] * 5 + [ok()], jitter=0.5)

    assert client.sleep.calls == [1.5, 3.0, 6.0, 12.0, 24.0]


@pytest.mark.parametrize("jitter, expected", [(0.0, [1.0, 2.0, 4.0]), (0.99, [1.99, 3.98, 7.96])])
def test_backoff_jitter(jitter, expected):
    client = send_get([throttled(504)] * 3 + [ok()], jitter=jitter)

    assert client.sleep.calls == pytest.approx(expected)


def test_unparsable_retry_after_backs_off():
    client = send_get([throttled(retry_after="later"), ok()], jitter=0.0)

    assert client.sleep.calls == [1.0]


def test_retry_delay_capped():
    client = send_get([throttled(retry_after="1000"), ok()])

    assert client.sleep.calls == [graph.MAX_RETRY_DELAY]


def test_backoff_delay_capped():
    client = send_get([throttled(503)] * 7 + [ok()], jitter=0.25, max_retries=8)

    assert client.sleep.calls == [1.25, 2.5, 5.0, 10.0, 20.0, 40.0, graph.MAX_RETRY_DELAY]


def test_total_delay_capped():
    responses = [throttled(retry_after="60", request_id=f"r-{number}") for number in range(1, 6)]

    client, error = send_get_failing(responses, monotonic=lambda: NOW)

    assert client.sleep.calls == [60.0, 60.0, 60.0]
    assert sum(client.sleep.calls) <= graph.MAX_TOTAL_RETRY_DELAY
    assert len(client.session.sent) == 4
    assert error.request_id == "r-4"


def test_backoff_total_capped():
    client, error = send_get_failing([throttled(503)] * 9, jitter=0.25, max_retries=8)

    assert client.sleep.calls == [1.25, 2.5, 5.0, 10.0, 20.0, 40.0, 60.0]
    assert len(client.session.sent) == 8
    assert error.status == 503


def test_max_retries_then_error():
    client, error = send_get_failing([throttled(retry_after="1")] * 6)

    assert len(client.session.sent) == 1 + graph.DEFAULT_MAX_RETRIES
    assert client.sleep.calls == [1.0] * graph.DEFAULT_MAX_RETRIES
    assert error.status == 429
    assert error.code == "TooManyRequests"


def test_max_retries_option():
    client, _error = send_get_failing([throttled(retry_after="1")] * 3, max_retries=2)

    assert len(client.session.sent) == 3
    assert client.sleep.calls == [1.0, 1.0]


def test_retry_logged_without_token():
    client = send_get([throttled(retry_after="2.128", request_id="r-7"), ok()])

    assert len(client.log.calls) == 1
    assert "HTTP 429" in client.log.calls[0]
    assert "request-id r-7" in client.log.calls[0]
    assert "retry 1 of 5 in 2.13 s" in client.log.calls[0]
    assert "token-1" not in client.log.calls[0]


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_no_retry_status(status):
    client, error = send_get_failing([error_response(status, "Code", "message", headers={"Retry-After": "1"})])

    assert len(client.session.sent) == 1
    assert client.sleep.calls == []
    assert error.status == status


# Token renewal

EXPIRED = "Lifetime validation failed, the token is expired."


def test_expired_token_renewed_once():
    client = send_get([error_response(401, "InvalidAuthenticationToken", EXPIRED), ok()])

    assert client.token_provider.invalidations == 1
    assert [sent.headers["Authorization"] for sent in client.session.sent] == ["Bearer token-1", "Bearer token-2"]
    assert client.sleep.calls == []


def test_expired_token_no_second_renewal():
    responses = [error_response(401, "InvalidAuthenticationToken", EXPIRED)] * 3

    client, error = send_get_failing(responses)

    assert client.token_provider.invalidations == 1
    assert len(client.session.sent) == 2
    assert error.status == 401


def test_invalid_audience_not_renewed():
    message = "Access token validation failure. Invalid audience."

    client, error = send_get_failing([error_response(401, "InvalidAuthenticationToken", message)])

    assert client.token_provider.invalidations == 0
    assert len(client.session.sent) == 1
    assert error.message == message


def test_renewal_then_throttle_retried():
    responses = [error_response(401, "InvalidAuthenticationToken", EXPIRED), throttled(retry_after="1"), ok()]

    client = send_get(responses)

    assert len(client.session.sent) == 3
    assert client.sleep.calls == [1.0]


# GraphError from the response


def test_error_from_envelope():
    response = error_response(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
        request_id="r-403",
        date="2024-05-06T07:08:09",
    )

    error = get_error([response])

    assert error.status == 403
    assert error.code == "Authorization_RequestDenied"
    assert error.message == "Insufficient privileges to complete the operation."
    assert error.request_id == "r-403"
    assert error.date == "2024-05-06T07:08:09"
    assert error.method == "GET"
    assert error.url == USERS_URL
    assert str(error) == (
        "Failed to list users: HTTP 403 Authorization_RequestDenied: Insufficient privileges to "
        "complete the operation. (request-id r-403, date 2024-05-06T07:08:09)"
    )


def test_error_lower_case_innererror():
    body = {"error": {"code": "UnAuthorized", "message": "No.", "innererror": {"request-id": "r-1", "date": "d-1"}}}

    error = get_error([make_response(403, body=body)])

    assert error.request_id == "r-1"
    assert error.date == "d-1"


def test_error_ids_from_headers():
    body = {"error": {"code": "UnAuthorized", "message": "No."}}
    headers = {"request-id": "r-header", "Date": "Mon, 06 May 2024 07:08:09 GMT"}

    error = get_error([make_response(403, body=body, headers=headers)])

    assert error.request_id == "r-header"
    assert error.date == "Mon, 06 May 2024 07:08:09 GMT"


def test_error_from_html_body():
    page = "<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>"
    response = make_response(502, text=page, headers={"Content-Type": "text/html; charset=utf-8"})

    error = send_get_failing([response], max_retries=0)[1]

    assert error.status == 502
    assert error.code is None
    assert error.detail == "the server returned an HTML page (<html><body> <h1>502 Bad Gateway</h1> </body></html>)"
    assert str(error).startswith("Failed to list users: HTTP 502: the server returned an HTML page")


def test_error_from_text_body():
    response = make_response(500, text="upstream failed", headers={"Content-Type": "text/plain"})

    error = get_error([response])

    assert error.detail == "the server returned a body that is not Graph's JSON error (upstream failed)"


def test_error_from_json_without_envelope():
    error = get_error([make_response(500, body=["not", "an", "envelope"])])

    assert error.code is None
    assert error.detail.startswith("the server returned a body that is not Graph's JSON error")


def test_error_long_body_shortened():
    response = make_response(500, text="x" * 1000, headers={"Content-Type": "text/plain"})

    error = get_error([response])

    assert error.detail.endswith("(" + "x" * 200 + "...)")


def test_error_empty_body_uses_reason():
    error = get_error([make_response(500)])

    assert error.detail == "Internal Server Error"


# Transport failures


@pytest.mark.parametrize(
    "exception, expected",
    [
        (requests.exceptions.SSLError("certificate verify failed"), "TLS verification of 127.0.0.1:9443 failed"),
        (requests.exceptions.SSLError("certificate verify failed"), "set ca_path"),
        (requests.exceptions.ConnectTimeout("slow"), "timed out after 30 s"),
        (requests.exceptions.ReadTimeout("slow"), "timed out after 30 s"),
        (requests.exceptions.ConnectionError("refused"), "could not connect to 127.0.0.1:9443 (refused)"),
    ],
)
def test_transport_error(exception, expected):
    client, error = send_get_failing([exception], max_retries=0)

    assert error.status is None
    assert expected in str(error)
    assert len(client.session.sent) == 1


@pytest.mark.parametrize(
    "exception",
    [
        requests.exceptions.ConnectionError("Connection reset by peer"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectTimeout("connect timed out"),
    ],
)
def test_transport_error_retried(exception):
    client = make_client(FakeSession([exception, ok()]))

    client.request("POST", USERS_URL, "add a user", body={"a": 1})

    assert len(client.session.sent) == 2
    assert client.sleep.calls == [1.5]
    assert client.last_request_ambiguous is True
    assert client.retry_count == 1
    assert "retry 1 of 5 in 1.50 s" in client.log.calls[0]
    assert "POST %s failed" % USERS_URL in client.log.calls[0]


def test_transport_error_retries_bounded():
    failures = [requests.exceptions.ConnectionError("reset %d" % number) for number in range(4)]

    client, error = send_get_failing(failures, max_retries=3, jitter=0.0)

    assert len(client.session.sent) == 4
    assert client.sleep.calls == [1.0, 2.0, 4.0]
    assert "reset 3" in str(error)


def test_tls_error_not_retried():
    client, error = send_get_failing([requests.exceptions.SSLError("certificate verify failed")])

    assert len(client.session.sent) == 1
    assert client.sleep.calls == []
    assert "TLS verification" in str(error)


def test_proxy_502_retried_as_ambiguous():
    page = make_response(502, text="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})

    client = send_get([page, ok()])

    assert len(client.session.sent) == 2
    assert client.last_request_ambiguous is True
    assert "HTTP 502" in client.log.calls[0]


def test_throttle_not_ambiguous():
    client = send_get([throttled(429, "0"), ok()])

    assert client.last_request_ambiguous is False


def test_max_retry_time_option():
    client, error = send_get_failing([throttled(retry_after="4")] * 3, max_retry_time=10)

    assert client.sleep.calls == [4.0, 4.0]
    assert error.status == 429


def test_max_retry_time_counts_attempts():
    # Each attempt takes 3 s on the fake clock. After the first wait (1 s) and the second
    # attempt (3 s), 4 of the 5 s are used, so one more wait of 1 s fits. After the third
    # attempt none does.
    ticks = iter(float(tick) for tick in range(0, 300, 3))
    client, error = send_get_failing([throttled(retry_after="1")] * 4, max_retry_time=5, monotonic=lambda: next(ticks))

    assert client.sleep.calls == [1.0, 1.0]
    assert len(client.session.sent) == 3


def test_retries_off():
    client, error = send_get_failing([throttled(retry_after="0")], max_retries=0)

    assert len(client.session.sent) == 1
    assert client.sleep.calls == []
    assert client.retry_count == 0


# What is sent


def test_request_headers():
    client = send_get([ok()])

    assert client.session.sent[0].headers == {"Authorization": "Bearer token-1", "Accept": "application/json"}


def test_request_options():
    client = send_get([ok()], timeout=12)

    assert client.session.sent[0].kwargs["allow_redirects"] is False
    assert client.session.sent[0].kwargs["timeout"] == 12


def test_request_json_body():
    session = FakeSession([make_response(204)])
    client = make_client(session)

    answer = client.post_json(USERS_URL, "add user", {"@odata.id": "x", "name": "O'Neil"})

    assert answer is None
    assert session.sent[0].body == {"@odata.id": "x", "name": "O'Neil"}
    assert session.sent[0].headers["Content-Type"] == "application/json"


def test_post_json_returns_object():
    session = FakeSession([make_response(201, body={"id": "new"})])

    answer = make_client(session).post_json(USERS_URL, "create user", {})

    assert answer == {"id": "new"}


def test_redirect_not_success():
    session = FakeSession([make_response(302, headers={"Location": "https://127.0.0.1:9444/v1.0/users"})])
    client = make_client(session)

    with pytest.raises(GraphError) as caught:
        client.post_json(USERS_URL, "add user", {})

    assert caught.value.status == 302
    assert len(session.sent) == 1
    assert session.sent[0].kwargs["allow_redirects"] is False


def test_get_json_not_json():
    session = FakeSession([make_response(200, text="<html></html>", headers={"request-id": "r-5"})])

    with pytest.raises(GraphError) as caught:
        make_client(session).get_json(USERS_URL, "list users")

    assert "not JSON" in caught.value.detail
    assert "(<html></html>)" in caught.value.detail
    assert caught.value.request_id == "r-5"


def test_get_json_not_object():
    session = FakeSession([make_response(200, body=[1, 2])])

    with pytest.raises(GraphError) as caught:
        make_client(session).get_json(USERS_URL, "list users")

    assert "not a JSON object" in caught.value.detail


def test_delete_sends_delete():
    session = FakeSession([make_response(204)])

    make_client(session).delete(USERS_URL + "/u1", "delete user")

    assert session.sent[0].method == "DELETE"
    assert session.sent[0].url == USERS_URL + "/u1"


def test_request_count():
    client = send_get([throttled(retry_after="1"), ok()])

    assert client.request_count == 2


# Paging


def test_list_all_follows_next_link():
    page2 = USERS_URL + "?$skiptoken=a"
    page3 = USERS_URL + "?$skiptoken=b"
    session = FakeSession(
        [
            ok({"value": [{"id": "1"}], "@odata.nextLink": page2}),
            ok({"value": [{"id": "2"}, {"id": "3"}], "@odata.nextLink": page3}),
            ok({"value": [{"id": "4"}]}),
        ]
    )

    items = make_client(session).list_all(USERS_URL, "list users", params={"$top": 1})

    assert [item["id"] for item in items] == ["1", "2", "3", "4"]
    assert [sent.url for sent in session.sent] == [USERS_URL + "?$top=1", page2, page3]


@pytest.mark.parametrize(
    "next_link",
    [
        "https://graph.example.net/v1.0/users?$skiptoken=a",
        "http://127.0.0.1:9443/v1.0/users?$skiptoken=a",
        "https://127.0.0.1:9444/v1.0/users?$skiptoken=a",
        "https://user@127.0.0.1:9443/v1.0/users?$skiptoken=a",
    ],
)
def test_list_all_refuses_foreign_link(next_link):
    session = FakeSession([ok({"value": [{"id": "1"}], "@odata.nextLink": next_link})])
    client = make_client(session)

    with pytest.raises(GraphError) as caught:
        client.list_all(USERS_URL, "list users")

    assert len(session.sent) == 1
    assert "refusing to send the token to" in str(caught.value)
    assert f"which is not the configured Graph endpoint {GRAPH_URL}" in str(caught.value)


def test_request_refuses_foreign_url():
    session = FakeSession([])

    with pytest.raises(GraphError):
        make_client(session).request("GET", "https://graph.microsoft.com/v1.0/users", "list users")

    assert session.sent == []


def test_list_all_stops_link_loop():
    page2 = USERS_URL + "?$skiptoken=a"
    page3 = USERS_URL + "?$skiptoken=b"
    session = FakeSession(
        [
            ok({"value": [{"id": "1"}], "@odata.nextLink": page2}),
            ok({"value": [{"id": "2"}], "@odata.nextLink": page3}),
            ok({"value": [{"id": "3"}], "@odata.nextLink": page2}),
        ]
    )

    with pytest.raises(GraphError) as caught:
        make_client(session).list_all(USERS_URL, "list users")

    assert len(session.sent) == 3
    assert caught.value.detail == "@odata.nextLink points to a page that was already read"
    assert caught.value.url == page2


def test_list_all_needs_value():
    session = FakeSession([ok({"items": []})])

    with pytest.raises(GraphError) as caught:
        make_client(session).list_all(USERS_URL, "list users")

    assert "no 'value' list" in caught.value.detail


# Encoding


@pytest.mark.parametrize(
    "value, encoded",
    [
        ("ada+test@contoso.example", "ada%2Btest%40contoso.example"),
        ("Fabrikam Partners", "Fabrikam%20Partners"),
        ("ada_fabrikam.com#EXT#@contoso.onmicrosoft.com", "ada_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com"),
        ("R&D", "R%26D"),
        ("'O''Neil'", "%27O%27%27Neil%27"),
        ('say "hi"', "say%20%22hi%22"),
        ("a=b/c?d", "a%3Db%2Fc%3Fd"),
        ("Zoë", "Zo%C3%AB"),
    ],
)
def test_encode_query_value(value, encoded):
    assert graph._encode_query({"$filter": value}) == "?$filter=" + encoded


def test_encode_query_several():
    query = graph._encode_query({"$filter": "displayName eq 'x'", "$select": "id,displayName", "$top": 5})

    assert query == "?$filter=displayName%20eq%20%27x%27&$select=id%2CdisplayName&$top=5"


def test_query_sent_encoded():
    session = FakeSession([ok()])

    make_client(session).request("GET", USERS_URL, "find user", params={"$filter": "mail eq 'a+b@c.example'"})

    assert session.sent[0].url == USERS_URL + "?$filter=mail%20eq%20%27a%2Bb%40c.example%27"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Fabrikam", "'Fabrikam'"),
        ("o'brien@contoso.example", "'o''brien@contoso.example'"),
        ("''", "''''''"),
        ("", "''"),
    ],
)
def test_odata_string(value, expected):
    assert graph.odata_string(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("a/b", "a%2Fb"),
        ("#EXT#", "%23EXT%23"),
        ("what?", "what%3F"),
        ("x y", "x%20y"),
        ("..", ".."),
    ],
)
def test_path_segment(value, expected):
    assert graph.path_segment(value) == expected


def test_client_url_encodes_segments():
    client = make_client(FakeSession())

    assert client.url("users", "a/b#c?d") == API_ROOT + "/users/a%2Fb%23c%3Fd"


def test_client_url_beta():
    client = make_client(FakeSession(), api_version="beta")

    assert client.url("groups") == GRAPH_URL + "/beta/groups"


# CA pinning


URL = GRAPH_URL + "/v1.0/users"


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_ca_path_beats_environment(monkeypatch, variable):
    monkeypatch.setenv(variable, "/etc/environment-bundle.pem")
    session = graph.build_session(ca_path="/tmp/emulator-ca.pem")

    settings = session.merge_environment_settings(URL, {}, None, None, None)

    assert settings["verify"] == "/tmp/emulator-ca.pem"


def test_default_session_uses_environment(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/environment-bundle.pem")
    session = graph.build_session()

    settings = session.merge_environment_settings(URL, {}, None, None, None)

    assert settings["verify"] == "/etc/environment-bundle.pem"


def test_default_session_verifies():
    settings = graph.build_session().merge_environment_settings(URL, {}, None, None, None)

    assert settings["verify"] is True


def test_no_validation_beats_environment(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/environment-bundle.pem")
    session = graph.build_session(ca_path="/tmp/emulator-ca.pem", validate_certs=False)

    settings = session.merge_environment_settings(URL, {}, None, None, None)

    assert settings["verify"] is False


def test_request_verify_beats_session(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/environment-bundle.pem")
    session = graph.build_session(ca_path="/tmp/emulator-ca.pem")

    settings = session.merge_environment_settings(URL, {}, None, "/tmp/other-ca.pem", None)

    assert settings["verify"] == "/tmp/other-ca.pem"


class RecordingAdapter(requests.adapters.BaseAdapter):
    """A transport adapter that records the settings requests passes to it and returns 200."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.sent.append({"verify": verify, "timeout": timeout, "url": request.url})
        response = make_response(200, body={})
        response.request = request
        response.url = request.url
        return response

    def close(self):
        pass


def session_with_adapter(**options):
    session = graph.build_session(**options)
    adapter = RecordingAdapter()
    session.mount("https://", adapter)
    return session, adapter


def test_ca_path_reaches_transport(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/environment-bundle.pem")
    session, adapter = session_with_adapter(ca_path="/tmp/emulator-ca.pem")

    session.get(URL)

    assert adapter.sent[0]["verify"] == "/tmp/emulator-ca.pem"


def test_session_default_timeout():
    session, adapter = session_with_adapter(timeout=17)

    session.post(URL, data="{}")

    assert adapter.sent[0]["timeout"] == 17


def test_session_explicit_timeout():
    session, adapter = session_with_adapter(timeout=17)

    session.get(URL, timeout=3)

    assert adapter.sent[0]["timeout"] == 3


def test_client_through_real_session(monkeypatch):
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/environment-bundle.pem")
    session, adapter = session_with_adapter(ca_path="/tmp/emulator-ca.pem", timeout=30)

    make_client(session).get_json(URL, "read users")

    assert adapter.sent == [{"verify": "/tmp/emulator-ca.pem", "timeout": 30, "url": URL}]
