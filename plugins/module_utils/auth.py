# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Sign-in to Microsoft Entra ID for Graph, one small class per method.

For use by this collection only; not a public API.

Each method's ``validate()`` checks its options without touching the network;
``get_token()`` then requests an app-only token for Graph from Entra ID through msal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import traceback

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, this keeps the import sanity test quiet
    from urlparse import urlsplit

# msal is imported on first use (see msal_library), so that a task signing in with
# access_token or azure_cli does not pay for the import. Until then msal is _NOT_IMPORTED.
_NOT_IMPORTED = object()
msal = _NOT_IMPORTED
MSAL_IMPORT_ERROR = None

try:
    import requests
except ImportError:  # pragma: no cover - reported through graph.REQUESTS_IMPORT_ERROR
    requests = None

from ansible_collections.entra.governance.plugins.module_utils.errors import AuthError, InvalidInputError


def msal_library():
    """Return the msal module, importing it on the first call, or None when it is not installed.

    When it is not installed, MSAL_IMPORT_ERROR contains the traceback of the failed import.
    """
    global msal, MSAL_IMPORT_ERROR
    if msal is _NOT_IMPORTED:
        try:
            import msal as library
        except ImportError:  # pragma: no cover - reported by the module through missing_required_lib()
            library = None
            MSAL_IMPORT_ERROR = traceback.format_exc()
        msal = library
    return msal


# One-line hints for the Entra ID errors users meet most; the code is the number after AADSTS.
# https://learn.microsoft.com/entra/identity-platform/reference-error-codes
AADSTS_HINTS = {
    "7000215": "the client secret is wrong; a common cause is using the secret's ID instead of its value",
    "7000222": "the client secret has expired; create a new one in the app registration",
    "700016": "no application with this client_id exists in the tenant; check client_id and tenant_id",
    "90002": "the tenant was not found; check tenant_id and cloud",
    "70021": "no federated credential of the app matches the presented token",
    "700027": "the certificate is not registered on the app, or the signature does not match it",
    "7000112": "the application is disabled",
    "500011": "the Graph resource is not known in this tenant; check cloud and graph_endpoint",
}

# Environment variables read for credentials, first set wins. The AZURE_ names are the Azure
# SDK's. AZURE_SECRET and AZURE_TENANT are the names that the Azure credential type of AWX and
# Ansible Automation Platform injects. The ARM_ names are those of Terraform's azurerm provider.
SECRET_VARIABLES = ("AZURE_CLIENT_SECRET", "AZURE_SECRET", "ARM_CLIENT_SECRET")
CERTIFICATE_PATH_VARIABLES = ("AZURE_CLIENT_CERTIFICATE_PATH", "ARM_CLIENT_CERTIFICATE_PATH")
CERTIFICATE_PASSWORD_VARIABLES = ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "ARM_CLIENT_CERTIFICATE_PASSWORD")
FEDERATED_TOKEN_FILE_VARIABLES = ("AZURE_FEDERATED_TOKEN_FILE", "ARM_OIDC_TOKEN_FILE_PATH")
TENANT_ID_VARIABLES = ("AZURE_TENANT_ID", "AZURE_TENANT", "ARM_TENANT_ID")
CLIENT_ID_VARIABLES = ("AZURE_CLIENT_ID", "ARM_CLIENT_ID")

AUTH_METHODS = ("auto", "client_secret", "certificate", "federated", "managed_identity", "access_token", "azure_cli")

# The task options that belong to each method. With an explicit auth_method, an option of
# another method in the task is an error, because it would otherwise be silently ignored.
METHOD_OPTIONS = {
    "client_secret": ("client_secret",),
    "certificate": ("client_certificate_path", "client_certificate_password"),
    "federated": ("federated_token_file",),
    "managed_identity": ("managed_identity_client_id", "managed_identity_object_id", "managed_identity_resource_id"),
    "access_token": ("access_token",),
    "azure_cli": (),
}


def _first_set(environ, names):
    for name in names:
        value = environ.get(name)
        if value:
            return value, name
    return None, None


class AccessTokenAuth(object):
    """A token the caller already has, used as it is and never renewed."""

    method = "access_token"
    renewable = False

    def __init__(self, token):
        self.token = token

    def validate(self):
        if not self.token or not self.token.strip():
            raise InvalidInputError("Invalid access_token: the value is empty.")

    def get_token(self):
        return self.token.strip()

    def invalidate(self):
        pass

    def describe(self):
        return "a given access token"


