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
        credential type of AWX and Ansible Automation Platform sets.
      - Required unless O(access_token) is set.
    type: str
  client_id:
    description:
      - The application (client) id of the app registration that signs in.
      - If not set, the environment variable E(AZURE_CLIENT_ID) is used.
      - Required unless O(access_token) is set.
    type: str
  client_secret:
    description:
      - A client secret of the application. Use the secret's value, not its id.
      - If no credential option is set in the task, the environment variable E(AZURE_CLIENT_SECRET) is used, then
        E(AZURE_SECRET), the name that the Azure credential type of AWX and Ansible Automation Platform sets.
      - Mutually exclusive with O(client_certificate_path) and O(access_token).
    type: str
  client_certificate_path:
    description:
      - Path to a PEM file that holds the application's certificate and its private key.
      - The certificate's SHA-256 thumbprint is computed from the file; it does not have to be given.
      - If no credential option is set in the task and neither E(AZURE_CLIENT_SECRET) nor E(AZURE_SECRET) is set, the
        environment variable E(AZURE_CLIENT_CERTIFICATE_PATH) is used.
      - Mutually exclusive with O(client_secret) and O(access_token).
    type: path
  client_certificate_password:
    description:
      - Password of the private key in O(client_certificate_path), if the key is encrypted.
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PASSWORD) is used.
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
    type: str
    default: public
    choices: [public, usgov, usgov_dod, china]
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
requirements:
  - msal >= 1.35.0 (not needed with O(access_token))
  - requests >= 2.32.4
seealso:
  - name: Microsoft Graph national cloud deployments
    description: The login and Graph hosts of each cloud.
    link: https://learn.microsoft.com/graph/deployments
"""
