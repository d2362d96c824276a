# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Sign-in for the graph_token lookup: options, environment fallbacks and errors, with msal faked."""

import os

import pytest
from ansible_collections.entra.governance.plugins.module_utils import auth
from ansible_collections.entra.governance.plugins.module_utils.common import GRAPH_ARGUMENT_SPEC
from ansible_collections.entra.governance.plugins.module_utils.errors import AuthError, InvalidInputError
from ansible_collections.entra.governance.plugins.plugin_utils.sign_in import graph_token_params, sign_in
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    GRAPH_URL,
    LOGIN_URL,
    make_fake_msal_application,
)

TENANT = "8c3e5a1f-2b7d-4e90-a6c4-5f1d2e3b4a71"
CLIENT = "d4f1c2b3-7a8e-4c5d-9e0f-1a2b3c4d5e6f"
SECRET = "lookup-test-secret-4d2a"


def getter(**options):
    """Return a get_option stand-in that falls back to the spec's defaults, as the plugin's config does."""

    def get_option(name):
        if name in options:
            return options[name]
        return GRAPH_ARGUMENT_SPEC[name].get("default")

    return get_option


@pytest.fixture
def fake_msal(monkeypatch):
    application_class = make_fake_msal_application()
    monkeypatch.setattr(auth.msal_library(), "ConfidentialClientApplication", application_class)
    return application_class


def local_params(**options):
    base = dict(
        tenant_id=TENANT,
        client_id=CLIENT,
        client_secret=SECRET,
        authority_host=LOGIN_URL,
        graph_endpoint=GRAPH_URL,
    )
    base.update(options)
    return graph_token_params(getter(**base), {})


def test_params_option_beats_environment():
    params = graph_token_params(getter(tenant_id="from-option"), {"AZURE_TENANT_ID": "from-environment"})

    assert params["tenant_id"] == "from-option"


def test_params_environment_fallback():
    params = graph_token_params(getter(), {"AZURE_TENANT": "tenant-b", "AZURE_CLIENT_ID": "client-c"})

    assert params["tenant_id"] == "tenant-b"
    assert params["client_id"] == "client-c"
    assert params["cloud"] == "public"
    assert params["timeout"] == 30


def test_sign_in_returns_token(fake_msal):
    token = sign_in(local_params())

    application = fake_msal.created[0]
    assert token == "issued-token"
    assert application.client_id == CLIENT
    assert application.kwargs["authority"] == "%s/%s" % (LOGIN_URL, TENANT)
    assert application.scopes == [[GRAPH_URL + "/.default"]]


def test_sign_in_secret_from_environment(fake_msal):
    params = local_params(client_secret=None)

    token = sign_in(params, environ={"AZURE_CLIENT_SECRET": SECRET})

    assert token == "issued-token"
    assert len(fake_msal.created) == 1


def test_sign_in_failure_hides_secret(fake_msal):
    fake_msal.token_result = {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.",
    }

    with pytest.raises(AuthError) as caught:
        sign_in(local_params())

    assert "AADSTS7000215" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_sign_in_missing_tenant(fake_msal):
    with pytest.raises(InvalidInputError) as caught:
        sign_in(local_params(tenant_id=None))

    assert "Missing tenant_id" in str(caught.value)
    assert fake_msal.created == []


def test_sign_in_rejects_zero_timeout(fake_msal):
    with pytest.raises(InvalidInputError) as caught:
        sign_in(local_params(timeout=0))

    assert "Invalid timeout '0'" in str(caught.value)
    assert fake_msal.created == []


# auth_method azure_cli, with a stand-in az on PATH

STAND_IN_AZ = """#!/bin/sh
printf '%s\\n' "$*" >> "{log}"
if [ "{logged_in}" = yes ]; then
    printf '{{"accessToken": "cli-token", "expiresOn": "2026-12-04 12:00:00.000000"}}\\n'
else
    echo "ERROR: Please run 'az login' to setup account." >&2
    exit 1
fi
"""


def stand_in_az(tmp_path, monkeypatch, logged_in):
    """Put a stand-in az first on PATH; return the file where it logs its arguments."""
    log = tmp_path / "az-calls.txt"
    script = tmp_path / "az"
    script.write_text(STAND_IN_AZ.format(log=log, logged_in="yes" if logged_in else "no"))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, os.environ.get("PATH", "/usr/bin:/bin")))
    return log


def test_sign_in_azure_cli(tmp_path, monkeypatch, fake_msal):
    log = stand_in_az(tmp_path, monkeypatch, logged_in=True)
    warnings = []

    token = sign_in(local_params(auth_method="azure_cli", client_secret=None), warn=warnings.append)

    assert token == "cli-token"
    assert log.read_text() == "account get-access-token --resource %s --output json --tenant %s\n" % (GRAPH_URL, TENANT)
    assert warnings == [auth.AZURE_CLI_WARNING]
    assert fake_msal.created == []


def test_sign_in_azure_cli_not_logged_in(tmp_path, monkeypatch):
    stand_in_az(tmp_path, monkeypatch, logged_in=False)

    with pytest.raises(AuthError) as caught:
        sign_in(local_params(auth_method="azure_cli", client_secret=None))

    assert "exited with status 1: ERROR: Please run 'az login' to setup account." in str(caught.value)
    assert "Hint: the Azure CLI is not signed in" in str(caught.value)


def test_sign_in_azure_cli_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(InvalidInputError) as caught:
        sign_in(local_params(auth_method="azure_cli", client_secret=None))

    assert str(caught.value).startswith("Missing Azure CLI: auth_method azure_cli needs the 'az' command on PATH")