class _MsalAuth(object):
    """Shared part of the methods that get an app-only token from msal's client-credentials flow."""

    method = None
    renewable = True

    def __init__(self, tenant_id, client_id, endpoints, session):
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.endpoints = endpoints
        self.session = session
        self._application = None

    def validate(self):
        if not self.tenant_id:
            raise InvalidInputError(
                "Missing tenant_id: set the option or AZURE_TENANT_ID (or AZURE_TENANT, ARM_TENANT_ID)."
            )
        if not self.client_id:
            raise InvalidInputError("Missing client_id: set the option or AZURE_CLIENT_ID (or ARM_CLIENT_ID).")
        if msal_library() is None:
            raise InvalidInputError(
                "The msal Python library is required to sign in; install it with "
                "'pip install -r requirements.txt' from the collection."
            )

    def credential(self):
        raise NotImplementedError

    def describe(self):
        return "%s of client_id %s in tenant %s" % (self.method.replace("_", " "), self.client_id, self.tenant_id)

    def _get_application(self):
        if self._application is not None:
            return self._application
        authority = self.endpoints.authority(self.tenant_id)
        try:
            # The constructor already fetches the tenant's OpenID configuration.
            self._application = msal_library().ConfidentialClientApplication(
                self.client_id,
                client_credential=self.credential(),
                authority=authority,
                http_client=self.session,
                instance_discovery=None if self.endpoints.needs_instance_discovery else False,
            )
        except ValueError as exc:
            # msal raises ValueError for an unknown tenant and for a key it cannot read.
            raise self._discovery_error(authority, exc)
        except requests.exceptions.RequestException as exc:
            raise self._connection_error(exc)
        return self._application

    def get_token(self):
        application = self._get_application()
        try:
            result = application.acquire_token_for_client(scopes=[self.endpoints.scope])
        except requests.exceptions.RequestException as exc:
            raise self._connection_error(exc)
        if result and "access_token" in result:
            return result["access_token"]
        raise token_error(self.describe(), result or {})

    def invalidate(self):
        if self._application is not None:
            self._application.remove_tokens_for_client()

    def _connection_error(self, exc):
        if isinstance(exc, requests.exceptions.SSLError):
            return AuthError(
                "Failed to sign in with %s: TLS verification of %s failed (%s); set ca_path to the CA "
                "that signed its certificate" % (self.describe(), self.endpoints.login_host, _first_line(str(exc), 300))
            )
        return AuthError(
            "Failed to sign in with %s: could not reach %s (%s)"
            % (self.describe(), self.endpoints.login_url, _first_line(str(exc), 300))
        )

    def _discovery_error(self, authority, exc):
        """Build the AuthError for a failed OpenID discovery, with Entra's own reason if it gave one.

        msal's ValueError drops the body of the failed discovery response, which carries
        the AADSTS code (90002 for an unknown tenant), so the document is fetched once more.
        """
        url = "%s/v2.0/.well-known/openid-configuration" % authority
        result = {}
        try:
            response = self.session.request("GET", url)
            if response.status_code >= 400:
                result = response.json()
        except (requests.exceptions.RequestException, ValueError):
            pass
        failure = "Failed to sign in with %s: the authority %s did not accept tenant '%s'" % (
            self.describe(),
            authority,
            self.tenant_id,
        )
        if isinstance(result, dict) and result.get("error_description"):
            return token_error(self.describe(), result, failure=failure)
        return AuthError("%s (%s)" % (failure, _first_line(str(exc), 400)), code=_aadsts_code(str(exc)))


class ClientSecretAuth(_MsalAuth):
    method = "client_secret"

    def __init__(self, tenant_id, client_id, secret, endpoints, session):
        super(ClientSecretAuth, self).__init__(tenant_id, client_id, endpoints, session)
        self.secret = secret

    def validate(self):
        super(ClientSecretAuth, self).validate()
        if not self.secret:
            raise InvalidInputError("Invalid client_secret: the value is empty.")

    def credential(self):
        return self.secret


