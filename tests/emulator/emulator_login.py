"""Login listener of the emulator: OpenID discovery and the client-credentials token endpoint.

Errors take Entra ID's form: HTTP 400 or 401 with a JSON body containing ``error``,
``error_description`` ("AADSTS…: text" followed by trace id, correlation id and timestamp),
``error_codes``, ``timestamp``, ``trace_id`` and ``correlation_id``. No response and no log line
contains the client secret or the client assertion.
"""

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.parse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from emulator_http import ConnectionAbort, Response, json_response, new_id

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# Graph hosts of the public clouds. A token request for one of them succeeds, but the token's
# audience is that host, so the emulator's Graph listener rejects it with "Invalid audience".
# This is how the emulator reproduces a token taken from the wrong cloud. No request is ever
# sent to these hosts.
OTHER_CLOUD_GRAPH_RESOURCES = (
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
)

_DISCOVERY = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$")

# Path of the App Service style managed identity endpoint. Clients find it through the
# IDENTITY_ENDPOINT variable and authenticate with the X-IDENTITY-HEADER header.
IDENTITY_PATH = "/msi/token"

# The managed identities of the emulated host: the system-assigned one, and one user-assigned
# identity that can be named by its client id, object id or resource id.
SYSTEM_IDENTITY_CLIENT_ID = "5e1b0c7a-3f2d-4a6e-8b9c-0d1e2f3a4b5c"
USER_IDENTITY = {
    "client_id": "7a9c2e4f-6b8d-4c1e-9f3a-5b7d9e1f3a5c",
    "object_id": "2c4e6a8b-1d3f-4e5a-8c7b-9d1f3e5a7c9b",
    "mi_res_id": "/subscriptions/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e/resourceGroups/automation/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/governance-runner",
}

# Issuer and audience of the emulator's federated token, as an AKS or GitHub Actions token
# names its issuer and Entra's token exchange audience.
FEDERATED_ISSUER = "https://oidc.emulator.invalid"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
FEDERATED_SUBJECT = "system:serviceaccount:automation:governance-runner"
_TOKEN = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")


class LoginError(Exception):
    """An Entra ID error response: HTTP status, OAuth error, AADSTS number and text."""

    def __init__(self, status, error, code, text):
        super().__init__(text)
        self.status = status
        self.error = error
        self.code = code
        self.text = text


def handle(app, request):
    """Handle one request on the login listener."""
    fault = app.tenant.take_fault("login", request.method, request.path)
    if fault is not None:
        if fault["action"] == "reset":
            raise ConnectionAbort()
        if fault["action"] == "delay":
            time.sleep(fault["seconds"])
        else:
            return fault_response(app, request, fault)

    try:
        match = _DISCOVERY.match(request.path)
        if match:
            if request.method != "GET":
                return Response(405, b"", headers=[("Allow", "GET")])
            return discovery(app, request, match.group(1))

        if request.path == IDENTITY_PATH:
            return managed_identity_token(app, request)

        match = _TOKEN.match(request.path)
        if match:
            if request.method != "POST":
                raise LoginError(
                    400,
                    "invalid_request",
                    900561,
                    "The endpoint only accepts POST requests. Received a %s request." % request.method,
                )
            return token(app, request, match.group(1))
    except LoginError as error:
        return error_response(app, request, error)

    return Response(404, b"Not Found", "text/plain; charset=utf-8")


def resolve_tenant(app, tenant):
    """Return the tenant id if ``tenant`` is its id or domain name (any case), else None."""
    if tenant.lower() in (app.tenant_id.lower(), app.tenant_domain.lower()):
        return app.tenant_id
    return None


def token_endpoint(app):
    return "%s/%s/oauth2/v2.0/token" % (app.login_url, app.tenant_id)


def discovery(app, request, tenant):
    if resolve_tenant(app, tenant) is None:
        return error_response(app, request, _tenant_not_found(tenant, "invalid_tenant"))
    base = "%s/%s" % (app.login_url, app.tenant_id)
    cloud_instance, graph_host = tenant_cloud_hosts(app)
    return json_response(
        200,
        {
            "token_endpoint": token_endpoint(app),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "authorization_endpoint": base + "/oauth2/v2.0/authorize",
            "device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
            "issuer": base + "/v2.0",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": "WW",
            "cloud_instance_name": cloud_instance,
            "msgraph_host": graph_host,
        },
    )


