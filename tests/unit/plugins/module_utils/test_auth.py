# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import datetime
import os
import subprocess
import sys

import pytest
import requests
from ansible_collections.entra.governance.plugins.module_utils import auth
from ansible_collections.entra.governance.plugins.module_utils.clouds import Endpoints, discover_cloud
from ansible_collections.entra.governance.plugins.module_utils.errors import AuthError, InvalidInputError
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    GRAPH_URL,
    LOGIN_URL,
    FakeSession,
    make_fake_msal_application,
    make_response,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

TENANT = "00000000-0000-0000-0000-00000000000a"
CLIENT = "00000000-0000-0000-0000-00000000000c"
SECRET = "s3cr3t-value~not-for-output"
PASSWORD = "pem-pass-phrase"
# datetime.UTC needs Python 3.11, and ansible-test runs unit tests on older versions too.
UTC = datetime.timezone.utc  # noqa: UP017


def local_endpoints():
    return Endpoints("public", LOGIN_URL, GRAPH_URL)


def select(params, environ):
    base = {"tenant_id": TENANT, "client_id": CLIENT}
    base.update(params)
    return auth.select_auth(base, local_endpoints(), FakeSession(), environ=environ)


# select_auth


def test_access_token_first():
    method, env_secrets = select({"access_token": "tok", "client_secret": SECRET}, {"AZURE_CLIENT_SECRET": "env"})

    assert isinstance(method, auth.AccessTokenAuth)
    assert env_secrets == []


def test_task_secret_beats_environment():
    environ = {"AZURE_CLIENT_SECRET": "env-secret", "AZURE_CLIENT_CERTIFICATE_PATH": "/env/cert.pem"}

    method, env_secrets = select({"client_secret": SECRET}, environ)

    assert isinstance(method, auth.ClientSecretAuth)
    assert method.secret == SECRET
    assert env_secrets == []


def test_task_certificate_beats_env_secret():
    method, env_secrets = select({"client_certificate_path": "/task/cert.pem"}, {"AZURE_CLIENT_SECRET": "env-secret"})

    assert isinstance(method, auth.CertificateAuth)
    assert method.path == "/task/cert.pem"
    assert env_secrets == []


def test_client_secret_variable_first():
    method, env_secrets = select({}, {"AZURE_SECRET": "awx-secret", "AZURE_CLIENT_SECRET": "sdk-secret"})

    assert method.secret == "sdk-secret"
    assert env_secrets == ["sdk-secret"]


def test_awx_secret_variable():
    method, env_secrets = select({}, {"AZURE_CLIENT_SECRET": "", "AZURE_SECRET": "awx-secret"})

    assert isinstance(method, auth.ClientSecretAuth)
    assert method.secret == "awx-secret"
    assert env_secrets == ["awx-secret"]


def test_env_secret_before_env_certificate():
    environ = {"AZURE_CLIENT_CERTIFICATE_PATH": "/env/cert.pem", "AZURE_CLIENT_SECRET": "env-secret"}

    method, _secrets = select({}, environ)

    assert isinstance(method, auth.ClientSecretAuth)


def test_env_certificate_with_password():
    environ = {"AZURE_CLIENT_CERTIFICATE_PATH": "/env/cert.pem", "AZURE_CLIENT_CERTIFICATE_PASSWORD": PASSWORD}

    method, env_secrets = select({}, environ)

    assert isinstance(method, auth.CertificateAuth)
    assert method.path == "/env/cert.pem"
    assert method.password == PASSWORD
    assert env_secrets == [PASSWORD]


def test_task_password_beats_environment():
    environ = {"AZURE_CLIENT_CERTIFICATE_PASSWORD": "env-password"}
    params = {"client_certificate_path": "/task/cert.pem", "client_certificate_password": PASSWORD}

    method, env_secrets = select(params, environ)

    assert method.password == PASSWORD
    assert env_secrets == []


def test_task_certificate_env_password():
    params = {"client_certificate_path": "/task/cert.pem"}

    method, env_secrets = select(params, {"AZURE_CLIENT_CERTIFICATE_PASSWORD": PASSWORD})

    assert method.password == PASSWORD
    assert env_secrets == [PASSWORD]


def test_select_reads_os_environ(monkeypatch):
    monkeypatch.setenv("AZURE_SECRET", "awx-secret")

    method, _secrets = auth.select_auth({"tenant_id": TENANT, "client_id": CLIENT}, local_endpoints(), None)

    assert method.secret == "awx-secret"


def test_missing_credentials():
    with pytest.raises(InvalidInputError) as caught:
        select({}, {"AZURE_CLIENT_CERTIFICATE_PASSWORD": PASSWORD})

    assert str(caught.value).startswith(
        "Missing credentials: set client_secret, client_certificate_path, federated_token_file or access_token"
    )
    assert "AZURE_CLIENT_SECRET (or AZURE_SECRET, ARM_CLIENT_SECRET)" in str(caught.value)
    assert "AZURE_FEDERATED_TOKEN_FILE (or ARM_OIDC_TOKEN_FILE_PATH)" in str(caught.value)
    assert "IDENTITY_ENDPOINT and IDENTITY_HEADER" in str(caught.value)


