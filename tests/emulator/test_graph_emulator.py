"""Tests of the Graph and Entra ID emulator, run in-process against real HTTPS listeners.

Clients are msal and requests. Every requests call passes ``verify`` explicitly, because
REQUESTS_CA_BUNDLE (often set on CI machines) overrides a Session's own ``verify``.
"""

import base64
import functools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import msal
import pytest
import requests
import trustme
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import emulator_login  # noqa: E402
import emulator_seed as seed  # noqa: E402
from emulator_odata import ODataError, parse_filter  # noqa: E402
from graph_emulator import Emulator  # noqa: E402

ORGS = "/v1.0/identityGovernance/entitlementManagement/connectedOrganizations"
INFO_KEYS = {
    "login_url",
    "graph_url",
    "control_url",
    "ca_path",
    "tenant_id",
    "client_id",
    "client_secret",
    "certificate_path",
    "certificate_password",
    "federated_token_file",
    "identity_endpoint",
    "identity_header",
    "pid",
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with Emulator(tmp_path_factory.mktemp("emulator")) as emu:
        yield emu


@pytest.fixture(autouse=True)
def clean_emulator(emulator):
    emulator.reset()
    yield


class Client:
    """A thin requests wrapper that always verifies against the emulator's CA."""

    def __init__(self, emu, token=None):
        self.emu = emu
        self.session = requests.Session()
        self.token = token

    def request(self, method, url, **kwargs):
        if url.startswith("/"):
            url = self.emu.info["graph_url"] + url
        headers = dict(kwargs.pop("headers", {}))
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = "Bearer " + self.token
        return self.session.request(method, url, headers=headers, verify=self.emu.info["ca_path"], timeout=30, **kwargs)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def patch(self, url, **kwargs):
        return self.request("PATCH", url, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)

    def put(self, url, **kwargs):
        return self.request("PUT", url, **kwargs)


def token_url(emu, tenant=None):
    return "%s/%s/oauth2/v2.0/token" % (emu.info["login_url"], tenant or emu.info["tenant_id"])


def secret_form(emu, **overrides):
    form = {
        "grant_type": "client_credentials",
        "client_id": emu.info["client_id"],
        "client_secret": emu.info["client_secret"],
        "scope": emu.info["graph_url"] + "/.default",
    }
    form.update(overrides)
    return form


def fetch_token(emu):
    response = Client(emu).post(token_url(emu), data=secret_form(emu))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def graph(emulator):
    return Client(emulator, fetch_token(emulator))


def error_of(response):
    return response.json()["error"]


def pinned_http_client(ca_path):
    """Return a requests Session whose every request verifies against ``ca_path``."""
    session = requests.Session()
    session.request = functools.partial(session.request, verify=ca_path)
    return session


def read_client_certificate(emu):
    pem = Path(emu.info["certificate_path"]).read_bytes()
    key = serialization.load_pem_private_key(pem, emu.info["certificate_password"].encode())
    cert = x509.load_pem_x509_certificate(pem)
    return pem, key, cert


# -- start-up files ---------------------------------------------------------------------------


def test_info_files_written(emulator):
    info_path = emulator.state_dir / "emulator.json"
    info = json.loads(info_path.read_text())
    assert set(info) == INFO_KEYS
    assert info == emulator.info
    assert info["login_url"].startswith("https://127.0.0.1:")
    assert info["graph_url"].startswith("https://127.0.0.1:")
    assert info["login_url"] != info["graph_url"]
    assert info["control_url"] == info["graph_url"] + "/_emulator"
    assert info["tenant_id"] == seed.TENANT_ID
    assert info["client_id"] == seed.CLIENT_ID
    assert info["pid"] == os.getpid()
    assert oct(info_path.stat().st_mode & 0o777) == "0o600"

    variables = yaml.safe_load((emulator.state_dir / "vars.yml").read_text())
    expected = {"emulator_" + key: value for key, value in info.items() if key != "pid"}
    assert variables == expected


def test_client_certificate_file(emulator):
    pem, key, cert = read_client_certificate(emulator)
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem
    assert pem.index(b"PRIVATE KEY") < pem.index(b"BEGIN CERTIFICATE")
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    with pytest.raises((ValueError, TypeError)):
        serialization.load_pem_private_key(pem, None)


def test_invalid_host_rejected(tmp_path):
    for host in ("0.0.0.0", "192.168.1.10", "localhost", "::1"):
        with pytest.raises(ValueError, match="127"):
            Emulator(tmp_path, host=host)


# -- login: msal ------------------------------------------------------------------------------


def test_msal_secret_flow_with_pinned_ca(emulator, monkeypatch, tmp_path):
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(other_ca))

    app = msal.ConfidentialClientApplication(
        emulator.info["client_id"],
        client_credential=emulator.info["client_secret"],
        authority="%s/%s" % (emulator.info["login_url"], emulator.info["tenant_id"]),
        instance_discovery=False,
        http_client=pinned_http_client(emulator.info["ca_path"]),
    )
    result = app.acquire_token_for_client(scopes=[emulator.info["graph_url"] + "/.default"])

    assert "access_token" in result, result.get("error_description")
    assert result["token_type"] == "Bearer"
    response = Client(emulator, result["access_token"]).get("/v1.0/users/" + seed.ADA)
    assert response.status_code == 200
    assert response.json()["userPrincipalName"] == "ada@contoso.example"


def test_msal_verify_overridden_by_env(emulator, monkeypatch, tmp_path):
    # Documents the requests behaviour that makes the pinned http_client necessary:
    # msal's verify= sets Session.verify, which REQUESTS_CA_BUNDLE overrides.
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca))

    with pytest.raises(requests.exceptions.SSLError):
        msal.ConfidentialClientApplication(
            emulator.info["client_id"],
            client_credential=emulator.info["client_secret"],
            authority="%s/%s" % (emulator.info["login_url"], emulator.info["tenant_id"]),
            instance_discovery=False,
            verify=emulator.info["ca_path"],
        )


def test_msal_authority_by_domain(emulator):
    app = msal.ConfidentialClientApplication(
        emulator.info["client_id"],
        client_credential=emulator.info["client_secret"],
        authority="%s/Contoso.Example" % emulator.info["login_url"],
        instance_discovery=False,
        http_client=pinned_http_client(emulator.info["ca_path"]),
    )
    result = app.acquire_token_for_client(scopes=[emulator.info["graph_url"] + "/.default"])
    assert "access_token" in result, result.get("error_description")