# cloud_instance_name and msgraph_host of the national clouds' OpenID metadata, as the
# tenant_cloud switch selects them.
NATIONAL_CLOUD_HOSTS = {
    "public": ("microsoftonline.com", "graph.microsoft.com"),
    "usgov": ("microsoftonline.us", "graph.microsoft.us"),
    "usgov_dod": ("microsoftonline.us", "dod-graph.microsoft.us"),
    "china": ("partner.microsoftonline.cn", "microsoftgraph.chinacloudapi.cn"),
}


def tenant_cloud_hosts(app):
    """Return (cloud_instance_name, msgraph_host) for the tenant's OpenID metadata."""
    cloud = app.tenant.switch("tenant_cloud")
    if cloud == "emulator":
        return "emulator.invalid", urllib.parse.urlsplit(app.graph_url).netloc
    return NATIONAL_CLOUD_HOSTS[cloud]


def _tenant_not_found(tenant, error):
    return LoginError(
        400,
        error,
        90002,
        "Tenant '%s' not found. Check to make sure you have the correct tenant ID "
        "and are signing into the correct cloud." % tenant,
    )


def token(app, request, tenant):
    """Run the client-credentials grant and return the token response or an Entra error."""
    tenant_id = resolve_tenant(app, tenant)
    if tenant_id is None:
        raise _tenant_not_found(tenant, "invalid_request")

    form = request.form()
    grant_type = _required(form, "grant_type")
    if grant_type != "client_credentials":
        raise LoginError(
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type '%s'. The emulator "
            "supports only client_credentials." % grant_type,
        )

    client_id = _required(form, "client_id")
    if client_id.lower() != app.client_id.lower():
        raise LoginError(
            400,
            "unauthorized_client",
            700016,
            "Application with identifier '%s' was not found in the directory '%s'. "
            "This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. "
            "You may have sent your authentication request to the wrong tenant." % (client_id, app.tenant_name),
        )

    audience = _check_scope(app, _required(form, "scope"))

    secret = form.get("client_secret")
    assertion = form.get("client_assertion")
    if secret and assertion:
        # NOTE: Entra's response to a request with both credentials is not documented. The
        # emulator rejects it, with the code Entra uses for a missing credential.
        raise LoginError(
            400,
            "invalid_request",
            7000218,
            "Send exactly one client credential, 'client_assertion' or 'client_secret', not both.",
        )
    if secret:
        if not hmac.compare_digest(secret.encode("utf-8"), app.client_secret.encode("utf-8")):
            raise LoginError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the "
                "request is the client secret value, not the client secret ID, for a "
                "secret added to app '%s'." % app.client_id,
            )
    elif assertion:
        if form.get("client_assertion_type") != JWT_BEARER:
            raise LoginError(
                400, "invalid_request", 50027, "Invalid client_assertion_type; expected '%s'." % JWT_BEARER
            )
        if _is_federated_assertion(assertion):
            _check_federated_assertion(app, assertion)
        else:
            _check_assertion(app, request, assertion)
    else:
        raise LoginError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )

    access_token, lifetime = app.tenant.issue_token(tenant_id, app.client_id, audience)
    return json_response(
        200,
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
        },
        headers=[("Cache-Control", "no-store"), ("Pragma", "no-cache")],
    )


def _required(form, name):
    value = form.get(name)
    if not value:
        raise LoginError(
            400, "invalid_request", 900144, "The request body must contain the following parameter: '%s'." % name
        )
    return value


def _check_scope(app, scope):
    """Return the audience for ``scope``, which must be one resource's /.default scope."""
    scopes = scope.split()
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        raise LoginError(
            400,
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid. "
            "The scope '%s' is not valid. A client credentials request needs exactly "
            "one scope of the form '<resource>/.default'." % scope,
        )
    resource = scopes[0][: -len("/.default")]
    if resource.lower() == app.graph_url.lower():
        return app.graph_url
    if resource.lower() in OTHER_CLOUD_GRAPH_RESOURCES:
        return resource.lower()
    raise LoginError(
        400,
        "invalid_resource",
        500011,
        "The resource principal named %s was not found in the tenant named %s. This "
        "can happen if the application has not been installed by the administrator "
        "of the tenant or consented to by any user in the tenant. You might have sent "
        "your authentication request to the wrong tenant." % (resource, app.tenant_name),
    )