class CertificateAuth(_MsalAuth):
    """A certificate credential: a PEM file with the private key and its certificate, or a PFX file.

    A PFX (PKCS#12) file is recognised by the absence of PEM markers and converted to PEM
    in memory. msal computes the certificate's SHA-256 thumbprint from ``public_certificate``.
    """

    method = "certificate"

    def __init__(self, tenant_id, client_id, path, password, endpoints, session, now=None):
        super(CertificateAuth, self).__init__(tenant_id, client_id, endpoints, session)
        self.path = path
        self.password = password
        self.now = now
        self._private_key = None
        self._certificate = None
        self._key_is_encrypted = True

    def validate(self):
        super(CertificateAuth, self).validate()
        if not self.path:
            raise InvalidInputError(
                "Missing client_certificate_path: set the option or AZURE_CLIENT_CERTIFICATE_PATH "
                "(or ARM_CLIENT_CERTIFICATE_PATH)."
            )
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise InvalidInputError("Invalid client_certificate_path '%s': %s." % (self.path, exc.strerror or exc))
        if b"-----BEGIN " not in data:
            self._load_pkcs12(data)
            return
        text = data.decode("ascii", "replace")
        key = _pem_block(text, "PRIVATE KEY")
        certificate = _pem_block(text, "CERTIFICATE")
        if key is None:
            raise InvalidInputError(
                "Invalid client_certificate_path '%s': the file contains no PEM private key; it "
                "must contain the private key and the certificate." % self.path
            )
        if certificate is None:
            raise InvalidInputError(
                "Invalid client_certificate_path '%s': the file contains no PEM certificate; it "
                "must contain the private key and the certificate." % self.path
            )
        self._check_key_and_certificate(key, certificate)
        self._private_key = key
        self._certificate = certificate

    def _check_key_and_certificate(self, key, certificate):
        try:
            from cryptography import x509
            from cryptography.exceptions import UnsupportedAlgorithm
            from cryptography.hazmat.primitives import serialization
        except ImportError:  # msal depends on cryptography, so this is only a partial install
            return
        password = self.password.encode("utf-8") if self.password else None
        try:
            private_key = serialization.load_pem_private_key(key.encode("ascii"), password=password)
        except UnsupportedAlgorithm:
            raise InvalidInputError(
                "Invalid client_certificate_path '%s': the private key type is not supported; "
                "use an RSA key." % self.path
            )
        except TypeError:
            if password is None:
                raise InvalidInputError(
                    "Missing client_certificate_password: the private key in '%s' is encrypted." % self.path
                )
            raise InvalidInputError(
                "Invalid client_certificate_password: the private key in '%s' is not encrypted; "
                "leave the password out." % self.path
            )
        except ValueError:
            raise InvalidInputError(
                "Failed to read the private key in '%s': the client_certificate_password is wrong, "
                "or the key is damaged." % self.path
            )
        try:
            parsed = x509.load_pem_x509_certificate(certificate.encode("ascii"))
        except ValueError:
            raise InvalidInputError(
                "Invalid client_certificate_path '%s': the PEM certificate in the file is damaged "
                "and cannot be read." % self.path
            )
        public_format = (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        if parsed.public_key().public_bytes(*public_format) != private_key.public_key().public_bytes(*public_format):
            raise InvalidInputError(
                "Invalid client_certificate_path '%s': the private key does not belong to the "
                "certificate in the same file." % self.path
            )
        self._check_expiry(parsed)

    def _load_pkcs12(self, data):
        try:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.serialization import pkcs12
        except ImportError:  # msal depends on cryptography, so this is only a partial install
            raise InvalidInputError(
                "Invalid client_certificate_path '%s': reading a PFX file needs the cryptography library." % self.path
            )
        password = self.password.encode("utf-8") if self.password else None
        try:
            private_key, certificate, _chain = pkcs12.load_key_and_certificates(data, password)
        except ValueError:
            raise InvalidInputError(
                "Failed to read the PFX file '%s': the client_certificate_password is wrong, or the file is neither "
                "PEM nor PKCS#12." % self.path
            )
        if private_key is None:
            raise InvalidInputError(
                "Invalid client_certificate_path '%s': the PFX file contains no private key." % self.path
            )
        if certificate is None:
            raise InvalidInputError(
                "Invalid client_certificate_path '%s': the PFX file contains no certificate." % self.path
            )
        self._check_expiry(certificate)
        self._private_key = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        self._certificate = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        # The key is now unencrypted PEM in memory, so msal must not get the password.
        self._key_is_encrypted = False

    def _check_expiry(self, parsed):
        not_after = getattr(parsed, "not_valid_after_utc", None)
        if not_after is None:
            not_after = parsed.not_valid_after.replace(tzinfo=_UTC)
        now = self.now or datetime.datetime.now(_UTC)
        if not_after < now:
            raise InvalidInputError(
                "Invalid client_certificate_path '%s': the certificate expired on %s."
                % (self.path, not_after.strftime("%Y-%m-%d %H:%M UTC"))
            )

    def credential(self):
        credential = {"private_key": self._private_key, "public_certificate": self._certificate}
        if self.password and self._key_is_encrypted:
            credential["passphrase"] = self.password
        return credential


_UTC = datetime.timezone.utc if hasattr(datetime, "timezone") else None


class FederatedAuth(_MsalAuth):
    """Workload identity federation: a token from another identity provider is the client assertion.

    AKS and GitHub Actions write that token to a file and replace it before it expires, so
    the file is read again for every token request instead of once.
    """

    method = "federated"

    def __init__(self, tenant_id, client_id, token_file, endpoints, session):
        super(FederatedAuth, self).__init__(tenant_id, client_id, endpoints, session)
        self.token_file = token_file

    def validate(self):
        super(FederatedAuth, self).validate()
        if not self.token_file:
            raise InvalidInputError(
                "Missing federated_token_file: set the option or AZURE_FEDERATED_TOKEN_FILE "
                "(or ARM_OIDC_TOKEN_FILE_PATH)."
            )
        self.read_assertion()

    def read_assertion(self):
        try:
            with open(self.token_file) as handle:
                assertion = handle.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInputError(
                "Invalid federated_token_file '%s': %s." % (self.token_file, getattr(exc, "strerror", None) or exc)
            )
        if not assertion:
            raise InvalidInputError("Invalid federated_token_file '%s': the file is empty." % self.token_file)
        return assertion

    def credential(self):
        return {"client_assertion": self.read_assertion}


class _IdentityEndpointClient(object):
    """An http_client for msal's ManagedIdentityClient that sends requests only to IDENTITY_ENDPOINT.

    Without IDENTITY_ENDPOINT, msal falls back to the instance metadata address
    169.254.169.254. This client rejects every URL whose scheme, host and port differ from
    the endpoint's, so no request can go anywhere else.
    """

    def __init__(self, session, endpoint):
        self.session = session
        self.origin = _origin(endpoint)

    def _check(self, url):
        if _origin(url) != self.origin:
            raise AuthError(
                "Failed to sign in with a managed identity: msal tried to reach %s, but only the "
                "IDENTITY_ENDPOINT %s is allowed" % (_origin(url), self.origin)
            )

    def get(self, url, **kwargs):
        self._check(url)
        return self.session.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        self._check(url)
        return self.session.request("POST", url, **kwargs)

    def close(self):
        pass


def _origin(url):
    parts = urlsplit(url or "")
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return "%s://%s:%s" % (parts.scheme.lower(), (parts.hostname or "").lower(), port)


class ManagedIdentityAuth(object):
    """A managed identity of an Azure host, through the App Service style endpoint.

    That endpoint is what App Service, Azure Functions, Azure Automation and Container Apps
    provide in IDENTITY_ENDPOINT and IDENTITY_HEADER. The instance metadata endpoint of
    virtual machines is not supported.
    """

    method = "managed_identity"
    renewable = True

    def __init__(self, identity, endpoints, session, environ, tenant_id=None):
        self.identity = dict((key, value) for key, value in identity.items() if value)
        self.endpoints = endpoints
        self.session = session
        self.environ = environ
        self.tenant_id = tenant_id
        self._client = None

    @property
    def client_id(self):
        return self.identity.get("client_id")

    def validate(self):
        if len(self.identity) > 1:
            raise InvalidInputError(
                "Invalid managed identity: set only one of managed_identity_client_id, managed_identity_object_id "
                "and managed_identity_resource_id."
            )
        library = msal_library()
        if library is None or not hasattr(library, "ManagedIdentityClient"):
            raise InvalidInputError(
                "The msal Python library (1.29 or later) is required to sign in with a managed identity; install it "
                "with 'pip install -r requirements.txt' from the collection."
            )
        endpoint = self.environ.get("IDENTITY_ENDPOINT")
        if not endpoint or not self.environ.get("IDENTITY_HEADER"):
            raise InvalidInputError(
                "Missing IDENTITY_ENDPOINT or IDENTITY_HEADER: auth_method managed_identity needs the managed "
                "identity endpoint that App Service, Azure Functions, Azure Automation and Container Apps set in "
                "these variables; the instance metadata endpoint of virtual machines is not supported."
            )
        if urlsplit(endpoint).scheme.lower() not in ("http", "https") or not urlsplit(endpoint).hostname:
            raise InvalidInputError("Invalid IDENTITY_ENDPOINT '%s': expected an http:// or https:// URL." % endpoint)

    def describe(self):
        if not self.identity:
            return "the system-assigned managed identity"
        kind, value = list(self.identity.items())[0]
        return "the user-assigned managed identity of %s %s" % (kind.replace("_", " "), value)

    def _get_client(self):
        if self._client is None:
            library = msal_library()
            if self.identity:
                identity = library.UserAssignedManagedIdentity(**self.identity)
            else:
                identity = library.SystemAssignedManagedIdentity()
            http_client = _IdentityEndpointClient(self.session, self.environ["IDENTITY_ENDPOINT"])
            self._client = library.ManagedIdentityClient(identity, http_client=http_client)
        return self._client

    def get_token(self):
        # msal reads IDENTITY_ENDPOINT from os.environ, so a different value there than the one
        # validate() checked would make _IdentityEndpointClient reject the request.
        client = self._get_client()
        try:
            result = client.acquire_token_for_client(resource=self.endpoints.graph_url)
        except requests.exceptions.RequestException as exc:
            raise AuthError(
                "Failed to sign in with %s: could not reach IDENTITY_ENDPOINT %s (%s)"
                % (self.describe(), self.environ.get("IDENTITY_ENDPOINT"), _first_line(str(exc), 300))
            )
        except ValueError as exc:
            raise AuthError(
                "Failed to sign in with %s: the managed identity endpoint returned an invalid response (%s)"
                % (self.describe(), _first_line(str(exc), 300))
            )
        if result and "access_token" in result:
            return result["access_token"]
        # msal reduces the endpoint's error to "<status>, <message>" under a generic error name.
        description = _first_line((result or {}).get("error_description") or "no token in the response", 500)
        raise AuthError(
            "Failed to get a token with %s from IDENTITY_ENDPOINT %s: %s"
            % (self.describe(), self.environ.get("IDENTITY_ENDPOINT"), description),
            code=_aadsts_code(description),
        )

    def invalidate(self):
        # msal's managed identity client keeps its token cache private; a new client starts empty.
        self._client = None


AZURE_CLI_WARNING = (
    "auth_method is azure_cli: Azure CLI tokens are issued to the Azure CLI's own application, which usually "
    "lacks the EntitlementManagement permissions that this collection's modules need."
)


class AzureCliAuth(object):
    """A token from ``az account get-access-token`` of the signed-in Azure CLI."""

    method = "azure_cli"
    renewable = True

    def __init__(self, tenant_id, endpoints, run_command, find_executable):
        self.tenant_id = tenant_id
        self.client_id = None
        self.endpoints = endpoints
        self.run_command = run_command
        self.find_executable = find_executable
        self.executable = None
        self._token = None

    def validate(self):
        if self.run_command is None:
            raise InvalidInputError("Invalid auth_method azure_cli: this caller cannot run the 'az' command.")
        self.executable = self.find_executable("az")
        if not self.executable:
            raise InvalidInputError(
                "Missing Azure CLI: auth_method azure_cli needs the 'az' command on PATH; install the Azure CLI "
                "and run 'az login', or choose another auth_method."
            )

    def describe(self):
        return "the Azure CLI" + (" in tenant %s" % self.tenant_id if self.tenant_id else "")

    def get_token(self):
        if self._token:
            return self._token
        command = [self.executable, "account", "get-access-token", "--resource", self.endpoints.graph_url]
        command += ["--output", "json"]
        if self.tenant_id:
            command += ["--tenant", self.tenant_id]
        rc, stdout, stderr = self.run_command(command)
        if rc != 0:
            detail = _first_line(stderr or stdout, 400)
            hint = ""
            if "az login" in (stderr or "") or "az login" in (stdout or ""):
                hint = " Hint: the Azure CLI is not signed in; run 'az login' as the user that runs the task."
            code = _aadsts_code(stderr or "")
            raise AuthError(
                "Failed to get a token with %s: 'az account get-access-token' exited with status %s: %s.%s"
                % (self.describe(), rc, detail, hint),
                code=code,
            )
        try:
            token = json.loads(stdout)["accessToken"]
        except (ValueError, KeyError, TypeError):
            raise AuthError(
                "Failed to get a token with %s: 'az account get-access-token' printed no accessToken in JSON."
                % self.describe()
            )
        self._token = token
        return token

    def invalidate(self):
        self._token = None


def _pem_block(text, label):
    """Return the first PEM block whose label ends with ``label``.

    ``ENCRYPTED PRIVATE KEY`` matches ``PRIVATE KEY``.
    """
    start = 0
    while True:
        begin = text.find("-----BEGIN ", start)
        if begin < 0:
            return None
        header_end = text.find("-----", begin + 11)
        if header_end < 0:
            return None
        found = text[begin + 11 : header_end]
        end_marker = "-----END %s-----" % found
        end = text.find(end_marker, header_end)
        if end < 0:
            return None
        if found.endswith(label):
            return text[begin : end + len(end_marker)] + "\n"
        start = end + len(end_marker)


def _first_line(text, limit):
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit] + "..."