# validate() without the network


@pytest.mark.parametrize(
    "tenant_id, client_id, expected",
    [
        (None, CLIENT, "Missing tenant_id: set the option or AZURE_TENANT_ID (or AZURE_TENANT, ARM_TENANT_ID)."),
        ("", CLIENT, "Missing tenant_id: set the option or AZURE_TENANT_ID (or AZURE_TENANT, ARM_TENANT_ID)."),
        (TENANT, None, "Missing client_id: set the option or AZURE_CLIENT_ID (or ARM_CLIENT_ID)."),
    ],
)
def test_validate_missing_ids(tenant_id, client_id, expected):
    method = auth.ClientSecretAuth(tenant_id, client_id, SECRET, local_endpoints(), FakeSession())

    with pytest.raises(InvalidInputError) as caught:
        method.validate()

    assert str(caught.value) == expected


def test_validate_empty_secret():
    method = auth.ClientSecretAuth(TENANT, CLIENT, "", local_endpoints(), FakeSession())

    with pytest.raises(InvalidInputError) as caught:
        method.validate()

    assert str(caught.value) == "Invalid client_secret: the value is empty."


def test_validate_without_msal(monkeypatch):
    monkeypatch.setattr(auth, "msal", None)
    method = auth.ClientSecretAuth(TENANT, CLIENT, SECRET, local_endpoints(), FakeSession())

    with pytest.raises(InvalidInputError) as caught:
        method.validate()

    assert "msal Python library is required" in str(caught.value)


# In a fresh interpreter: sign in with the given method, then list the msal modules loaded.
IMPORT_PROBE = """
import sys
from ansible_collections.entra.governance.plugins.modules import connected_org_sponsor
from ansible_collections.entra.governance.plugins.module_utils import auth, clouds
endpoints = clouds.Endpoints("public", "https://127.0.0.1:1", "https://127.0.0.1:2")
method, _ = auth.select_auth(dict(%s), endpoints, None, environ={})
method.validate()
print(type(method).__name__, sorted(name for name in sys.modules if name.split(".")[0] == "msal"))
"""


@pytest.mark.parametrize(
    "params, expected",
    [
        ('access_token="eyJ0eXAi.payload.sig"', "AccessTokenAuth []"),
        ('tenant_id="t", client_id="c", client_secret="s"', "ClientSecretAuth ['msal',"),
    ],
)
def test_msal_imported_only_when_needed(params, expected):
    probe = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE % params],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        capture_output=True,
        text=True,
        check=True,
    )

    assert probe.stdout.startswith(expected)


@pytest.mark.parametrize("token", ["", "   "])
def test_access_token_empty(token):
    with pytest.raises(InvalidInputError) as caught:
        auth.AccessTokenAuth(token).validate()

    assert str(caught.value) == "Invalid access_token: the value is empty."


def test_access_token_stripped():
    method = auth.AccessTokenAuth(" eyJ0eXAi.payload.sig\n")
    method.validate()

    assert method.get_token() == "eyJ0eXAi.payload.sig"


# Certificates: the key and certificates are generated once per test module, and each test writes its PEM file
# to tmp_path.


