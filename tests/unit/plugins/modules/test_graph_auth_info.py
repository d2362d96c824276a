# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import base64
import json

import pytest
from ansible_collections.entra.governance.plugins.modules import graph_auth_info
from ansible_collections.entra.governance.tests.unit import module_runner
from ansible_collections.entra.governance.tests.unit.fake_graph import GRAPH_URL, LOGIN_URL
from ansible_collections.entra.governance.tests.unit.module_runner import CLIENT, TENANT

ALL_ROLES = ["EntitlementManagement.ReadWrite.All", "Directory.Read.All"]


def encode(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def jwt(**claims):
    base = {"aud": GRAPH_URL, "tid": TENANT, "appid": CLIENT, "exp": 1767268800}
    base.update(claims)
    return "%s.%s.%s" % (encode({"alg": "RS256", "typ": "JWT"}), encode(base), "c2lnbmF0dXJl")


def warning_texts(result):
    """Return the warning messages of a module result, in the plain or the structured form of ansible-core."""
    texts = []
    for warning in result.get("warnings", []):
        texts.append(warning["event"]["msg"] if isinstance(warning, dict) else warning)
    return texts


@pytest.fixture
def run(capsys, monkeypatch):
    """Return a function that runs the module with a given access token and options; nothing is sent."""
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SECRET", "ARM_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)

    def run_module(token, **options):
        args = {"access_token": token, "authority_host": LOGIN_URL, "graph_endpoint": GRAPH_URL}
        args.update(options)
        return module_runner.run_module(graph_auth_info.main, capsys, args)

    return run_module


def test_reports_claims(run):
    token = jwt(roles=ALL_ROLES)

    result = run(token)

    assert result.exit_code == 0
    assert result.result["changed"] is False
    assert result.result["auth_method"] == "access_token"
    assert result.result["auth_selection"] == "auth_method auto chose access_token because the task sets access_token"
    assert result.result["tenant_id"] == TENANT
    assert result.result["client_id"] == CLIENT
    assert result.result["graph_endpoint"] == GRAPH_URL
    assert result.result["token_audience"] == GRAPH_URL
    assert result.result["token_expires_on"] == "2026-01-01T12:00:00Z"
    assert result.result["roles"] == sorted(ALL_ROLES)
    assert result.result["missing_permissions"] == []
    assert "warnings" not in result.result


def test_token_never_returned(run):
    token = jwt(roles=ALL_ROLES)

    result = run(token)

    assert token not in result.output
    assert token.split(".")[1] not in result.output


def test_missing_permissions_warned(run):
    result = run(jwt(roles=["EntitlementManagement.Read.All", "User.Read.All"]))

    assert result.result["missing_permissions"] == ["EntitlementManagement.ReadWrite.All", "Group.Read.All"]
    warnings = warning_texts(result.result)
    assert len(warnings) == 2
    assert warnings[0].startswith("The token lacks the application permission EntitlementManagement.ReadWrite.All")
    assert "connected_org_sponsor" in warnings[0]
    assert warnings[1].startswith("The token lacks the application permission Group.Read.All")


def test_no_roles_every_permission_missing(run):
    result = run(jwt())

    assert result.result["roles"] == []
    assert result.result["missing_permissions"] == [
        "EntitlementManagement.ReadWrite.All",
        "EntitlementManagement.Read.All",
        "User.Read.All",
        "Group.Read.All",
    ]


def test_delegated_token_scopes(run):
    result = run(jwt(scp="EntitlementManagement.Read.All User.Read"))

    assert result.result["scopes"] == ["EntitlementManagement.Read.All", "User.Read"]
    assert result.result["missing_permissions"] == []
    assert "delegated" in warning_texts(result.result)[0]


def test_opaque_token(run):
    result = run("opaque-token-value")

    assert result.exit_code == 0
    assert result.result["roles"] == []
    assert "token_expires_on" not in result.result
    assert warning_texts(result.result) == ["The access token is not a JWT, so its permissions cannot be read."]


def test_options_fill_missing_claims(run):
    token = "%s.%s.%s" % (encode({"alg": "none"}), encode({"roles": ALL_ROLES}), "")

    result = run(token, tenant_id="contoso.example", client_id=CLIENT)

    assert result.result["tenant_id"] == "contoso.example"
    assert result.result["client_id"] == CLIENT
    assert "token_expires_on" in result.result
    assert result.result["token_expires_on"] is None


@pytest.mark.parametrize(
    "token, expected",
    [
        ("a.b", None),
        ("a.!!!.c", None),
        ("%s.%s.c" % (encode({}), encode(["not", "an", "object"])), None),
        ("%s.%s.c" % (encode({}), encode({"tid": TENANT})), {"tid": TENANT}),
    ],
)
def test_decode_jwt_claims(token, expected):
    assert graph_auth_info.decode_jwt_claims(token) == expected
