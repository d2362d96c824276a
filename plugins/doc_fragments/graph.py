# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection and sign-in options shared by every module of the collection. Their one
    # argument spec is GRAPH_ARGUMENT_SPEC in plugins/module_utils/common.py.
    DOCUMENTATION = r"""
options:
  tenant_id:
    description:
      - The directory (tenant) id or a verified domain name of the Microsoft Entra tenant.
      - If not set, the environment variable E(AZURE_TENANT_ID) is used, then E(AZURE_TENANT), the name that the Azure
        credential type of AWX and Ansible Automation Platform sets, then Terraform's E(ARM_TENANT_ID).
      - Required unless O(access_token) is set.
      - With O(auth_method=managed_identity) or O(auth_method=azure_cli) it is optional.
    type: str
  client_id:
    description:
      - The application (client) id of the app registration that signs in.
      - If not set, the environment variable E(AZURE_CLIENT_ID) is used, then Terraform's E(ARM_CLIENT_ID).
      - Required unless O(access_token) is set. Not used by O(auth_method=managed_identity) or O(auth_method=azure_cli).
    type: str
  auth_method:
    description:
      - How to sign in.
      - V(auto) picks the method from what is set. Task options come first, in this order. O(access_token) selects
        V(access_token), O(client_certificate_path) V(certificate), O(client_secret) V(client_secret),
        O(federated_token_file) V(federated), and a C(managed_identity_*) option V(managed_identity).
        If the task sets none of them, the environment decides, in this order. A client secret variable selects
        V(client_secret), a certificate path variable V(certificate), a federated token file variable V(federated),
        and E(IDENTITY_ENDPOINT) with E(IDENTITY_HEADER) selects V(managed_identity). V(azure_cli) is never chosen
        automatically.
      - When the task runs with C(-vvv), the result key C(auth_selection) names the method used and why V(auto) chose
        it. It never contains a secret.
      - V(client_secret), V(certificate) and V(federated) sign in as the app registration O(client_id) in
        O(tenant_id).
      - V(managed_identity) uses the managed identity endpoint named by E(IDENTITY_ENDPOINT) and E(IDENTITY_HEADER),
        as App Service, Azure Functions, Azure Automation and Container Apps set them. The instance metadata endpoint
        of virtual machines is not supported, and the module fails if E(IDENTITY_ENDPOINT) is not set.
      - V(azure_cli) runs C(az account get-access-token) for the Graph host of O(cloud). Azure CLI tokens usually
        lack the EntitlementManagement permissions that the modules need, and the module warns about that.
    type: str
    default: auto
    choices: [auto, client_secret, certificate, federated, managed_identity, access_token, azure_cli]
  client_secret:
    description:
      - A client secret of the application. Use the secret's value, not its id.
      - If no credential option is set in the task, the environment variable E(AZURE_CLIENT_SECRET) is used, then
        E(AZURE_SECRET), the name that the Azure credential type of AWX and Ansible Automation Platform sets, then
        Terraform's E(ARM_CLIENT_SECRET).
      - Mutually exclusive with O(client_certificate_path) and O(access_token).
    type: str
  client_certificate_path:
    description:
      - Path to a PEM file that holds the application's certificate and its private key, or to a PFX (PKCS#12) file.
      - The certificate's SHA-256 thumbprint is computed from the file; it does not have to be given.
      - If no credential option is set in the task and no client secret variable is set, the environment variable
        E(AZURE_CLIENT_CERTIFICATE_PATH) is used, then Terraform's E(ARM_CLIENT_CERTIFICATE_PATH).
      - Mutually exclusive with O(client_secret) and O(access_token).
    type: path
  client_certificate_password:
    description:
      - Password of the private key in O(client_certificate_path), if the key or the PFX file is encrypted.
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PASSWORD) is used, then
        E(ARM_CLIENT_CERTIFICATE_PASSWORD).
    type: str
  federated_token_file:
    description:
      - Path to a file holding a token of another identity provider that the app registration trusts through a
        federated credential (workload identity federation), as AKS and GitHub Actions provide it.
      - The file is read again for every token request, so a token that the platform replaced is picked up.
      - If not set, the environment variable E(AZURE_FEDERATED_TOKEN_FILE) is used, then Terraform's
        E(ARM_OIDC_TOKEN_FILE_PATH).
    type: path
  managed_identity_client_id:
    description:
      - Client id of the user-assigned managed identity to sign in as, with O(auth_method=managed_identity).
      - Without any C(managed_identity_*) option, the system-assigned managed identity is used.
      - Mutually exclusive with O(managed_identity_object_id) and O(managed_identity_resource_id).
    type: str
  managed_identity_object_id:
    description:
      - Object (principal) id of the user-assigned managed identity to sign in as.
    type: str
  managed_identity_resource_id:
    description:
      - Azure resource id of the user-assigned managed identity to sign in as.
    type: str
  access_token:
    description:
      - An access token for Microsoft Graph that the caller already has. It is used as it is and is not renewed.
      - Its audience must be the Graph endpoint in use, for example V(https://graph.microsoft.com).
      - Mutually exclusive with O(client_secret) and O(client_certificate_path).
    type: str
  cloud:
    description:
      - The national cloud that the tenant lives in. It sets the login host, the Graph host, the token scope and the
        host of the object references written to Graph together, because a token of one cloud is refused by another.
      - V(public) is login.microsoftonline.com with graph.microsoft.com; V(usgov) is login.microsoftonline.us with
        graph.microsoft.us (GCC High); V(usgov_dod) is login.microsoftonline.us with dod-graph.microsoft.us; V(china)
        is login.chinacloudapi.cn with microsoftgraph.chinacloudapi.cn (operated by 21Vianet).
      - V(auto) reads the cloud from the C(msgraph_host) of the tenant's OpenID metadata, which the module requests
        from O(authority_host), or else from login.microsoftonline.com, before it signs in. It needs O(tenant_id).
    type: str
    default: public
    choices: [public, usgov, usgov_dod, china, auto]
  authority_host:
    description:
      - Overrides the login host of O(cloud), as an V(https://) URL with host and optional port and no path.
      - If not set, the environment variable E(AZURE_AUTHORITY_HOST) is used.
      - For a host that is not one of Microsoft's login hosts, the instance discovery step of msal is skipped.
    type: str
  graph_endpoint:
    description:
      - Overrides the Graph host of O(cloud), as an V(https://) URL with host and optional port and no path.
      - The token scope and the object references written to Graph follow this endpoint.
    type: str
  api_version:
    description:
      - The Microsoft Graph API version.
    type: str
    default: v1.0
    choices: [v1.0, beta]
  ca_path:
    description:
      - Path to a PEM file of CA certificates to trust for the login and Graph hosts.
      - It takes precedence over the environment variables E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE).
    type: path
  validate_certs:
    description:
      - Whether to check the TLS certificates of the login and Graph hosts.
      - Turning this off lets anyone on the network path read the token, and the module warns about it.
    type: bool
    default: true
  timeout:
    description:
      - Timeout of each HTTP request to the login and Graph hosts, in seconds.
    type: int
    default: 30
  max_retries:
    description:
      - How many times one Graph request is retried after throttling (HTTP 429), a temporary failure (HTTP 502, 503
        or 504), a connection error or a timeout.
      - Each wait lasts as long as the C(Retry-After) header asks, at most 60 seconds; without the header the waits
        grow from about 1 second, doubling each time.
      - Each retry is written to the module's log (syslog or the journal of the managed host), not to the task
        output.
      - V(0) turns retries off.
    type: int
    default: 5
  max_retry_time:
    description:
      - The time, in seconds, that the retries of one Graph request may take together, counting the waits and the
        attempts after the first.
      - A retry whose wait would go past this limit is not made, and the task fails with the last error.
    type: int
    default: 180
requirements:
  - msal >= 1.35.0 (not needed with O(access_token) or O(auth_method=azure_cli))
  - requests >= 2.32.4
seealso:
  - name: Microsoft Graph national cloud deployments
    description: The login and Graph hosts of each cloud.
    link: https://learn.microsoft.com/graph/deployments
"""