def _b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64url_encode(raw):
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _check_assertion(app, request, assertion):
    """Verify a client-assertion JWT against the registered certificate.

    Checks the thumbprint header (x5t#S256 or x5t), the PS256 or RS256 signature, ``aud``
    (the token endpoint), ``iss`` and ``sub`` (the client id), ``exp`` and ``nbf``.
    """
    try:
        header_part, payload_part, signature_part = assertion.split(".")
        header = json.loads(_b64url_decode(header_part))
        claims = json.loads(_b64url_decode(payload_part))
        signature = _b64url_decode(signature_part)
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("header and payload must be JSON objects")
    except ValueError:
        raise LoginError(400, "invalid_request", 50027, "JWT token is invalid or malformed.") from None

    certificate = app.client_certificate
    der = certificate.public_bytes(Encoding.DER)
    sha256 = _b64url_encode(hashlib.sha256(der).digest())
    sha1 = _b64url_encode(hashlib.sha1(der).digest())  # noqa: S324 - x5t is SHA-1 by RFC 7515
    sent_sha256 = str(header.get("x5t#S256", "")).rstrip("=")
    sent_sha1 = str(header.get("x5t", "")).rstrip("=")
    if sent_sha256 != sha256 and sent_sha1 != sha1:
        sent = sent_sha256 or sent_sha1 or "none"
        raise LoginError(
            401,
            "invalid_client",
            700027,
            "The certificate with identifier used to sign the client assertion is not "
            "registered on application. [Reason - The key was not found., Thumbprint "
            "of key used by client: '%s', Configured keys for app Id '%s' do not "
            "include it.]" % (sent, app.client_id),
        )

    algorithm = header.get("alg")
    if algorithm == "PS256":
        scheme = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    elif algorithm == "RS256":
        scheme = padding.PKCS1v15()
    else:
        raise LoginError(
            401,
            "invalid_client",
            700027,
            "Client assertion uses the unsupported algorithm %r; expected PS256 or RS256." % (algorithm,),
        )
    signing_input = ("%s.%s" % (header_part, payload_part)).encode("ascii")
    try:
        certificate.public_key().verify(signature, signing_input, scheme, hashes.SHA256())
    except InvalidSignature:
        raise LoginError(401, "invalid_client", 700027, "Client assertion failed signature validation.") from None

    # NOTE: Entra's codes for a wrong aud, iss or sub are not documented. The emulator rejects
    # them with AADSTS50027 (malformed JWT) and names the claim.
    accepted_audiences = {token_endpoint(app).lower(), (app.login_url + request.path).lower()}
    if str(claims.get("aud", "")).lower() not in accepted_audiences:
        raise LoginError(
            400,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed. [Reason - The 'aud' claim must be the "
            "token endpoint %s.]" % token_endpoint(app),
        )
    for claim in ("iss", "sub"):
        if str(claims.get(claim, "")).lower() != app.client_id.lower():
            raise LoginError(
                400,
                "invalid_request",
                50027,
                "JWT token is invalid or malformed. [Reason - The '%s' claim must be the client id.]" % claim,
            )

    now = time.time()
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)) or expires <= now:
        raise LoginError(
            400, "invalid_client", 700024, "Client assertion is not within its valid time range: it has expired."
        )
    not_before = claims.get("nbf")
    if isinstance(not_before, (int, float)) and not_before > now + 300:
        raise LoginError(
            400, "invalid_client", 700024, "Client assertion is not within its valid time range: not valid yet."
        )


def _entra_timestamp():
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())


def error_body(app, request, error, code, text):
    """Return an Entra ID error body. The correlation id echoes client-request-id if sent."""
    trace_id = new_id()
    correlation_id = request.client_request_id or new_id()
    timestamp = _entra_timestamp()
    prefix = "AADSTS%d: " % code if code is not None else ""
    body = {
        "error": error,
        "error_description": "%s%s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s"
        % (prefix, text, trace_id, correlation_id, timestamp),
        "error_codes": [code] if code is not None else [],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
    }
    if code is not None:
        body["error_uri"] = "%s/error?code=%d" % (app.login_url, code)
    return body


def error_response(app, request, error):
    body = error_body(app, request, error.error, error.code, error.text)
    return json_response(error.status, body, headers=[("Cache-Control", "no-store")])