@pytest.mark.parametrize("style", ["sha256", "sha1"])
def test_msal_certificate_flow(emulator, style):
    pem, _key, cert = read_client_certificate(emulator)
    credential = {"private_key": pem.decode(), "passphrase": emulator.info["certificate_password"]}
    if style == "sha256":
        credential["public_certificate"] = cert.public_bytes(serialization.Encoding.PEM).decode()
    else:
        credential["thumbprint"] = cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303

    app = msal.ConfidentialClientApplication(
        emulator.info["client_id"],
        client_credential=credential,
        authority="%s/%s" % (emulator.info["login_url"], emulator.info["tenant_id"]),
        instance_discovery=False,
        http_client=pinned_http_client(emulator.info["ca_path"]),
    )
    result = app.acquire_token_for_client(scopes=[emulator.info["graph_url"] + "/.default"])
    assert "access_token" in result, result.get("error_description")


def test_msal_unregistered_certificate(emulator):
    ca = trustme.CA()
    leaf = ca.issue_cert("unregistered.example", key_type=trustme.KeyType.RSA)
    credential = {
        "private_key": leaf.private_key_pem.bytes().decode(),
        "public_certificate": leaf.cert_chain_pems[0].bytes().decode(),
    }
    app = msal.ConfidentialClientApplication(
        emulator.info["client_id"],
        client_credential=credential,
        authority="%s/%s" % (emulator.info["login_url"], emulator.info["tenant_id"]),
        instance_discovery=False,
        http_client=pinned_http_client(emulator.info["ca_path"]),
    )
    result = app.acquire_token_for_client(scopes=[emulator.info["graph_url"] + "/.default"])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700027]
    assert result["error_description"].startswith("AADSTS700027: ")


def test_msal_wrong_secret(emulator):
    app = msal.ConfidentialClientApplication(
        emulator.info["client_id"],
        client_credential="not-the-secret",
        authority="%s/%s" % (emulator.info["login_url"], emulator.info["tenant_id"]),
        instance_discovery=False,
        http_client=pinned_http_client(emulator.info["ca_path"]),
    )
    result = app.acquire_token_for_client(scopes=[emulator.info["graph_url"] + "/.default"])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret")
    assert "not-the-secret" not in json.dumps(result)


def test_msal_unknown_tenant(emulator):
    with pytest.raises(ValueError):
        msal.ConfidentialClientApplication(
            emulator.info["client_id"],
            client_credential=emulator.info["client_secret"],
            authority="%s/%s" % (emulator.info["login_url"], "nowhere.example"),
            instance_discovery=False,
            http_client=pinned_http_client(emulator.info["ca_path"]),
        )


# -- login: raw protocol ----------------------------------------------------------------------


def test_discovery_document(emulator):
    client = Client(emulator)
    for tenant in (seed.TENANT_ID.upper(), "contoso.example"):
        response = client.get("%s/%s/v2.0/.well-known/openid-configuration" % (emulator.info["login_url"], tenant))
        assert response.status_code == 200
        config = response.json()
        assert config["token_endpoint"] == token_url(emulator)
        assert config["issuer"] == "%s/%s/v2.0" % (emulator.info["login_url"], seed.TENANT_ID)
        assert config["msgraph_host"] == urllib.parse.urlsplit(emulator.info["graph_url"]).netloc
        for key in (
            "authorization_endpoint",
            "device_authorization_endpoint",
            "tenant_region_scope",
            "cloud_instance_name",
        ):
            assert key in config