def _aadsts_code(text):
    marker = text.find("AADSTS")
    if marker < 0:
        return None
    digits = ""
    for character in text[marker + 6 :]:
        if not character.isdigit():
            break
        digits += character
    return "AADSTS" + digits if digits else None


def token_error(description, result, failure=None):
    """Build an AuthError from an Entra error dict: the AADSTS code, a hint, the description's first line.

    ``failure`` replaces the opening "Failed to get a token with <description>".
    """
    text = result.get("error_description") or ""
    code = _aadsts_code(text)
    if code is None and result.get("error_codes"):
        code = "AADSTS%s" % result["error_codes"][0]
    message = "%s: %s" % (
        failure or "Failed to get a token with %s" % description,
        result.get("error") or "unknown error",
    )
    first_line = _first_line(text, 500)
    if first_line:
        message += ": %s" % first_line
    hint = AADSTS_HINTS.get((code or "")[6:])
    if hint:
        message += " Hint: %s." % hint
    if result.get("correlation_id"):
        message += " (correlation id %s)" % result["correlation_id"]
    return AuthError(message, code=code, correlation_id=result.get("correlation_id"))


def _selectors_in_task(params):
    """Return the methods whose credential options the task sets, in precedence order."""
    found = []
    for method in ("access_token", "certificate", "client_secret", "federated", "managed_identity"):
        names = ("client_certificate_path",) if method == "certificate" else METHOD_OPTIONS[method]
        if any(params.get(name) for name in names):
            found.append(method)
    return found


