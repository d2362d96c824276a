# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import datetime

import pytest
import requests
from ansible_collections.entra.governance.plugins.module_utils import auth
from ansible_collections.entra.governance.plugins.module_utils.clouds import Endpoints
from ansible_collections.entra.governance.plugins.module_utils.errors import AuthError, InvalidInputError
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    GRAPH_URL,
    LOGIN_URL,
    FakeSession,
    make_response,
    make_fake_msal_application,
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
        "Missing credentials: set client_secret, client_certificate_path or access_token"
    )
    assert "AZURE_CLIENT_SECRET (or AZURE_SECRET) or AZURE_CLIENT_CERTIFICATE_PATH" in str(caught.value)


# validate() without the network


@pytest.mark.parametrize(
    "tenant_id, client_id, expected",
    [
        (None, CLIENT, "Missing tenant_id: set the option or AZURE_TENANT_ID (or AZURE_TENANT)."),
        ("", CLIENT, "Missing tenant_id: set the option or AZURE_TENANT_ID (or AZURE_TENANT)."),
        (TENANT, None, "Missing client_id: set the option or AZURE_CLIENT_ID."),
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
        f"Invalid client_certificate_path '{path}': the private key does not belong to the certificate in the same file."
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
    monkeypatch.setattr(auth.msal, "ConfidentialClientApplication", application_class)
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
