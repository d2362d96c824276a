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
import os
import traceback

MSAL_IMPORT_ERROR = None
try:
    import msal
except ImportError:  # pragma: no cover - reported by the module through missing_required_lib()
    msal = None
    MSAL_IMPORT_ERROR = traceback.format_exc()

try:
    import requests
except ImportError:  # pragma: no cover - reported through graph.REQUESTS_IMPORT_ERROR
    requests = None

from ansible_collections.entra.governance.plugins.module_utils.errors import AuthError, InvalidInputError


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

# Environment variables read for credentials, in order. AZURE_SECRET and AZURE_TENANT are
# the names AWX's and Ansible Automation Platform's Azure credential type injects.
SECRET_VARIABLES = ("AZURE_CLIENT_SECRET", "AZURE_SECRET")
CERTIFICATE_PATH_VARIABLES = ("AZURE_CLIENT_CERTIFICATE_PATH",)
CERTIFICATE_PASSWORD_VARIABLES = ("AZURE_CLIENT_CERTIFICATE_PASSWORD",)


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
            raise InvalidInputError("Missing tenant_id: set the option or AZURE_TENANT_ID (or AZURE_TENANT).")
        if not self.client_id:
            raise InvalidInputError("Missing client_id: set the option or AZURE_CLIENT_ID.")
        if msal is None:
            raise InvalidInputError("The msal Python library is required to sign in; install it with "
                                    "'pip install -r requirements.txt' from the collection.")

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
            self._application = msal.ConfidentialClientApplication(
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
            return AuthError("Failed to sign in with %s: TLS verification of %s failed (%s); set ca_path to the CA "
                             "that signed its certificate" % (self.describe(), self.endpoints.login_host,
                                                              _first_line(str(exc), 300)))
        return AuthError("Failed to sign in with %s: could not reach %s (%s)"
                         % (self.describe(), self.endpoints.login_url, _first_line(str(exc), 300)))

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
            self.describe(), authority, self.tenant_id)
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
    """A certificate credential: one PEM file holding the private key and its certificate.

    msal computes the certificate's SHA-256 thumbprint from ``public_certificate``.
    """

    method = "certificate"

    def __init__(self, tenant_id, client_id, path, password, endpoints, session, now=None):
        super(CertificateAuth, self).__init__(tenant_id, client_id, endpoints, session)
        self.path = path
        self.password = password
        self.now = now
        self._private_key = None
        self._certificate = None

    def validate(self):
        super(CertificateAuth, self).validate()
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except (IOError, OSError) as exc:
            raise InvalidInputError("Invalid client_certificate_path '%s': %s." % (self.path, exc.strerror or exc))
        text = data.decode("ascii", "replace")
        key = _pem_block(text, "PRIVATE KEY")
        certificate = _pem_block(text, "CERTIFICATE")
        if key is None:
            raise InvalidInputError("Invalid client_certificate_path '%s': the file contains no PEM private key; it "
                                    "must contain the private key and the certificate." % self.path)
        if certificate is None:
            raise InvalidInputError("Invalid client_certificate_path '%s': the file contains no PEM certificate; it "
                                    "must contain the private key and the certificate." % self.path)
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
            raise InvalidInputError("Invalid client_certificate_path '%s': the private key type is not supported; "
                                    "use an RSA key." % self.path)
        except TypeError:
            if password is None:
                raise InvalidInputError("Missing client_certificate_password: the private key in '%s' is encrypted."
                                        % self.path)
            raise InvalidInputError("Invalid client_certificate_password: the private key in '%s' is not encrypted; "
                                    "leave the password out." % self.path)
        except ValueError:
            raise InvalidInputError("Failed to read the private key in '%s': the client_certificate_password is wrong, "
                                    "or the key is damaged." % self.path)
        try:
            parsed = x509.load_pem_x509_certificate(certificate.encode("ascii"))
        except ValueError:
            raise InvalidInputError("Invalid client_certificate_path '%s': the PEM certificate in the file is damaged "
                                    "and cannot be read." % self.path)
        public_format = (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        if parsed.public_key().public_bytes(*public_format) != private_key.public_key().public_bytes(*public_format):
            raise InvalidInputError("Invalid client_certificate_path '%s': the private key does not belong to the "
                                    "certificate in the same file." % self.path)
        not_after = getattr(parsed, "not_valid_after_utc", None)
        if not_after is None:
            not_after = parsed.not_valid_after.replace(tzinfo=_UTC)
        now = self.now or datetime.datetime.now(_UTC)
        if not_after < now:
            raise InvalidInputError("Invalid client_certificate_path '%s': the certificate expired on %s."
                                    % (self.path, not_after.strftime("%Y-%m-%d %H:%M UTC")))

    def credential(self):
        credential = {"private_key": self._private_key, "public_certificate": self._certificate}
        if self.password:
            credential["passphrase"] = self.password
        return credential


_UTC = datetime.timezone.utc if hasattr(datetime, "timezone") else None


def _pem_block(text, label):
    """Return the first PEM block whose label ends with ``label`` (``ENCRYPTED PRIVATE KEY`` matches ``PRIVATE KEY``)."""
    start = 0
    while True:
        begin = text.find("-----BEGIN ", start)
        if begin < 0:
            return None
        header_end = text.find("-----", begin + 11)
        if header_end < 0:
            return None
        found = text[begin + 11:header_end]
        end_marker = "-----END %s-----" % found
        end = text.find(end_marker, header_end)
        if end < 0:
            return None
        if found.endswith(label):
            return text[begin:end + len(end_marker)] + "\n"
        start = end + len(end_marker)


def _first_line(text, limit):
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit] + "..."