def _managed_identity_options(params):
    return {
        "client_id": params.get("managed_identity_client_id"),
        "object_id": params.get("managed_identity_object_id"),
        "resource_id": params.get("managed_identity_resource_id"),
    }


_TASK_OPTION_NAMES = {
    "access_token": "access_token",
    "certificate": "client_certificate_path",
    "client_secret": "client_secret",
    "federated": "federated_token_file",
    "managed_identity": "a managed_identity_* option",
}


def _choose_automatically(params, environ):
    """Return (method name, reason) for auth_method auto. The reason names options and variables, never values."""
    in_task = _selectors_in_task(params)
    # An access_token next to a client secret or certificate has always won, and the
    # module's mutually_exclusive rules reject those pairs before this point.
    newer_methods = [method for method in in_task[1:] if method in ("federated", "managed_identity")]
    if len(in_task) > 1 and (in_task[0] != "access_token" or newer_methods):
        raise InvalidInputError(
            "Invalid credentials: the task sets options of more than one sign-in method (%s); keep one, or set "
            "auth_method." % ", ".join(in_task)
        )
    if in_task:
        return in_task[0], "the task sets %s" % _TASK_OPTION_NAMES[in_task[0]]

    for method, names in (
        ("client_secret", SECRET_VARIABLES),
        ("certificate", CERTIFICATE_PATH_VARIABLES),
        ("federated", FEDERATED_TOKEN_FILE_VARIABLES),
    ):
        _value, name = _first_set(environ, names)
        if name:
            return method, "the environment variable %s is set" % name
    if environ.get("IDENTITY_ENDPOINT") and environ.get("IDENTITY_HEADER"):
        return "managed_identity", "the environment variables IDENTITY_ENDPOINT and IDENTITY_HEADER are set"
    raise InvalidInputError(
        "Missing credentials: set client_secret, client_certificate_path, federated_token_file or access_token, "
        "or the environment variables AZURE_CLIENT_SECRET (or AZURE_SECRET, ARM_CLIENT_SECRET), "
        "AZURE_CLIENT_CERTIFICATE_PATH (or ARM_CLIENT_CERTIFICATE_PATH), AZURE_FEDERATED_TOKEN_FILE "
        "(or ARM_OIDC_TOKEN_FILE_PATH), or IDENTITY_ENDPOINT and IDENTITY_HEADER for a managed identity; "
        "auth_method azure_cli is never chosen automatically."
    )


