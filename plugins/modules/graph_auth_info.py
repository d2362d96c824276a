#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: graph_auth_info
short_description: Show how the entra.governance modules sign in to Microsoft Graph, and with which permissions
version_added: 0.1.0
description:
  - Signs in with the same options and environment variables as the other modules of the collection, and returns the
    sign-in method used, the tenant, the client id, the cloud, the Graph endpoint, the token's expiry and the
    application permissions (the token's C(roles) claim).
  - Warns once for each permission that the collection's modules need and the token lacks.
  - Never returns the access token.
  - The permissions are read from the token's payload, which is decoded without checking its signature. That is
    enough to describe the token, and Graph checks the signature of every request anyway.
  - Sends no request to Graph; only the token request goes to the login host.
author:
  - Entra Governance collection maintainers (@entra-governance)
extends_documentation_fragment:
  - entra.governance.graph
attributes:
  check_mode:
    support: full
    description: The module only signs in, so it runs in check mode as it runs otherwise.
  diff_mode:
    support: N/A
    description: The module changes nothing, so there is no diff.
  idempotent:
    support: full
    description: The module changes nothing and always reports C(changed=false).
  action_group:
    description: Use C(group/entra.governance.graph) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - entra.governance.graph
notes:
  - An access token that is not a JWT (some tokens are opaque to clients) is reported with an empty C(roles) list and a
    warning that its permissions cannot be read.
seealso:
  - ref: ansible_collections.entra.governance.docsite.authentication
    description: The sign-in methods, the environment variables the modules read, and the permissions they need.
  - ref: ansible_collections.entra.governance.docsite.awx
    description: Credentials and execution environments for AWX and Ansible Automation Platform.
"""

EXAMPLES = r"""
- name: Check which identity a job signs in as, and what it may do
  entra.governance.graph_auth_info:
  register: entra_auth

- name: Show the permissions of the token
  ansible.builtin.debug:
    msg: "{{ entra_auth.auth_method }} as {{ entra_auth.client_id }}: {{ entra_auth.roles | join(', ') }}"

- name: Fail early when the job cannot change sponsors
  ansible.builtin.assert:
    that: "'EntitlementManagement.ReadWrite.All' in entra_auth.roles"
    fail_msg: "Grant EntitlementManagement.ReadWrite.All to {{ entra_auth.client_id }} and give admin consent."
"""

RETURN = r"""
auth_method:
  description: The sign-in method used, as a value of the O(auth_method) option.
  returned: success
  type: str
  sample: client_secret
auth_selection:
  description: Which sign-in method was used and why O(auth_method=auto) chose it. It names options and environment
    variables, never their values.
  returned: success
  type: str
  sample: auth_method auto chose client_secret because the environment variable AZURE_SECRET is set
tenant_id:
  description: The tenant id from the token's C(tid) claim, or else from O(tenant_id).
  returned: success
  type: str
  sample: 8c3e5a1f-2b7d-4e90-a6c4-5f1d2e3b4a71
client_id:
  description: The application (client) id from the token's C(appid) or C(azp) claim, or else from O(client_id).
  returned: success
  type: str
  sample: d4f1c2b3-7a8e-4c5d-9e0f-1a2b3c4d5e6f
cloud:
  description: The cloud in use. With O(cloud=auto), the cloud that the tenant's OpenID metadata names.
  returned: success
  type: str
  sample: public
graph_endpoint:
  description: The Graph endpoint the modules send requests to.
  returned: success
  type: str
  sample: https://graph.microsoft.com
login_endpoint:
  description: The login host the token was requested from. Not used by O(auth_method=managed_identity),
    O(auth_method=azure_cli) and O(auth_method=access_token).
  returned: success
  type: str
  sample: https://login.microsoftonline.com
token_audience:
  description: The token's C(aud) claim, which Graph requires to be the Graph endpoint in use.
  returned: success, when the token is a JWT
  type: str
  sample: https://graph.microsoft.com
token_expires_on:
  description: When the token expires, in ISO 8601 format and UTC.
  returned: success, when the token is a JWT
  type: str
  sample: "2026-01-01T12:00:00Z"
roles:
  description: The application permissions of the token (its C(roles) claim), sorted.
  returned: success
  type: list
  elements: str
  sample: [Directory.Read.All, EntitlementManagement.ReadWrite.All]
scopes:
  description: The delegated permissions of the token (its C(scp) claim), for a token of a signed-in user.
  returned: success
  type: list
  elements: str
  sample: []
missing_permissions:
  description: The permissions that some module of the collection needs and the token lacks. Each has a warning.
  returned: success
  type: list
  elements: str
  sample: [EntitlementManagement.ReadWrite.All]
error_code:
  description: The AADSTS code of a failed sign-in.
  returned: failure, when known
  type: str
  sample: AADSTS7000215
"""

import base64
import datetime
import json

from ansible_collections.entra.governance.plugins.module_utils.common import GraphModule
from ansible_collections.entra.governance.plugins.module_utils.errors import EntraGovernanceError

# The permissions the collection's modules need: (name of the need, permissions that satisfy
# it, who needs it). ReadWrite includes Read, and Directory.Read.All covers users and groups.
REQUIRED_PERMISSIONS = (
    (
        "EntitlementManagement.ReadWrite.All",
        ("EntitlementManagement.ReadWrite.All",),
        "connected_org and connected_org_sponsor need it to make changes",
    ),
    (
        "EntitlementManagement.Read.All",
        ("EntitlementManagement.Read.All", "EntitlementManagement.ReadWrite.All"),
        "connected_org_info and connected_org_sponsor_info need it to read",
    ),
    (
        "User.Read.All",
        ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
        "the modules need it (or Directory.Read.All) to find sponsors given by user principal name",
    ),
    (
        "Group.Read.All",
        ("Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
        "the modules need it (or Directory.Read.All) to find sponsor groups given by name",
    ),
)


def decode_jwt_claims(token):
    """Return the payload claims of a JWT without checking its signature, or None if it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8"))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def missing_permissions(roles):
    """Return (permission, reason) for each need of the collection that ``roles`` does not meet."""
    granted = set(roles)
    return [(name, reason) for name, accepted, reason in REQUIRED_PERMISSIONS if not granted & set(accepted)]


def _expiry(claims):
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)):
        return None
    moment = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc)  # noqa: UP017 - Python 3.9 support
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run(module):
    client = module.graph_client()
    method = client.token_provider
    endpoints = client.endpoints
    token = method.get_token()
    # The token is a secret: keep it out of every output, even if a claim or message repeated it.
    module.no_log_values.add(token)

    result = dict(
        changed=False,
        auth_method=method.method,
        auth_selection=method.selection,
        tenant_id=module.params["tenant_id"],
        client_id=getattr(method, "client_id", None) or module.params["client_id"],
        cloud=endpoints.cloud,
        graph_endpoint=endpoints.graph_url,
        login_endpoint=endpoints.login_url,
        roles=[],
        scopes=[],
        missing_permissions=[],
    )

    claims = decode_jwt_claims(token)
    if claims is None:
        module.warn("The access token is not a JWT, so its permissions cannot be read.")
        return result

    result["tenant_id"] = claims.get("tid") or result["tenant_id"]
    result["client_id"] = claims.get("appid") or claims.get("azp") or result["client_id"]
    result["token_audience"] = claims.get("aud")
    result["token_expires_on"] = _expiry(claims)
    roles = claims.get("roles") or []
    result["roles"] = sorted(role for role in roles if isinstance(role, str))
    result["scopes"] = sorted((claims.get("scp") or "").split())
    if result["scopes"]:
        module.warn(
            "The token is delegated (it has the scp claim): Graph also checks the signed-in user's directory roles, "
            "which this module cannot see."
        )
        return result

    for name, reason in missing_permissions(result["roles"]):
        result["missing_permissions"].append(name)
        module.warn("The token lacks the application permission %s: %s." % (name, reason))
    return result


def main():
    module = GraphModule(argument_spec=dict(), supports_check_mode=True)
    try:
        result = run(module)
    except EntraGovernanceError as error:
        module.fail_from_error(error, changed=False)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