def fault_response(app, request, fault):
    """Build the response for an injected fault on the login listener."""
    headers = []
    if fault["retry_after"] is not None:
        headers.append(("Retry-After", fault["retry_after"]))
    if fault["body"] is not None:
        return Response(
            fault["status"],
            fault["body"].encode("utf-8"),
            fault["content_type"] or "text/plain; charset=utf-8",
            headers,
        )
    error = fault["code"] or ("temporarily_unavailable" if fault["status"] in (429, 503) else "server_error")
    text = fault["message"] or "Injected fault: HTTP %d." % fault["status"]
    body = error_body(app, request, error, None, text)
    return json_response(fault["status"], body, fault["content_type"] or "application/json", headers)


# -- workload identity federation ------------------------------------------------------------


def make_federated_token(lifetime=86400):
    """Return an unsigned JWT shaped like the token AKS or GitHub Actions writes for federation.

    Its header has a ``kid`` and no ``x5t``, so the token endpoint can distinguish it from a
    certificate-signed client assertion.
    """
    now = int(time.time())
    header = {"alg": "RS256", "kid": "emulator-oidc", "typ": "JWT"}
    claims = {
        "iss": FEDERATED_ISSUER,
        "sub": FEDERATED_SUBJECT,
        "aud": [FEDERATED_AUDIENCE],
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": new_id(),
    }
    parts = [_b64url_encode(json.dumps(part).encode("utf-8")) for part in (header, claims)]
    return "%s.%s.%s" % (parts[0], parts[1], _b64url_encode(b"emulator-signature"))


def _is_federated_assertion(assertion):
    try:
        header = json.loads(_b64url_decode(assertion.split(".")[0]))
    except ValueError:
        return False
    return isinstance(header, dict) and "x5t" not in header and "x5t#S256" not in header


def _check_federated_assertion(app, assertion):
    """Accept the assertion only if it is the federated token the emulator wrote to its state dir."""
    expected = app.federated_token or ""
    if not expected or not hmac.compare_digest(assertion.encode("utf-8"), expected.encode("utf-8")):
        raise LoginError(
            400,
            "invalid_client",
            70021,
            "No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. "
            "Assertion Audience: '%s'." % (FEDERATED_ISSUER, FEDERATED_AUDIENCE),
        )


# -- managed identity (App Service style endpoint) -----------------------------------------------


def _identity_error(status, message):
    return json_response(status, {"statusCode": status, "message": message})


def managed_identity_token(app, request):
    """Serve the App Service managed identity protocol (api-version 2019-08-01).

    The request must carry X-IDENTITY-HEADER with the value the emulator published as
    IDENTITY_HEADER, and ``resource`` must be a Graph host. ``client_id``, ``object_id`` or
    ``mi_res_id`` select the user-assigned identity; none selects the system-assigned one.
    """
    if request.method != "GET":
        return Response(405, b"", headers=[("Allow", "GET")])
    sent_header = request.headers.get("x-identity-header", "")
    if not app.identity_header or not hmac.compare_digest(
        sent_header.encode("utf-8"), app.identity_header.encode("utf-8")
    ):
        return _identity_error(401, "The X-IDENTITY-HEADER header is missing or invalid.")
    query = request.query
    if query.get("api-version") != "2019-08-01":
        return _identity_error(400, "Unsupported api-version %r; expected 2019-08-01." % query.get("api-version"))
    resource = query.get("resource") or ""
    try:
        audience = _check_scope(app, resource.rstrip("/") + "/.default")
    except LoginError as error:
        return _identity_error(400, "AADSTS%d: %s" % (error.code, error.text))

    selectors = [(name, query[name]) for name in ("client_id", "object_id", "mi_res_id") if query.get(name)]
    if len(selectors) > 1:
        return _identity_error(400, "Only one of client_id, object_id and mi_res_id may be given.")
    if not selectors:
        client_id = SYSTEM_IDENTITY_CLIENT_ID
    else:
        name, value = selectors[0]
        if value.lower() != USER_IDENTITY[name].lower():
            return _identity_error(400, "No user-assigned managed identity with %s '%s' is assigned." % (name, value))
        client_id = USER_IDENTITY["client_id"]

    access_token, lifetime = app.tenant.issue_token(app.tenant_id, client_id, audience)
    return json_response(
        200,
        {
            "access_token": access_token,
            "expires_on": str(int(time.time()) + int(lifetime)),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id,
        },
    )