def _aadsts_code(text):
    marker = text.find("AADSTS")
    if marker < 0:
        return None
    digits = ""
    for character in text[marker + 6:]:
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
    message = "%s: %s" % (failure or "Failed to get a token with %s" % description,
                          result.get("error") or "unknown error")
    first_line = _first_line(text, 500)
    if first_line:
        message += ": %s" % first_line
    hint = AADSTS_HINTS.get((code or "")[6:])
    if hint:
        message += " Hint: %s." % hint
    if result.get("correlation_id"):
        message += " (correlation id %s)" % result["correlation_id"]
    return AuthError(message, code=code, correlation_id=result.get("correlation_id"))


def select_auth(params, endpoints, session, environ=None):
    """Pick the sign-in method from the options, then from the environment.

    Options set in the task always beat the environment, so a task can use a certificate
    on an AWX job whose Azure credential injected a client secret. The order is:
    ``access_token``, then ``client_certificate_path`` or ``client_secret`` from the task.
    From the environment, a secret (``AZURE_CLIENT_SECRET``, then ``AZURE_SECRET``) comes
    before a certificate (``AZURE_CLIENT_CERTIFICATE_PATH``), as in the Azure SDK's
    environment credential.

    Returns the method object and the secret values that came from the environment, which
    the caller must add to the module's ``no_log_values``.
    """
    environ = os.environ if environ is None else environ
    tenant_id = params.get("tenant_id")
    client_id = params.get("client_id")
    env_secrets = []

    if params.get("access_token"):
        return AccessTokenAuth(params["access_token"]), env_secrets

    certificate_path = params.get("client_certificate_path")
    secret = params.get("client_secret")
    if not certificate_path and not secret:
        secret, _name = _first_set(environ, SECRET_VARIABLES)
        if secret:
            env_secrets.append(secret)
        else:
            certificate_path, _name = _first_set(environ, CERTIFICATE_PATH_VARIABLES)

    if certificate_path:
        password = params.get("client_certificate_password")
        if password is None:
            password, _name = _first_set(environ, CERTIFICATE_PASSWORD_VARIABLES)
            if password:
                env_secrets.append(password)
        return CertificateAuth(tenant_id, client_id, certificate_path, password, endpoints, session), env_secrets
    if secret:
        return ClientSecretAuth(tenant_id, client_id, secret, endpoints, session), env_secrets
    raise InvalidInputError(
        "Missing credentials: set client_secret, client_certificate_path or access_token, or the environment "
        "variables AZURE_CLIENT_SECRET (or AZURE_SECRET) or AZURE_CLIENT_CERTIFICATE_PATH.")