def _check_explicit_method(chosen, params):
    for method, names in METHOD_OPTIONS.items():
        if method == chosen:
            continue
        for name in names:
            if params.get(name):
                raise InvalidInputError(
                    "Invalid auth_method '%s': the task also sets %s, which only auth_method %s uses; remove it "
                    "or change auth_method." % (chosen, name, method)
                )


def select_auth(params, endpoints, session, environ=None, run_command=None, find_executable=None):
    """Pick the sign-in method from ``auth_method``, the options, then the environment.

    With ``auth_method: auto`` (the default), options set in the task always beat the
    environment, so a task can use a certificate on an AWX job whose Azure credential injected
    a client secret. The order is: ``access_token``, then ``client_certificate_path``,
    ``client_secret``, ``federated_token_file`` or a ``managed_identity_*`` option from the
    task. From the environment, a secret (``AZURE_CLIENT_SECRET``, ``AZURE_SECRET``,
    ``ARM_CLIENT_SECRET``) comes before a certificate (``AZURE_CLIENT_CERTIFICATE_PATH``,
    ``ARM_CLIENT_CERTIFICATE_PATH``), as in the Azure SDK's environment credential, then a
    federated token file (``AZURE_FEDERATED_TOKEN_FILE``, ``ARM_OIDC_TOKEN_FILE_PATH``), then
    a managed identity if ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER`` are set. The Azure CLI
    is only used when asked for.

    ``run_command`` and ``find_executable`` are the module's, for auth_method azure_cli.
    Returns the method object, with ``selection`` set to a sentence that names the method and
    why it was chosen, and the secret values that came from the environment, which the caller
    must add to the module's ``no_log_values``.
    """
    environ = os.environ if environ is None else environ
    tenant_id = params.get("tenant_id")
    client_id = params.get("client_id")
    env_secrets = []

    requested = params.get("auth_method") or "auto"
    if requested not in AUTH_METHODS:
        raise InvalidInputError("Invalid auth_method '%s': expected one of %s." % (requested, ", ".join(AUTH_METHODS)))
    if requested == "auto":
        chosen, reason = _choose_automatically(params, environ)
        selection = "auth_method auto chose %s because %s" % (chosen, reason)
    else:
        _check_explicit_method(requested, params)
        chosen = requested
        selection = "auth_method %s was set" % chosen

    if chosen == "access_token":
        method = AccessTokenAuth(params.get("access_token") or "")
    elif chosen == "client_secret":
        secret = params.get("client_secret")
        if not secret:
            secret, _name = _first_set(environ, SECRET_VARIABLES)
            if secret:
                env_secrets.append(secret)
        method = ClientSecretAuth(tenant_id, client_id, secret, endpoints, session)
    elif chosen == "certificate":
        certificate_path = params.get("client_certificate_path")
        if not certificate_path:
            certificate_path, _name = _first_set(environ, CERTIFICATE_PATH_VARIABLES)
        password = params.get("client_certificate_password")
        if password is None:
            password, _name = _first_set(environ, CERTIFICATE_PASSWORD_VARIABLES)
            if password:
                env_secrets.append(password)
        method = CertificateAuth(tenant_id, client_id, certificate_path, password, endpoints, session)
    elif chosen == "federated":
        token_file = params.get("federated_token_file")
        if not token_file:
            token_file, _name = _first_set(environ, FEDERATED_TOKEN_FILE_VARIABLES)
        method = FederatedAuth(tenant_id, client_id, token_file, endpoints, session)
    elif chosen == "managed_identity":
        method = ManagedIdentityAuth(_managed_identity_options(params), endpoints, session, environ, tenant_id)
    else:
        method = AzureCliAuth(tenant_id, endpoints, run_command, find_executable)
    method.selection = selection
    return method, env_secrets