def test_discovery_unknown_tenant(emulator):
    response = Client(emulator).get(
        "%s/nowhere.example/v2.0/.well-known/openid-configuration" % emulator.info["login_url"]
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nowhere.example' not found.")
    for key in ("timestamp", "trace_id", "correlation_id"):
        assert body[key]


def test_token_error_format(emulator):
    response = Client(emulator).post(
        token_url(emulator),
        data=secret_form(emulator, client_secret="wrong-value"),
        headers={"client-request-id": "my-correlation-id"},
    )
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["correlation_id"] == "my-correlation-id"
    lines = body["error_description"].split("\r\n")
    assert lines[0].startswith("AADSTS7000215: ")
    assert lines[1] == "Trace ID: " + body["trace_id"]
    assert lines[2] == "Correlation ID: my-correlation-id"
    assert lines[3] == "Timestamp: " + body["timestamp"]
    assert "wrong-value" not in response.text
    assert emulator.info["client_secret"] not in response.text


@pytest.mark.parametrize(
    "overrides, tenant, status, error, code",
    [
        ({}, "nowhere.example", 400, "invalid_request", 90002),
        ({"client_id": "00000000-0000-4000-8000-000000000999"}, None, 400, "unauthorized_client", 700016),
        ({"scope": "SCOPE/User.Read"}, None, 400, "invalid_scope", 70011),
        ({"scope": "https://api.unknown.example/.default"}, None, 400, "invalid_resource", 500011),
        ({"client_secret": ""}, None, 401, "invalid_client", 7000218),
        ({"grant_type": "password"}, None, 400, "unsupported_grant_type", 70003),
    ],
)
def test_token_errors(emulator, overrides, tenant, status, error, code):
    overrides = {key: value.replace("SCOPE", emulator.info["graph_url"]) for key, value in overrides.items()}
    response = Client(emulator).post(token_url(emulator, tenant), data=secret_form(emulator, **overrides))
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_codes"] == [code]
    assert response.json()["error_description"].startswith("AADSTS%d: " % code)


def test_token_success_shape(emulator):
    emulator.configure(token_lifetime=120)
    response = Client(emulator).post(token_url(emulator), data=secret_form(emulator))
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 120
    assert body["ext_expires_in"] == 120


def test_other_cloud_token_rejected_by_graph(emulator):
    client = Client(emulator)
    response = client.post(token_url(emulator), data=secret_form(emulator, scope="https://graph.microsoft.us/.default"))
    assert response.status_code == 200
    graph = Client(emulator, response.json()["access_token"])
    rejected = graph.get("/v1.0/users/" + seed.ADA)
    assert rejected.status_code == 401
    assert error_of(rejected)["code"] == "InvalidAuthenticationToken"
    assert error_of(rejected)["message"].endswith("Invalid audience.")


def test_listeners_are_separate(emulator, graph):
    login = emulator.info["login_url"]
    assert graph.get(login + "/v1.0/users/" + seed.ADA).status_code == 404
    assert graph.get(login + "/_emulator/state").status_code == 404
    on_graph = Client(emulator).post(
        emulator.info["graph_url"] + "/%s/oauth2/v2.0/token" % seed.TENANT_ID, data=secret_form(emulator)
    )
    assert on_graph.status_code == 404


# -- Graph: authentication and envelope -------------------------------------------------------


def test_graph_missing_token(emulator):
    response = Client(emulator).get("/v1.0/users/" + seed.ADA)
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "InvalidAuthenticationToken"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    assert "WWW-Authenticate" in response.headers


def test_graph_unknown_token(emulator):
    response = Client(emulator, "not-a-token").get("/v1.0/users/" + seed.ADA)
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAuthenticationToken"


def test_graph_expired_token(emulator):
    emulator.configure(token_lifetime=0)
    response = Client(emulator, fetch_token(emulator)).get("/v1.0/users/" + seed.ADA)
    assert response.status_code == 401
    assert error_of(response)["message"] == "Lifetime validation failed, the token is expired."


def test_expire_tokens_control(emulator, graph):
    assert graph.get("/v1.0/users/" + seed.ADA).status_code == 200
    expired = Client(emulator).post("/_emulator/tokens/expire")
    assert expired.json()["expired"] >= 1
    response = graph.get("/v1.0/users/" + seed.ADA)
    assert response.status_code == 401
    assert "expired" in error_of(response)["message"]


def test_request_ids_echoed(graph):
    response = graph.get("/v1.0/users/" + seed.ADA, headers={"client-request-id": "abc-123"})
    assert response.headers["client-request-id"] == "abc-123"
    assert response.headers["request-id"]
    generated = graph.get("/v1.0/users/" + seed.ADA)
    assert generated.headers["client-request-id"]

    missing = graph.get("/v1.0/users/nobody@contoso.example", headers={"client-request-id": "abc-456"})
    assert error_of(missing)["innerError"]["client-request-id"] == "abc-456"


def test_app_roles_enforced(emulator):
    emulator.configure(app_roles=[])
    response = Client(emulator, fetch_token(emulator)).get(ORGS)
    assert response.status_code == 403
    assert error_of(response)["message"] == "Either scp or roles claim need to be present in the token."

    emulator.configure(app_roles=["Directory.Read.All"])
    client = Client(emulator, fetch_token(emulator))
    assert error_of(client.get(ORGS))["code"] == "UnAuthorized"
    assert client.get("/v1.0/users/" + seed.ADA).status_code == 200

    emulator.configure(app_roles=["EntitlementManagement.Read.All"])
    client = Client(emulator, fetch_token(emulator))
    assert client.get(ORGS).status_code == 200
    denied = client.post(
        "%s/%s/internalSponsors/$ref" % (ORGS, seed.LITWARE),
        json={"@odata.id": "%s/v1.0/users/%s" % (emulator.info["graph_url"], seed.ADA)},
    )
    assert denied.status_code == 403
    user_lookup = client.get("/v1.0/users/" + seed.ADA)
    assert user_lookup.status_code == 403
    assert error_of(user_lookup)["code"] == "Authorization_RequestDenied"


def test_unknown_segment(graph):
    response = graph.get("/v1.0/nothingHere")
    assert response.status_code == 400
    assert error_of(response)["message"] == "Resource not found for the segment 'nothingHere'."


# -- connected organizations ------------------------------------------------------------------


def test_list_organizations_paged(emulator, graph):
    names = []
    url = ORGS
    pages = 0
    while url:
        body = graph.get(url).json()
        assert len(body["value"]) <= 3
        names += [org["displayName"] for org in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
    assert pages == 3
    assert names == [org["displayName"] for org in seed.CONNECTED_ORGANIZATIONS]


def test_filter_organization_with_quote_and_ampersand(graph):
    response = graph.get(ORGS, params={"$filter": "displayName eq 'O''Neil & Sons'"})
    assert response.status_code == 200
    assert [org["id"] for org in response.json()["value"]] == [seed.ONEIL]


def test_filter_duplicate_organization_names(graph):
    response = graph.get(ORGS, params={"$filter": "displayName eq 'northwind traders'"})
    ids = [org["id"] for org in response.json()["value"]]
    assert ids == [seed.NORTHWIND_1, seed.NORTHWIND_2]


def test_get_organization_shape(graph):
    response = graph.get("%s/%s" % (ORGS, seed.FABRIKAM.upper()))
    assert response.status_code == 200
    org = response.json()
    assert org["id"] == seed.FABRIKAM
    for key in ("displayName", "description", "state", "identitySources", "createdDateTime", "modifiedDateTime"):
        assert key in org
    assert "internalSponsors" not in org
    assert response.headers["Content-Type"].startswith("application/json")


def test_get_unknown_organization(emulator, graph):
    missing = "%s/%s" % (ORGS, "cccc0099-0000-4000-8000-000000000099")
    assert error_of(graph.get(missing))["code"] == "ResourceNotFound"
    emulator.configure(org_not_found_code="Request_ResourceNotFound")
    response = graph.get(missing)
    assert response.status_code == 404
    assert error_of(response)["code"] == "Request_ResourceNotFound"


def test_create_patch_delete_organization(emulator, graph):
    created = graph.post(
        ORGS,
        json={
            "displayName": "Adatum",
            "description": "Adatum Corporation",
            "state": "proposed",
            "identitySources": [
                {
                    "@odata.type": "#microsoft.graph.domainIdentitySource",
                    "domainName": "adatum.example",
                    "displayName": "Adatum",
                }
            ],
        },
    )
    assert created.status_code == 201
    org_id = created.json()["id"]
    assert created.json()["state"] == "proposed"

    patched = graph.patch("%s/%s" % (ORGS, org_id), json={"description": "Changed"})
    assert patched.status_code == 202
    assert patched.content == b""
    assert emulator.organization(org_id)["description"] == "Changed"

    emulator.configure(patch_status=204)
    assert graph.patch("%s/%s" % (ORGS, org_id), json={"state": "configured"}).status_code == 204
    assert emulator.organization(org_id)["state"] == "configured"

    assert graph.delete("%s/%s" % (ORGS, org_id)).status_code == 204
    assert emulator.organization(org_id) is None


def test_create_organization_invalid(graph):
    no_source = graph.post(ORGS, json={"displayName": "Adatum", "identitySources": []})
    assert no_source.status_code == 400
    two_sources = graph.post(
        ORGS,
        json={
            "displayName": "Adatum",
            "identitySources": [
                {"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "a.example"},
                {"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "b.example"},
            ],
        },
    )
    assert two_sources.status_code == 400
    bad_state = graph.post(
        ORGS,
        json={
            "displayName": "Adatum",
            "state": "enabled",
            "identitySources": [{"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "a.example"}],
        },
    )
    assert bad_state.status_code == 400


def test_patch_with_sponsors_rejected(emulator, graph):
    response = graph.patch("%s/%s" % (ORGS, seed.LITWARE), json={"internalSponsors": [{"id": seed.ADA}]})
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("The model is invalid.")
    assert emulator.organization(seed.LITWARE)["internalSponsors"] == []


# -- sponsors ---------------------------------------------------------------------------------


def list_all(graph, url):
    items, pages = [], 0
    while url:
        response = graph.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["value"]
        url = body.get("@odata.nextLink")
        pages += 1
    return items, pages


def test_woodgrove_sponsors_three_pages(emulator, graph):
    first = graph.get("%s/%s/internalSponsors" % (ORGS, seed.WOODGROVE)).json()
    next_link = urllib.parse.urlsplit(first["@odata.nextLink"])
    assert "%s://%s" % (next_link.scheme, next_link.netloc) == emulator.info["graph_url"]
    assert "$skiptoken=" in next_link.query

    items, pages = list_all(graph, "%s/%s/internalSponsors" % (ORGS, seed.WOODGROVE))
    assert pages == 3
    assert [item["id"] for item in items] == emulator.organization(seed.WOODGROVE)["internalSponsors"]
    types = {item["id"]: item["@odata.type"] for item in items}
    assert types[seed.ADA] == "#microsoft.graph.user"
    assert types[seed.LEGAL] == "#microsoft.graph.group"
    ada = next(item for item in items if item["id"] == seed.ADA)
    assert ada["userPrincipalName"] == "ada@contoso.example"
    assert ada["displayName"] == "Ada Lovelace"
    assert "mail" in ada

    externals, _pages = list_all(graph, "%s/%s/externalSponsors" % (ORGS, seed.WOODGROVE))
    assert [item["id"] for item in externals] == [seed.WENDY_GUEST, seed.LINUS_GUEST]


def test_sponsor_page_size_and_top(emulator, graph):
    url = "%s/%s/internalSponsors" % (ORGS, seed.WOODGROVE)
    _items, pages = list_all(graph, url + "?$top=2")
    assert pages == 4
    emulator.configure(page_size=10)
    _items, pages = list_all(graph, url)
    assert pages == 1


def test_sponsor_detail_minimal(emulator, graph):
    emulator.configure(sponsor_detail="minimal")
    items, _pages = list_all(graph, "%s/%s/internalSponsors" % (ORGS, seed.WOODGROVE))
    assert len(items) == 8
    for item in items:
        assert set(item) == {"@odata.type", "id"}


def reference(emulator, object_id, collection="users", version="v1.0"):
    return {"@odata.id": "%s/%s/%s/%s" % (emulator.info["graph_url"], version, collection, object_id)}


def test_add_and_remove_sponsor(emulator, graph):
    ref_url = "%s/%s/internalSponsors/$ref" % (ORGS, seed.LITWARE)
    added = graph.post(ref_url, json=reference(emulator, seed.GRACE))
    assert added.status_code == 204
    assert added.content == b""
    group = graph.post(ref_url, json=reference(emulator, seed.LEGAL, "groups", "beta"))
    assert group.status_code == 204
    by_directory_object = graph.post(ref_url, json=reference(emulator, seed.TIM, "directoryObjects"))
    assert by_directory_object.status_code == 204
    assert emulator.organization(seed.LITWARE)["internalSponsors"] == [seed.GRACE, seed.LEGAL, seed.TIM]

    removed = graph.delete("%s/%s/internalSponsors/%s/$ref" % (ORGS, seed.LITWARE, seed.GRACE.upper()))
    assert removed.status_code == 204
    assert emulator.organization(seed.LITWARE)["internalSponsors"] == [seed.LEGAL, seed.TIM]


def test_add_external_sponsor(emulator, graph):
    response = graph.post(
        "%s/%s/externalSponsors/$ref" % (ORGS, seed.TAILSPIN), json=reference(emulator, seed.WENDY_GUEST)
    )
    assert response.status_code == 204
    assert emulator.organization(seed.TAILSPIN)["externalSponsors"] == [seed.LINUS_GUEST, seed.WENDY_GUEST]
    assert emulator.organization(seed.TAILSPIN)["internalSponsors"] == []


@pytest.mark.parametrize(
    "odata_id",
    [
        "https://graph.microsoft.com/v1.0/users/" + seed.ADA,
        "GRAPH_HTTP/v1.0/users/" + seed.ADA,
        "GRAPH_OTHER_PORT/v1.0/users/" + seed.ADA,
        "/v1.0/users/" + seed.ADA,
        "GRAPH/v2.0/users/" + seed.ADA,
        "GRAPH/v1.0/applications/" + seed.ADA,
        "GRAPH/v1.0/users/" + seed.ADA + "/extra",
        "GRAPH/v1.0/users/" + seed.ADA + "?x=1",
    ],
)
def test_add_sponsor_invalid_url(emulator, graph, odata_id):
    graph_url = emulator.info["graph_url"]
    port = int(graph_url.rsplit(":", 1)[1])
    odata_id = (
        odata_id.replace("GRAPH_HTTP", graph_url.replace("https:", "http:"))
        .replace("GRAPH_OTHER_PORT", "https://127.0.0.1:%d" % (port + 1))
        .replace("GRAPH", graph_url)
    )
    response = graph.post("%s/%s/internalSponsors/$ref" % (ORGS, seed.LITWARE), json={"@odata.id": odata_id})
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_BadRequest"
    assert error_of(response)["message"] == "Invalid URL format specified in @odata.id."


def test_add_sponsor_unknown_object(emulator, graph):
    missing = "aaaa0999-0000-4000-8000-000000000999"
    response = graph.post("%s/%s/internalSponsors/$ref" % (ORGS, seed.LITWARE), json=reference(emulator, missing))
    assert response.status_code == 404
    assert error_of(response)["code"] == "Request_ResourceNotFound"
    assert error_of(response)["message"] == (
        "Resource '%s' does not exist or one of its queried reference-property objects are not present." % missing
    )


@pytest.mark.parametrize("object_id", [seed.SERVICE_PRINCIPAL, seed.DEVICE])
def test_add_sponsor_neither_user_nor_group(emulator, graph, object_id):
    response = graph.post(
        "%s/%s/internalSponsors/$ref" % (ORGS, seed.LITWARE), json=reference(emulator, object_id, "directoryObjects")
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_BadRequest"


def test_post_sponsor_without_ref(emulator, graph):
    response = graph.post("%s/%s/internalSponsors" % (ORGS, seed.LITWARE), json=reference(emulator, seed.ADA))
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_BadRequest"
    assert emulator.organization(seed.LITWARE)["internalSponsors"] == []


@pytest.mark.parametrize(
    "switch, status, code",
    [
        ("bad_request", 400, "Request_BadRequest"),
        ("no_content", 204, None),
        ("conflict", 409, "Request_Conflict"),
    ],
)
def test_duplicate_add(emulator, graph, switch, status, code):
    if switch != "bad_request":
        emulator.configure(duplicate_add=switch)
    response = graph.post("%s/%s/internalSponsors/$ref" % (ORGS, seed.FABRIKAM), json=reference(emulator, seed.ADA))
    assert response.status_code == status
    if code:
        assert error_of(response)["code"] == code
    if switch == "bad_request":
        assert error_of(response)["message"] == (
            "One or more added object references already exist for the following modified "
            "properties: 'internalSponsors'."
        )
    assert emulator.organization(seed.FABRIKAM)["internalSponsors"] == [seed.ADA]


@pytest.mark.parametrize(
    "switch, status, code",
    [
        ("not_found", 404, "Request_ResourceNotFound"),
        ("bad_request", 400, "Request_BadRequest"),
        ("no_content", 204, None),
    ],
)
def test_missing_remove(emulator, graph, switch, status, code):
    if switch != "not_found":
        emulator.configure(missing_remove=switch)
    response = graph.delete("%s/%s/internalSponsors/%s/$ref" % (ORGS, seed.FABRIKAM, seed.GRACE))
    assert response.status_code == status
    if code:
        assert error_of(response)["code"] == code
    if switch == "bad_request":
        assert error_of(response)["message"] == (
            "One or more removed object references do not exist for the following modified "
            "properties: 'internalSponsors'."
        )
    assert emulator.organization(seed.FABRIKAM)["internalSponsors"] == [seed.ADA]


# -- users, groups, directory objects ---------------------------------------------------------


def test_user_by_upn_and_id(graph):
    by_upn = graph.get("/v1.0/users/ADA@contoso.example")
    assert by_upn.status_code == 200
    assert by_upn.json()["id"] == seed.ADA
    by_id = graph.get("/v1.0/users/" + seed.ADA.upper())
    assert by_id.json()["userPrincipalName"] == "ada@contoso.example"
    assert graph.get("/v1.0/users/nobody@contoso.example").status_code == 404


def test_guest_upn_lookup(graph):
    encoded = urllib.parse.quote("linus_fabrikam.example#EXT#@contoso.example", safe="@")
    response = graph.get("/v1.0/users/" + encoded)
    assert response.status_code == 200
    assert response.json()["id"] == seed.LINUS_GUEST
    assert response.json()["mail"] == "linus@fabrikam.example"

    # Unencoded, '#' starts the URL fragment, so the server receives a truncated UPN.
    unencoded = graph.get("/v1.0/users/linus_fabrikam.example#EXT#@contoso.example")
    assert unencoded.status_code == 404


def test_filter_with_quoted_apostrophe(graph):
    response = graph.get("/v1.0/users", params={"$filter": "userPrincipalName eq 'o''brien@contoso.example'"})
    assert response.status_code == 200
    assert [user["id"] for user in response.json()["value"]] == [seed.OBRIEN]


@pytest.mark.parametrize(
    "expression, message_start",
    [
        ("userPrincipalName eq 'o'brien@contoso.example'", "Invalid filter clause: Syntax error"),
        ("displayName eq 'Ada", "Invalid filter clause: Syntax error"),
        ("displayName eq", "Invalid filter clause: Syntax error"),
        ("displayName = 'Ada'", "Invalid filter clause: Syntax error"),
        ("shoeSize eq '42'", "Invalid filter clause: Could not find a property named 'shoeSize'"),
    ],
)
def test_filter_errors(graph, expression, message_start):
    response = graph.get("/v1.0/users", params={"$filter": expression})
    assert response.status_code == 400
    assert error_of(response)["code"] == "BadRequest"
    assert error_of(response)["message"].startswith(message_start)


def test_filter_operators(graph):
    def ids(expression, collection="users"):
        response = graph.get("/v1.0/" + collection, params={"$filter": expression, "$top": "3"})
        assert response.status_code == 200, response.text
        items, _pages = list_all(graph, response.url)
        return [item["id"] for item in items]

    assert ids("mail eq 'ADA@CONTOSO.EXAMPLE' or userPrincipalName eq 'grace@contoso.example'") == [
        seed.ADA,
        seed.GRACE,
    ]
    assert ids("startswith(displayName,'a')") == [seed.ADA, seed.ALAN]
    assert ids("userPrincipalName in ('tim@contoso.example', 'radia@contoso.example')") == [seed.TIM, seed.RADIA]
    assert ids("(givenName eq 'Ada' or givenName eq 'Alan') and surname eq 'Turing'") == [seed.ALAN]
    assert ids("otherMails/any(m:m eq 'wendy@woodgrove.example')") == [seed.WENDY_GUEST]
    assert ids("displayName eq '李娜 (Li Na) 🎾'") == [seed.LI_NA]
    assert ids("displayName eq 'Partner Managers'", "groups") == [
        seed.PARTNER_MANAGERS_EMEA,
        seed.PARTNER_MANAGERS_AMERICAS,
    ]
    assert ids("displayName eq 'R&D / Research'", "groups") == [seed.RESEARCH]


def test_parse_filter_unit():
    users = {user["id"]: user for user in seed.USERS}
    predicate = parse_filter("displayName eq 'Siobhán O''Brien'", "user")
    assert [uid for uid, user in users.items() if predicate(user)] == [seed.OBRIEN]
    for bad in (
        "",
        "displayName eq 'x' extra",
        "(displayName eq 'x'",
        "startswith(mail)",
        "displayName in ()",
        "displayName eq 'x' or",
        "id eq 123",
    ):
        with pytest.raises(ODataError, match="^Invalid filter clause: Syntax error"):
            parse_filter(bad, "user")
    with pytest.raises(ODataError, match="Could not find a property named 'userPrincipalName'"):
        parse_filter("userPrincipalName eq 'x'", "group")


def test_users_paging_count_and_select(graph):
    response = graph.get("/v1.0/users", params={"$count": "true", "$select": "displayName"})
    body = response.json()
    assert body["@odata.count"] == len(seed.USERS)
    assert len(body["value"]) == 3
    assert set(body["value"][0]) == {"@odata.type", "id", "displayName"}
    next_query = urllib.parse.parse_qs(urllib.parse.urlsplit(body["@odata.nextLink"]).query)
    assert next_query["$select"] == ["displayName"]

    items, pages = list_all(graph, "/v1.0/users")
    assert len(items) == len(seed.USERS)
    assert pages == 5

    unknown = graph.get("/v1.0/users/" + seed.ADA, params={"$select": "shoeSize"})
    assert unknown.status_code == 400


def test_unsupported_query_option(graph):
    response = graph.get("/v1.0/users", params={"$orderby": "displayName"})
    assert response.status_code == 400
    assert "$orderby" in error_of(response)["message"]


def test_groups(graph):
    response = graph.get("/v1.0/groups/" + seed.LEGAL)
    assert response.json()["displayName"] == "Legal"
    items, _pages = list_all(graph, "/v1.0/groups")
    assert len(items) == len(seed.GROUPS)


@pytest.mark.parametrize(
    "object_id, odata_type",
    [
        (seed.ADA, "#microsoft.graph.user"),
        (seed.LEGAL, "#microsoft.graph.group"),
        (seed.SERVICE_PRINCIPAL, "#microsoft.graph.servicePrincipal"),
        (seed.DEVICE, "#microsoft.graph.device"),
    ],
)
def test_directory_object_types(graph, object_id, odata_type):
    response = graph.get("/v1.0/directoryObjects/" + object_id)
    assert response.status_code == 200
    assert response.json()["@odata.type"] == odata_type


def test_get_by_ids(graph):
    response = graph.post(
        "/v1.0/directoryObjects/getByIds",
        json={
            "ids": [seed.ADA, seed.LEGAL, seed.SERVICE_PRINCIPAL, "aaaa0999-0000-4000-8000-000000000999"],
            "types": ["user", "group"],
        },
    )
    assert response.status_code == 200
    found = {item["id"]: item["@odata.type"] for item in response.json()["value"]}
    assert found == {seed.ADA: "#microsoft.graph.user", seed.LEGAL: "#microsoft.graph.group"}


# -- faults and latency -----------------------------------------------------------------------


def test_fault_fires_count_times(emulator, graph):
    emulator.add_fault(
        method="GET", path="/users/", status=503, count=2, code="Request_ThrottledTemporarily", message="Slow down"
    )
    statuses = [graph.get("/v1.0/users/" + seed.ADA).status_code for _attempt in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert emulator.faults() == []
    logged = [entry["status"] for entry in emulator.requests() if entry["path"].startswith("/v1.0/users/")]
    assert logged == [503, 503, 200, 200]


def test_fault_envelope_and_fractional_retry_after(emulator, graph):
    emulator.add_fault(path="internalSponsors", status=429, retry_after="0.2")
    response = graph.get("%s/%s/internalSponsors" % (ORGS, seed.FABRIKAM), headers={"client-request-id": "retry-test"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "0.2"
    assert float(response.headers["Retry-After"]) == pytest.approx(0.2)
    error = error_of(response)
    assert error["code"] == "TooManyRequests"
    assert error["innerError"]["client-request-id"] == "retry-test"


def test_fault_matches_method_and_order(emulator, graph):
    emulator.add_fault(method="POST", path="/users", status=500)
    emulator.add_fault(method="GET", path="/users", status=502)
    emulator.add_fault(method="*", path="/users", status=504)
    assert graph.get("/v1.0/users/" + seed.ADA).status_code == 502
    assert graph.get("/v1.0/users/" + seed.ADA).status_code == 504
    assert graph.get("/v1.0/users/" + seed.ADA).status_code == 200
    assert [fault["status"] for fault in emulator.faults()] == [500]


def test_fault_raw_body(emulator, graph):
    emulator.add_fault(path="/users", status=502, body="<html>Bad gateway</html>", content_type="text/html")
    response = graph.get("/v1.0/users")
    assert response.status_code == 502
    assert response.text == "<html>Bad gateway</html>"
    assert response.headers["Content-Type"] == "text/html"


def test_fault_reset_closes_connection(emulator, graph):
    emulator.add_fault(path="/users", action="reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        graph.get("/v1.0/users/" + seed.ADA)
    assert graph.get("/v1.0/users/" + seed.ADA).status_code == 200
    assert emulator.requests()[-2]["status"] is None


def test_fault_delay(emulator, graph):
    emulator.add_fault(path="/users", action="delay", seconds=0.3)
    started = time.monotonic()
    response = graph.get("/v1.0/users/" + seed.ADA)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fault_on_login_listener(emulator):
    emulator.add_fault(listener="login", method="POST", path="/oauth2/v2.0/token", status=503, retry_after="1")
    client = Client(emulator)
    first = client.post(token_url(emulator), data=secret_form(emulator))
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "1"
    assert first.json()["error"] == "temporarily_unavailable"
    assert client.post(token_url(emulator), data=secret_form(emulator)).status_code == 200


def test_fault_before_authentication(emulator):
    emulator.add_fault(path="/users", status=429, retry_after="2.128")
    response = Client(emulator).get("/v1.0/users")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2.128"


def test_latency(emulator, graph):
    emulator.configure(latency=0.3)
    started = time.monotonic()
    assert graph.get("/v1.0/users/" + seed.ADA).status_code == 200
    assert time.monotonic() - started >= 0.3


# -- request log ------------------------------------------------------------------------------


def test_request_log_has_no_secret(emulator, caplog):
    caplog.set_level("INFO", logger="graph_emulator")
    pem, _key, cert = read_client_certificate(emulator)
    secrets_seen = [emulator.info["client_secret"], emulator.info["certificate_password"]]

    app = msal.ConfidentialClientApplication(
        emulator.info["client_id"],
        client_credential={
            "private_key": pem.decode(),
            "passphrase": emulator.info["certificate_password"],
            "public_certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
        },
        authority="%s/%s" % (emulator.info["login_url"], emulator.info["tenant_id"]),
        instance_discovery=False,
        http_client=pinned_http_client(emulator.info["ca_path"]),
    )
    result = app.acquire_token_for_client(scopes=[emulator.info["graph_url"] + "/.default"])
    secrets_seen.append(result["access_token"])

    token = fetch_token(emulator)
    secrets_seen.append(token)
    graph = Client(emulator, token)
    graph.get("/v1.0/users/" + seed.ADA)
    Client(emulator).post(token_url(emulator), data=secret_form(emulator, client_secret="typo"))
    Client(emulator).get(emulator.info["login_url"] + "/x?client_secret=" + emulator.info["client_secret"])
    secrets_seen.append("typo")

    log = emulator.requests()
    over_http = Client(emulator).get("/_emulator/requests").json()
    assert over_http == log
    assert {entry["listener"] for entry in log} == {"login", "graph"}
    for entry in log:
        assert set(entry) >= {"listener", "method", "path", "query", "status", "time"}
    text = json.dumps(log) + caplog.text
    for secret in secrets_seen:
        assert secret not in text
    assert "/_emulator" not in json.dumps([entry["path"] for entry in log])

    assert Client(emulator).delete("/_emulator/requests").status_code == 200
    assert emulator.requests() == []


# -- batch ------------------------------------------------------------------------------------


def test_batch(emulator, graph):
    ref = reference(emulator, seed.GRACE)
    response = graph.post(
        "/v1.0/$batch",
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": "/users/" + seed.ADA},
                {
                    "id": "2",
                    "method": "POST",
                    "url": "%s/%s/internalSponsors/$ref" % (ORGS[len("/v1.0") :], seed.LITWARE),
                    "body": ref,
                    "headers": {"Content-Type": "application/json"},
                },
                {"id": "3", "method": "GET", "url": "users/nobody@contoso.example"},
                {"id": "4", "method": "POST", "url": "/directoryObjects/getByIds", "body": {"ids": [seed.ADA]}},
            ]
        },
    )
    assert response.status_code == 200
    answers = {answer["id"]: answer for answer in response.json()["responses"]}
    assert answers["1"]["status"] == 200
    assert answers["1"]["body"]["displayName"] == "Ada Lovelace"
    assert answers["2"]["status"] == 204
    assert "body" not in answers["2"]
    assert answers["3"]["status"] == 404
    assert answers["3"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert answers["4"]["status"] == 400
    assert emulator.organization(seed.LITWARE)["internalSponsors"] == [seed.GRACE]

    batch_ids = [entry.get("batch_id") for entry in emulator.requests()]
    assert batch_ids[-5:] == ["1", "2", "3", "4", None]


def test_batch_fault_in_subrequest(emulator, graph):
    emulator.add_fault(method="GET", path="/users/" + seed.GRACE, status=429, retry_after="0.5")
    response = graph.post(
        "/v1.0/$batch",
        json={
            "requests": [
                {"id": "a", "method": "GET", "url": "/users/" + seed.ADA},
                {"id": "b", "method": "GET", "url": "/users/" + seed.GRACE},
            ]
        },
    )
    assert response.status_code == 200
    answers = {answer["id"]: answer for answer in response.json()["responses"]}
    assert answers["a"]["status"] == 200
    assert answers["b"]["status"] == 429
    assert answers["b"]["headers"]["Retry-After"] == "0.5"
    assert answers["b"]["body"]["error"]["code"] == "TooManyRequests"


def test_batch_depends_on_failed(graph):
    response = graph.post(
        "/beta/$batch",
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": "/users/nobody@contoso.example"},
                {"id": "2", "method": "GET", "url": "/users/" + seed.ADA, "dependsOn": ["1"]},
            ]
        },
    )
    statuses = {answer["id"]: answer["status"] for answer in response.json()["responses"]}
    assert statuses == {"1": 404, "2": 424}


def test_batch_rejections(emulator, graph):
    absolute = graph.post(
        "/v1.0/$batch",
        json={"requests": [{"id": "1", "method": "GET", "url": emulator.info["graph_url"] + "/v1.0/users"}]},
    )
    assert absolute.status_code == 400
    too_many = graph.post(
        "/v1.0/$batch", json={"requests": [{"id": str(n), "method": "GET", "url": "/users"} for n in range(21)]}
    )
    assert too_many.status_code == 400
    exactly_twenty = graph.post(
        "/v1.0/$batch", json={"requests": [{"id": str(n), "method": "GET", "url": "/users"} for n in range(20)]}
    )
    assert exactly_twenty.status_code == 200
    unauthenticated = Client(emulator).post(
        "/v1.0/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/users"}]}
    )
    assert unauthenticated.status_code == 401


# -- control API ------------------------------------------------------------------------------


def test_control_config(emulator):
    control = Client(emulator)
    assert control.get("/_emulator/config").json()["page_size"] == 3
    changed = control.post("/_emulator/config", json={"page_size": 5, "duplicate_add": "conflict"})
    assert changed.status_code == 200
    assert emulator.switches()["page_size"] == 5
    assert emulator.switches()["duplicate_add"] == "conflict"

    unknown = control.post("/_emulator/config", json={"page_sise": 5})
    assert unknown.status_code == 400
    assert "page_sise" in unknown.json()["error"]
    invalid = control.post("/_emulator/config", json={"sponsor_detail": "everything"})
    assert invalid.status_code == 400
    assert "sponsor_detail" in invalid.json()["error"]
    with pytest.raises(ValueError, match="missing_remove"):
        emulator.configure(missing_remove="ignore")


def test_control_faults_api(emulator, graph):
    control = Client(emulator)
    created = control.post("/_emulator/faults", json={"path": "/groups", "status": 503})
    assert created.status_code == 201
    assert len(control.get("/_emulator/faults").json()) == 1
    assert control.post("/_emulator/faults", json={"path": "(", "status": 503}).status_code == 400
    assert control.post("/_emulator/faults", json={"colour": "red"}).status_code == 400
    assert control.delete("/_emulator/faults").status_code == 200
    assert graph.get("/v1.0/groups").status_code == 200


def test_control_state_and_setup(emulator, graph):
    control = Client(emulator)
    state = control.get("/_emulator/state").json()
    woodgrove = next(org for org in state["connectedOrganizations"] if org["id"] == seed.WOODGROVE)
    assert len(woodgrove["internalSponsors"]) == 8
    assert len(woodgrove["externalSponsors"]) == 2
    assert len(state["users"]) >= 12
    assert len(state["groups"]) >= 5

    fabrikam = control.get("/_emulator/state/connectedOrganizations/" + seed.FABRIKAM)
    assert fabrikam.json()["internalSponsors"] == [seed.ADA]
    assert control.get("/_emulator/state/connectedOrganizations/nope").status_code == 404

    user = control.post(
        "/_emulator/users", json={"displayName": "New Hire", "userPrincipalName": "new@contoso.example"}
    )
    assert user.status_code == 201
    new_id = user.json()["id"]
    assert graph.get("/v1.0/users/new@contoso.example").json()["id"] == new_id
    group = control.post("/_emulator/groups", json={"displayName": "Auditors"})
    assert group.status_code == 201

    put = control.put(
        "/_emulator/connectedOrganizations/%s/internalSponsors" % seed.LITWARE,
        json={"ids": [new_id, group.json()["id"]]},
    )
    assert put.status_code == 200
    items, _pages = list_all(graph, "%s/%s/internalSponsors" % (ORGS, seed.LITWARE))
    assert [item["displayName"] for item in items] == ["New Hire", "Auditors"]
    bad = control.put(
        "/_emulator/connectedOrganizations/%s/internalSponsors" % seed.LITWARE,
        json={"ids": ["aaaa0999-0000-4000-8000-000000000999"]},
    )
    assert bad.status_code == 400

    emulator.set_sponsors(seed.LITWARE, "external", [seed.LINUS_GUEST])
    assert emulator.organization(seed.LITWARE)["externalSponsors"] == [seed.LINUS_GUEST]

    assert control.post("/_emulator/reset").status_code == 200
    assert emulator.organization(seed.LITWARE)["internalSponsors"] == []
    assert graph.get("/v1.0/users/new@contoso.example").status_code == 401


def test_reset_restores_seed(emulator, graph):
    graph.delete("%s/%s" % (ORGS, seed.FABRIKAM))
    emulator.configure(page_size=7)
    emulator.add_fault(path="/users")
    emulator.reset()
    assert emulator.organization(seed.FABRIKAM)["internalSponsors"] == [seed.ADA]
    assert emulator.switches()["page_size"] == 3
    assert emulator.faults() == []
    assert emulator.requests() == []


# -- command line -----------------------------------------------------------------------------


def test_command_line_start_and_sigterm(tmp_path):
    state_dir = tmp_path / "state"
    process = subprocess.Popen(
        [sys.executable, str(HERE / "graph_emulator.py"), "--state-dir", str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info_path = state_dir / "emulator.json"
        deadline = time.monotonic() + 30
        while not info_path.exists():
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "emulator.json did not appear within 30 s"
            time.sleep(0.1)
        info = json.loads(info_path.read_text())
        assert set(info) == INFO_KEYS
        assert info["pid"] == process.pid
        variables = yaml.safe_load((state_dir / "vars.yml").read_text())
        assert variables["emulator_graph_url"] == info["graph_url"]
        assert variables["emulator_client_secret"] == info["client_secret"]

        token = requests.post(
            "%s/%s/oauth2/v2.0/token" % (info["login_url"], info["tenant_id"]),
            data={
                "grant_type": "client_credentials",
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "scope": info["graph_url"] + "/.default",
            },
            verify=info["ca_path"],
            timeout=30,
        ).json()["access_token"]
        response = requests.get(
            info["graph_url"] + "/v1.0/users/" + seed.ADA,
            headers={"Authorization": "Bearer " + token},
            verify=info["ca_path"],
            timeout=30,
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _stdout, stderr = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise

    assert process.returncode == 0
    assert "login POST /%s/oauth2/v2.0/token 200" % info["tenant_id"] in stderr
    assert "graph GET /v1.0/users/%s 200" % seed.ADA in stderr
    assert info["client_secret"] not in stderr
    assert token not in stderr
    assert not info_path.exists()


def test_command_line_rejects_other_host(tmp_path):
    result = subprocess.run(
        [sys.executable, str(HERE / "graph_emulator.py"), "--state-dir", str(tmp_path), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "127" in result.stderr
    assert not (tmp_path / "emulator.json").exists()


# -- access token claims, managed identity endpoint, federated assertion -------------------------


def decode_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_token_is_unsigned_jwt(emulator):
    token = fetch_token(emulator)
    header = token.split(".")[0]

    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"] == "none"
    claims = decode_claims(token)
    assert claims["aud"] == emulator.info["graph_url"]
    assert claims["tid"] == emulator.info["tenant_id"]
    assert claims["appid"] == emulator.info["client_id"]
    assert claims["roles"] == list(seed.DEFAULT_APP_ROLES)
    assert claims["exp"] > time.time() + 3000


def identity_get(emu, header=None, **params):
    query = {"api-version": "2019-08-01", "resource": emu.info["graph_url"]}
    query.update(params)
    headers = {"X-IDENTITY-HEADER": emu.info["identity_header"] if header is None else header}
    return Client(emu).get(emu.info["identity_endpoint"], params=query, headers=headers)


def test_identity_system_assigned(emulator):
    response = identity_get(emulator)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["client_id"] == emulator_login.SYSTEM_IDENTITY_CLIENT_ID
    assert int(body["expires_on"]) > time.time()
    assert decode_claims(body["access_token"])["appid"] == emulator_login.SYSTEM_IDENTITY_CLIENT_ID
    graph_response = Client(emulator, body["access_token"]).get("/v1.0/users/" + seed.ADA)
    assert graph_response.status_code == 200


@pytest.mark.parametrize("name", ["client_id", "object_id", "mi_res_id"])
def test_identity_user_assigned(emulator, name):
    response = identity_get(emulator, **{name: emulator_login.USER_IDENTITY[name]})

    assert response.status_code == 200, response.text
    assert response.json()["client_id"] == emulator_login.USER_IDENTITY["client_id"]


def test_identity_wrong_header(emulator):
    response = identity_get(emulator, header="not-the-header")

    assert response.status_code == 401
    assert "X-IDENTITY-HEADER" in response.json()["message"]


def test_identity_unknown_user_assigned(emulator):
    response = identity_get(emulator, client_id="00000000-0000-0000-0000-000000000001")

    assert response.status_code == 400
    assert "No user-assigned managed identity" in response.json()["message"]


def test_identity_wrong_resource(emulator):
    response = identity_get(emulator, resource="https://vault.azure.net")

    assert response.status_code == 400
    assert "AADSTS500011" in response.json()["message"]


def federated_form(emu, assertion):
    form = secret_form(emu, client_assertion=assertion, client_assertion_type=emulator_login.JWT_BEARER)
    del form["client_secret"]
    return form


def test_federated_token_file_accepted(emulator):
    assertion = Path(emulator.info["federated_token_file"]).read_text()

    response = Client(emulator).post(token_url(emulator), data=federated_form(emulator, assertion))

    assert response.status_code == 200, response.text
    assert decode_claims(response.json()["access_token"])["appid"] == emulator.info["client_id"]


def test_federated_other_token_rejected(emulator):
    assertion = emulator_login.make_federated_token()

    response = Client(emulator).post(token_url(emulator), data=federated_form(emulator, assertion))

    assert response.status_code == 400
    assert response.json()["error_codes"] == [70021]


@pytest.mark.parametrize(
    "cloud, instance, graph_host",
    [("usgov", "microsoftonline.us", "graph.microsoft.us"), ("china", "partner.microsoftonline.cn", None)],
)
def test_discovery_names_tenant_cloud(emulator, cloud, instance, graph_host):
    url = "%s/%s/v2.0/.well-known/openid-configuration" % (emulator.info["login_url"], emulator.info["tenant_id"])
    emulator.configure(tenant_cloud=cloud)
    try:
        metadata = Client(emulator).get(url).json()
    finally:
        emulator.configure(tenant_cloud="emulator")

    assert metadata["cloud_instance_name"] == instance
    assert metadata["msgraph_host"] == (graph_host or "microsoftgraph.chinacloudapi.cn")
    default = Client(emulator).get(url).json()
    assert default["msgraph_host"] == urllib.parse.urlsplit(emulator.info["graph_url"]).netloc