def _certificate(key, not_before, not_after):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-governance-unit-test")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pem():
    """PEM blocks of one RSA key (encrypted and plain) and of a valid and an expired certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(UTC)
    return {
        "encrypted_key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        ),
        "traditional_key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        ),
        "plain_key": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "certificate": _certificate(key, now - datetime.timedelta(days=1), now + datetime.timedelta(days=365)),
        "other_certificate": _certificate(
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            now - datetime.timedelta(days=1),
            now + datetime.timedelta(days=365),
        ),
        "expired_certificate": _certificate(
            key, datetime.datetime(2020, 1, 1, tzinfo=UTC), datetime.datetime(2021, 6, 30, 12, 0, tzinfo=UTC)
        ),
    }


def write(tmp_path, *blocks):
    path = tmp_path / "app.pem"
    path.write_bytes(b"".join(blocks))
    return str(path)


def certificate_auth(path, password=PASSWORD, now=None):
    return auth.CertificateAuth(TENANT, CLIENT, path, password, local_endpoints(), FakeSession(), now=now)


def validation_error(method):
    with pytest.raises(InvalidInputError) as caught:
        method.validate()
    return str(caught.value)


def test_certificate_encrypted_key(tmp_path, pem):
    method = certificate_auth(write(tmp_path, pem["encrypted_key"], pem["certificate"]))

    method.validate()

    credential = method.credential()
    assert credential["private_key"] == pem["encrypted_key"].decode()
    assert credential["public_certificate"] == pem["certificate"].decode()
    assert credential["passphrase"] == PASSWORD


def test_certificate_before_key(tmp_path, pem):
    method = certificate_auth(write(tmp_path, b"subject=CN=x\n", pem["certificate"], pem["encrypted_key"]))

    method.validate()

    assert method.credential()["private_key"].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")


def test_certificate_traditional_key(tmp_path, pem):
    method = certificate_auth(write(tmp_path, pem["traditional_key"], pem["certificate"]))

    method.validate()

    assert "Proc-Type: 4,ENCRYPTED" in method.credential()["private_key"]


def test_certificate_plain_key(tmp_path, pem):
    method = certificate_auth(write(tmp_path, pem["plain_key"], pem["certificate"]), password=None)

    method.validate()

    assert "passphrase" not in method.credential()


def test_certificate_missing_password(tmp_path, pem):
    path = write(tmp_path, pem["encrypted_key"], pem["certificate"])

    message = validation_error(certificate_auth(path, password=None))

    assert message == f"Missing client_certificate_password: the private key in '{path}' is encrypted."


def test_certificate_wrong_password(tmp_path, pem):
    path = write(tmp_path, pem["encrypted_key"], pem["certificate"])

    message = validation_error(certificate_auth(path, password="wrong-pass-phrase"))

    assert message.startswith(f"Failed to read the private key in '{path}': the client_certificate_password is wrong")
    assert "wrong-pass-phrase" not in message


def test_certificate_needless_password(tmp_path, pem):
    path = write(tmp_path, pem["plain_key"], pem["certificate"])

    message = validation_error(certificate_auth(path))

    assert message.startswith(f"Invalid client_certificate_password: the private key in '{path}' is not encrypted")
    assert PASSWORD not in message


def test_certificate_without_key(tmp_path, pem):
    path = write(tmp_path, pem["certificate"])

    message = validation_error(certificate_auth(path))

    assert message.startswith(f"Invalid client_certificate_path '{path}': the file contains no PEM private key")


def test_certificate_without_certificate(tmp_path, pem):
    path = write(tmp_path, pem["encrypted_key"])

    message = validation_error(certificate_auth(path))

    assert message.startswith(f"Invalid client_certificate_path '{path}': the file contains no PEM certificate")


def test_certificate_of_other_key(tmp_path, pem):
    path = write(tmp_path, pem["encrypted_key"], pem["other_certificate"])

    message = validation_error(certificate_auth(path))

    assert message == (
        f"Invalid client_certificate_path '{path}': the private key does not belong to the certificate "
        "in the same file."
    )


def test_certificate_expired(tmp_path, pem):
    path = write(tmp_path, pem["encrypted_key"], pem["expired_certificate"])

    message = validation_error(certificate_auth(path))

    assert message == f"Invalid client_certificate_path '{path}': the certificate expired on 2021-06-30 12:00 UTC."


def test_certificate_expired_by_clock(tmp_path, pem):
    path = write(tmp_path, pem["encrypted_key"], pem["certificate"])
    later = datetime.datetime.now(UTC) + datetime.timedelta(days=400)

    message = validation_error(certificate_auth(path, now=later))

    assert "the certificate expired on" in message


def test_certificate_damaged(tmp_path, pem):
    damaged = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    path = write(tmp_path, pem["encrypted_key"], damaged)

    message = validation_error(certificate_auth(path))

    assert message.startswith(f"Invalid client_certificate_path '{path}'")
    assert "certificate" in message.split("': ", 1)[1]


def test_certificate_damaged_key(tmp_path, pem):
    damaged = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    path = write(tmp_path, damaged, pem["certificate"])

    message = validation_error(certificate_auth(path, password=None))

    assert message.startswith(f"Failed to read the private key in '{path}'")


def test_certificate_missing_file(tmp_path):
    path = str(tmp_path / "missing.pem")

    message = validation_error(certificate_auth(path))

    assert message == f"Invalid client_certificate_path '{path}': No such file or directory."


def test_certificate_path_is_directory(tmp_path):
    message = validation_error(certificate_auth(str(tmp_path)))

    assert message == f"Invalid client_certificate_path '{tmp_path}': Is a directory."


def test_certificate_checks_ids_first(tmp_path):
    method = auth.CertificateAuth(None, CLIENT, str(tmp_path / "missing.pem"), None, local_endpoints(), None)

    assert validation_error(method).startswith("Missing tenant_id")


# token_error


def test_token_error_message():
    result = {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value, not the client secret ID.\r\n"
        "Trace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2024-05-06 07:08:09Z",
        "error_codes": [7000215],
        "correlation_id": "c-1",
    }

    error = auth.token_error("client secret of client_id C in tenant T", result)

    assert str(error).startswith(
        "Failed to get a token with client secret of client_id C in tenant T: "
        "invalid_client: AADSTS7000215: Invalid client secret provided."
    )
    assert "Trace ID" not in str(error)
    assert " Hint: {}.".format(auth.AADSTS_HINTS["7000215"]) in str(error)
    assert str(error).endswith(" (correlation id c-1)")
    assert error.code == "AADSTS7000215"
    assert error.correlation_id == "c-1"


def test_token_error_code_from_list():
    error = auth.token_error(
        "x", {"error": "invalid_request", "error_description": "Tenant unknown.", "error_codes": [90002]}
    )

    assert error.code == "AADSTS90002"
    assert "Hint: {}.".format(auth.AADSTS_HINTS["90002"]) in str(error)


def test_token_error_unknown_code():
    error = auth.token_error("x", {"error": "invalid_grant", "error_description": "AADSTS1234567: Something."})

    assert error.code == "AADSTS1234567"
    assert "Hint" not in str(error)


def test_token_error_empty_result():
    error = auth.token_error("x", {})

    assert str(error) == "Failed to get a token with x: unknown error"
    assert error.code is None
    assert error.correlation_id is None


def test_token_error_long_line():
    error = auth.token_error("x", {"error": "e", "error_description": "y" * 600})

    assert str(error) == "Failed to get a token with x: e: " + "y" * 500 + "..."


# msal, faked at the constructor


@pytest.fixture
def fake_msal(monkeypatch):
    """Replace msal.ConfidentialClientApplication with a class that records its arguments."""
    application_class = make_fake_msal_application()
    monkeypatch.setattr(auth.msal_library(), "ConfidentialClientApplication", application_class)
    return application_class


def secret_auth(endpoints=None, session=None):
    return auth.ClientSecretAuth(TENANT, CLIENT, SECRET, endpoints or local_endpoints(), session or FakeSession())


def test_msal_arguments_local(fake_msal):
    session = FakeSession()

    token = secret_auth(session=session).get_token()

    application = fake_msal.created[0]
    assert token == "issued-token"
    assert application.client_id == CLIENT
    assert application.kwargs["client_credential"] == SECRET
    assert application.kwargs["authority"] == f"{LOGIN_URL}/{TENANT}"
    assert application.kwargs["instance_discovery"] is False
    assert application.kwargs["http_client"] is session
    assert application.scopes == [[GRAPH_URL + "/.default"]]


def test_msal_arguments_public(fake_msal):
    secret_auth(endpoints=Endpoints("public")).get_token()

    application = fake_msal.created[0]
    assert application.kwargs["authority"] == f"https://login.microsoftonline.com/{TENANT}"
    assert application.kwargs["instance_discovery"] is None
    assert application.scopes == [["https://graph.microsoft.com/.default"]]


def test_msal_arguments_china(fake_msal):
    secret_auth(endpoints=Endpoints("china")).get_token()

    application = fake_msal.created[0]
    assert application.kwargs["authority"] == f"https://login.chinacloudapi.cn/{TENANT}"
    assert application.scopes == [["https://microsoftgraph.chinacloudapi.cn/.default"]]


def test_msal_application_reused(fake_msal):
    method = secret_auth()

    method.get_token()
    method.get_token()

    assert len(fake_msal.created) == 1
    assert len(fake_msal.created[0].scopes) == 2


def test_invalidate_removes_tokens(fake_msal):
    method = secret_auth()
    method.invalidate()
    method.get_token()

    method.invalidate()

    assert fake_msal.created[0].removals == 1


def test_certificate_credential_to_msal(fake_msal, tmp_path, pem):
    method = certificate_auth(write(tmp_path, pem["encrypted_key"], pem["certificate"]))
    method.validate()

    method.get_token()

    credential = fake_msal.created[0].kwargs["client_credential"]
    assert credential == {
        "private_key": pem["encrypted_key"].decode(),
        "public_certificate": pem["certificate"].decode(),
        "passphrase": PASSWORD,
    }


def test_unknown_tenant(fake_msal):
    fake_msal.constructor_error = ValueError(
        f"Unable to get authority configuration for {LOGIN_URL}/{TENANT}. Authority would "
        "typically be in a format of ...\nsecond line"
    )
    session = FakeSession([make_response(404, text="not found")])

    with pytest.raises(AuthError) as caught:
        secret_auth(session=session).get_token()

    message = str(caught.value)
    assert f"did not accept tenant '{TENANT}'" in message
    assert f"the authority {LOGIN_URL}/{TENANT}" in message
    assert "second line" not in message
    assert SECRET not in message


def test_unknown_tenant_aadsts_code(fake_msal):
    fake_msal.constructor_error = ValueError("AADSTS90002: Tenant 'x' not found.")
    session = FakeSession([requests.exceptions.ConnectionError("Connection refused")])

    with pytest.raises(AuthError) as caught:
        secret_auth(session=session).get_token()

    assert caught.value.code == "AADSTS90002"


def test_unknown_tenant_from_discovery(fake_msal):
    # msal's ValueError lacks Entra's reason, so the discovery document is read again.
    fake_msal.constructor_error = ValueError(f"Unable to get authority configuration for {LOGIN_URL}/{TENANT}.")
    entra_error = {
        "error": "invalid_tenant",
        "error_description": f"AADSTS90002: Tenant '{TENANT}' not found. Check to make sure you have the correct "
        "tenant ID.\r\nTrace ID: t-1\r\nCorrelation ID: c-1",
        "error_codes": [90002],
        "correlation_id": "c-1",
    }
    session = FakeSession([make_response(400, body=entra_error)])

    with pytest.raises(AuthError) as caught:
        secret_auth(session=session).get_token()

    message = str(caught.value)
    assert caught.value.code == "AADSTS90002"
    assert f"AADSTS90002: Tenant '{TENANT}' not found." in message
    assert "Hint: the tenant was not found" in message
    assert "correlation id c-1" in message
    assert "Trace ID" not in message
    assert session.sent[0].url == f"{LOGIN_URL}/{TENANT}/v2.0/.well-known/openid-configuration"


def test_login_tls_failure_hint(fake_msal):
    fake_msal.constructor_error = requests.exceptions.SSLError("certificate verify failed")

    with pytest.raises(AuthError) as caught:
        secret_auth().get_token()

    assert "TLS verification of 127.0.0.1:8443 failed" in str(caught.value)
    assert "set ca_path" in str(caught.value)


def test_login_host_unreachable(fake_msal):
    fake_msal.constructor_error = requests.exceptions.ConnectionError("Connection refused")

    with pytest.raises(AuthError) as caught:
        secret_auth().get_token()

    assert f"could not reach {LOGIN_URL} (Connection refused)" in str(caught.value)


def test_token_refused(fake_msal):
    fake_msal.token_result = {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t-1",
        "error_codes": [7000215],
        "correlation_id": "c-9",
    }

    with pytest.raises(AuthError) as caught:
        secret_auth().get_token()

    message = str(caught.value)
    assert message.startswith(
        f"Failed to get a token with client secret of client_id {CLIENT} in tenant {TENANT}: "
        "invalid_client: AADSTS7000215"
    )
    assert "(correlation id c-9)" in message
    assert SECRET not in message
    assert SECRET not in repr(caught.value.to_result())


def test_token_none_result(fake_msal):
    fake_msal.token_result = None

    with pytest.raises(AuthError) as caught:
        secret_auth().get_token()

    assert "unknown error" in str(caught.value)


# auth_method and the environment names of AWX and Terraform


def test_arm_secret_variable():
    method, env_secrets = select({}, {"ARM_CLIENT_SECRET": "terraform-secret"})

    assert isinstance(method, auth.ClientSecretAuth)
    assert method.secret == "terraform-secret"
    assert env_secrets == ["terraform-secret"]
    assert (
        method.selection == "auth_method auto chose client_secret because the environment variable "
        "ARM_CLIENT_SECRET is set"
    )


def test_azure_secret_beats_arm_secret():
    method, _secrets = select({}, {"ARM_CLIENT_SECRET": "terraform-secret", "AZURE_SECRET": "awx-secret"})

    assert method.secret == "awx-secret"


def test_arm_certificate_variables():
    environ = {"ARM_CLIENT_CERTIFICATE_PATH": "/arm/cert.pfx", "ARM_CLIENT_CERTIFICATE_PASSWORD": PASSWORD}

    method, env_secrets = select({}, environ)

    assert isinstance(method, auth.CertificateAuth)
    assert method.path == "/arm/cert.pfx"
    assert method.password == PASSWORD
    assert env_secrets == [PASSWORD]


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({"AZURE_FEDERATED_TOKEN_FILE": "/azure/token"}, "/azure/token"),
        ({"ARM_OIDC_TOKEN_FILE_PATH": "/arm/token"}, "/arm/token"),
        ({"AZURE_FEDERATED_TOKEN_FILE": "/azure/token", "ARM_OIDC_TOKEN_FILE_PATH": "/arm/token"}, "/azure/token"),
    ],
)
def test_federated_token_file_variables(environ, expected):
    method, env_secrets = select({}, environ)

    assert isinstance(method, auth.FederatedAuth)
    assert method.token_file == expected
    assert env_secrets == []


def test_env_secret_before_federated():
    method, _secrets = select({}, {"AZURE_FEDERATED_TOKEN_FILE": "/azure/token", "AZURE_SECRET": "awx-secret"})

    assert isinstance(method, auth.ClientSecretAuth)


def test_task_federated_file_beats_env_secret():
    method, _secrets = select({"federated_token_file": "/task/token"}, {"AZURE_CLIENT_SECRET": "env-secret"})

    assert isinstance(method, auth.FederatedAuth)
    assert method.token_file == "/task/token"
    assert method.selection == "auth_method auto chose federated because the task sets federated_token_file"


def test_identity_endpoint_selects_managed_identity():
    environ = {"IDENTITY_ENDPOINT": "http://127.0.0.1:8081/msi/token", "IDENTITY_HEADER": "header-value"}

    method, _secrets = select({}, environ)

    assert isinstance(method, auth.ManagedIdentityAuth)
    assert method.identity == {}
    assert "IDENTITY_ENDPOINT and IDENTITY_HEADER" in method.selection
    assert "header-value" not in method.selection


def test_identity_endpoint_without_header_ignored():
    with pytest.raises(InvalidInputError) as caught:
        select({}, {"IDENTITY_ENDPOINT": "http://127.0.0.1:8081/msi/token"})

    assert str(caught.value).startswith("Missing credentials")


def test_task_managed_identity_option():
    method, _secrets = select({"managed_identity_resource_id": "/subscriptions/s/identity"}, {"AZURE_SECRET": "x"})

    assert isinstance(method, auth.ManagedIdentityAuth)
    assert method.identity == {"resource_id": "/subscriptions/s/identity"}
    assert method.describe() == "the user-assigned managed identity of resource id /subscriptions/s/identity"


def test_auto_never_chooses_azure_cli():
    with pytest.raises(InvalidInputError) as caught:
        select({}, {"PATH": "/usr/bin"})

    assert "auth_method azure_cli is never chosen automatically" in str(caught.value)


def test_task_options_of_two_methods():
    with pytest.raises(InvalidInputError) as caught:
        select({"client_secret": SECRET, "federated_token_file": "/task/token"}, {})

    assert str(caught.value) == (
        "Invalid credentials: the task sets options of more than one sign-in method (client_secret, federated); "
        "keep one, or set auth_method."
    )


def test_explicit_method_rejects_other_options():
    with pytest.raises(InvalidInputError) as caught:
        select({"auth_method": "federated", "client_secret": SECRET}, {})

    assert str(caught.value) == (
        "Invalid auth_method 'federated': the task also sets client_secret, which only auth_method client_secret "
        "uses; remove it or change auth_method."
    )


def test_explicit_secret_from_environment():
    environ = {"AZURE_FEDERATED_TOKEN_FILE": "/azure/token", "ARM_CLIENT_SECRET": "terraform-secret"}

    method, env_secrets = select({"auth_method": "client_secret"}, environ)

    assert isinstance(method, auth.ClientSecretAuth)
    assert method.secret == "terraform-secret"
    assert env_secrets == ["terraform-secret"]
    assert method.selection == "auth_method client_secret was set"


def test_explicit_certificate_without_path():
    method, _secrets = select({"auth_method": "certificate"}, {"AZURE_SECRET": "awx-secret"})

    assert validation_error(method) == (
        "Missing client_certificate_path: set the option or AZURE_CLIENT_CERTIFICATE_PATH "
        "(or ARM_CLIENT_CERTIFICATE_PATH)."
    )


def test_explicit_access_token_empty():
    method, _secrets = select({"auth_method": "access_token"}, {"AZURE_SECRET": "awx-secret"})

    assert validation_error(method) == "Invalid access_token: the value is empty."


def test_invalid_auth_method():
    with pytest.raises(InvalidInputError) as caught:
        select({"auth_method": "password"}, {})

    assert str(caught.value).startswith("Invalid auth_method 'password': expected one of auto, client_secret")


# Workload identity federation


def federated_auth(path):
    return auth.FederatedAuth(TENANT, CLIENT, path, local_endpoints(), FakeSession())


def test_federated_missing_option():
    assert validation_error(federated_auth(None)) == (
        "Missing federated_token_file: set the option or AZURE_FEDERATED_TOKEN_FILE (or ARM_OIDC_TOKEN_FILE_PATH)."
    )


def test_federated_missing_file(tmp_path):
    path = str(tmp_path / "absent.jwt")

    assert validation_error(federated_auth(path)) == (
        "Invalid federated_token_file '%s': No such file or directory." % path
    )


def test_federated_empty_file(tmp_path):
    path = tmp_path / "token.jwt"
    path.write_text(" \n")

    assert validation_error(federated_auth(str(path))) == "Invalid federated_token_file '%s': the file is empty." % path


def test_federated_checks_ids_first(tmp_path):
    method = auth.FederatedAuth("", CLIENT, str(tmp_path / "absent"), local_endpoints(), FakeSession())

    assert validation_error(method).startswith("Missing tenant_id")


def test_federated_file_read_per_request(fake_msal, tmp_path):
    path = tmp_path / "token.jwt"
    path.write_text("first-token\n")
    method = federated_auth(str(path))
    method.validate()
    method.get_token()
    read_assertion = fake_msal.created[0].kwargs["client_credential"]["client_assertion"]

    first = read_assertion()
    path.write_text("rotated-token")
    second = read_assertion()

    assert first == "first-token"
    assert second == "rotated-token"


# Managed identity


IDENTITY_URL = "http://127.0.0.1:8081/msi/token"
IDENTITY_ENVIRON = {"IDENTITY_ENDPOINT": IDENTITY_URL, "IDENTITY_HEADER": "header-value"}


def managed_identity(session=None, environ=None, **identity):
    environ = IDENTITY_ENVIRON if environ is None else environ
    return auth.ManagedIdentityAuth(identity, local_endpoints(), session or FakeSession(), environ)


@pytest.mark.parametrize(
    "environ", [{}, {"IDENTITY_HEADER": "header-value"}, {"IDENTITY_ENDPOINT": IDENTITY_URL}], ids=str
)
def test_managed_identity_needs_endpoint(environ):
    session = FakeSession()

    message = validation_error(managed_identity(session=session, environ=environ))

    assert message.startswith("Missing IDENTITY_ENDPOINT or IDENTITY_HEADER: auth_method managed_identity needs")
    assert "instance metadata endpoint of virtual machines is not supported" in message
    assert session.sent == []


def test_managed_identity_one_identity():
    method = managed_identity(client_id="a", object_id="b")

    assert validation_error(method).startswith("Invalid managed identity: set only one of")


def test_managed_identity_endpoint_scheme():
    method = managed_identity(environ={"IDENTITY_ENDPOINT": "ftp://127.0.0.1/token", "IDENTITY_HEADER": "h"})

    assert validation_error(method) == (
        "Invalid IDENTITY_ENDPOINT 'ftp://127.0.0.1/token': expected an http:// or https:// URL."
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/metadata/identity/oauth2/token",
        "https://127.0.0.1:8081/msi/token",
        "http://127.0.0.1:8082/msi/token",
        "http://localhost:8081/msi/token",
    ],
)
def test_identity_client_only_sends_to_endpoint(url):
    session = FakeSession([make_response(200, body={})])
    client = auth._IdentityEndpointClient(session, IDENTITY_URL)

    with pytest.raises(AuthError) as caught:
        client.get(url, params={})

    assert "only the IDENTITY_ENDPOINT http://127.0.0.1:8081 is allowed" in str(caught.value)
    assert session.sent == []


def test_managed_identity_token(monkeypatch):
    for name, value in IDENTITY_ENVIRON.items():
        monkeypatch.setenv(name, value)
    expires_on = str(int(datetime.datetime.now(UTC).timestamp()) + 3600)
    session = FakeSession([make_response(200, body={"access_token": "mi-token", "expires_on": expires_on})])
    method = managed_identity(session=session, object_id="2c4e6a8b")
    method.validate()

    token = method.get_token()

    assert token == "mi-token"
    assert len(session.sent) == 1
    sent = session.sent[0]
    assert sent.method == "GET"
    assert sent.url == IDENTITY_URL
    assert sent.kwargs["headers"]["X-IDENTITY-HEADER"] == "header-value"
    assert sent.kwargs["params"]["resource"] == GRAPH_URL
    assert sent.kwargs["params"]["object_id"] == "2c4e6a8b"


def test_managed_identity_refused(monkeypatch):
    for name, value in IDENTITY_ENVIRON.items():
        monkeypatch.setenv(name, value)
    body = {"statusCode": 400, "message": "No user-assigned managed identity with client_id 'x' is assigned."}
    method = managed_identity(session=FakeSession([make_response(400, body=body)]), client_id="x")
    method.validate()

    with pytest.raises(AuthError) as caught:
        method.get_token()

    assert str(caught.value) == (
        "Failed to get a token with the user-assigned managed identity of client id x from IDENTITY_ENDPOINT "
        "%s: 400, No user-assigned managed identity with client_id 'x' is assigned." % IDENTITY_URL
    )


# Azure CLI


class FakeAz:
    """Records the commands run and returns a fixed (rc, stdout, stderr)."""

    def __init__(self, rc=0, stdout="", stderr=""):
        self.answer = (rc, stdout, stderr)
        self.commands = []

    def __call__(self, command):
        self.commands.append(command)
        return self.answer


def azure_cli(run_command, executable="/usr/bin/az", tenant_id=TENANT):
    return auth.AzureCliAuth(tenant_id, local_endpoints(), run_command, lambda name: executable)


def test_azure_cli_missing():
    assert validation_error(azure_cli(FakeAz(), executable=None)).startswith(
        "Missing Azure CLI: auth_method azure_cli needs the 'az' command on PATH"
    )


def test_azure_cli_token():
    run_command = FakeAz(stdout='{"accessToken": "cli-token", "expiresOn": "2030-01-01 00:00:00.000000"}')
    method = azure_cli(run_command)
    method.validate()

    assert method.get_token() == "cli-token"
    assert method.get_token() == "cli-token"
    assert run_command.commands == [
        ["/usr/bin/az", "account", "get-access-token", "--resource", GRAPH_URL, "--output", "json", "--tenant", TENANT]
    ]


def test_azure_cli_token_renewed_after_invalidate():
    run_command = FakeAz(stdout='{"accessToken": "cli-token"}')
    method = azure_cli(run_command, tenant_id=None)
    method.validate()
    method.get_token()

    method.invalidate()
    method.get_token()

    assert len(run_command.commands) == 2
    assert "--tenant" not in run_command.commands[0]


def test_azure_cli_not_logged_in():
    method = azure_cli(FakeAz(rc=1, stderr="ERROR: Please run 'az login' to setup account.\n"))
    method.validate()

    with pytest.raises(AuthError) as caught:
        method.get_token()

    assert str(caught.value) == (
        "Failed to get a token with the Azure CLI in tenant %s: 'az account get-access-token' exited with status 1: "
        "ERROR: Please run 'az login' to setup account.. Hint: the Azure CLI is not signed in; run 'az login' as "
        "the user that runs the task." % TENANT
    )


def test_azure_cli_aadsts_code():
    stderr = "ERROR: AADSTS700016: Application with identifier 'x' was not found.\n"
    method = azure_cli(FakeAz(rc=1, stderr=stderr))
    method.validate()

    with pytest.raises(AuthError) as caught:
        method.get_token()

    assert caught.value.code == "AADSTS700016"


def test_azure_cli_bad_output():
    method = azure_cli(FakeAz(stdout="not json"))
    method.validate()

    with pytest.raises(AuthError) as caught:
        method.get_token()

    assert "printed no accessToken in JSON" in str(caught.value)


# PFX (PKCS#12) certificates


def write_pfx(tmp_path, key, certificate_pem, password=PASSWORD):
    from cryptography.hazmat.primitives.serialization import pkcs12

    certificate = x509.load_pem_x509_certificate(certificate_pem)
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    path = tmp_path / "app.pfx"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"app", key, certificate, None, encryption))
    return str(path)


def pem_key(pem):
    return serialization.load_pem_private_key(pem["plain_key"], password=None)


def test_pfx_credential(fake_msal, tmp_path, pem):
    method = certificate_auth(write_pfx(tmp_path, pem_key(pem), pem["certificate"]))
    method.validate()

    method.get_token()

    credential = fake_msal.created[0].kwargs["client_credential"]
    assert credential["private_key"] == pem["plain_key"].decode()
    assert credential["public_certificate"] == pem["certificate"].decode()
    assert "passphrase" not in credential


def test_pfx_without_password(tmp_path, pem):
    method = certificate_auth(write_pfx(tmp_path, pem_key(pem), pem["certificate"], password=None), password=None)

    method.validate()

    assert method.credential()["private_key"] == pem["plain_key"].decode()


def test_pfx_wrong_password(tmp_path, pem):
    path = write_pfx(tmp_path, pem_key(pem), pem["certificate"])

    assert validation_error(certificate_auth(path, password="wrong")) == (
        "Failed to read the PFX file '%s': the client_certificate_password is wrong, or the file is neither "
        "PEM nor PKCS#12." % path
    )


def test_pfx_without_key(tmp_path, pem):
    path = write_pfx(tmp_path, None, pem["certificate"])

    assert validation_error(certificate_auth(path)) == (
        "Invalid client_certificate_path '%s': the PFX file contains no private key." % path
    )


def test_pfx_expired(tmp_path, pem):
    path = write_pfx(tmp_path, pem_key(pem), pem["expired_certificate"])

    assert validation_error(certificate_auth(path)) == (
        "Invalid client_certificate_path '%s': the certificate expired on 2021-06-30 12:00 UTC." % path
    )


# cloud auto


def discovery_response(graph_host, instance="microsoftonline.us"):
    return make_response(200, body={"cloud_instance_name": instance, "msgraph_host": graph_host})


@pytest.mark.parametrize(
    "graph_host, expected",
    [
        ("graph.microsoft.com", "public"),
        ("graph.microsoft.us", "usgov"),
        ("dod-graph.microsoft.us", "usgov_dod"),
        ("microsoftgraph.chinacloudapi.cn", "china"),
    ],
)
def test_discover_cloud(graph_host, expected):
    session = FakeSession([discovery_response(graph_host)])

    assert discover_cloud(LOGIN_URL, TENANT, session) == expected
    assert [sent.url for sent in session.sent] == [f"{LOGIN_URL}/{TENANT}/v2.0/.well-known/openid-configuration"]


def test_discover_cloud_unknown_host():
    session = FakeSession([discovery_response("127.0.0.1:9443", "emulator.invalid")])

    with pytest.raises(InvalidInputError) as caught:
        discover_cloud(LOGIN_URL, TENANT, session)

    assert str(caught.value).startswith(
        f"Invalid cloud auto: the OpenID metadata of tenant '{TENANT}' names the Graph host '127.0.0.1:9443' "
        "(cloud instance 'emulator.invalid')"
    )


def test_discover_cloud_unknown_tenant():
    body = {"error": "invalid_tenant", "error_description": "AADSTS90002: Tenant not found."}
    session = FakeSession([make_response(400, body=body)])

    with pytest.raises(AuthError) as caught:
        discover_cloud(LOGIN_URL, TENANT, session)

    assert "returned HTTP 400 instead of the OpenID metadata; check tenant_id, or set cloud" in str(caught.value)


def test_discover_cloud_needs_tenant():
    session = FakeSession()

    with pytest.raises(InvalidInputError) as caught:
        discover_cloud(LOGIN_URL, None, session)

    assert str(caught.value).startswith("Missing tenant_id: cloud auto")
    assert session.sent == []


def test_discover_cloud_unreachable():
    session = FakeSession([requests.exceptions.ConnectionError("connection refused")])

    with pytest.raises(AuthError) as caught:
        discover_cloud(LOGIN_URL, TENANT, session)

    assert str(caught.value).endswith("connection refused")


def test_access_token_with_federated_file():
    with pytest.raises(InvalidInputError) as caught:
        select({"access_token": "tok", "federated_token_file": "/task/token"}, {})

    assert "(access_token, federated)" in str(caught.value)
