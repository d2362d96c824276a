#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: connected_org_sponsor_info
short_description: List the sponsors of connected organizations in Microsoft Entra ID Governance
version_added: 0.1.0
description:
  - Returns the internal and external sponsors of connected organizations of Microsoft Entra entitlement management,
    read through Microsoft Graph, with the display name of every sponsor and the UPN of every user.
  - Reads every page of each list.
  - Use it to audit sponsors, or to check the result of M(entra.governance.connected_org_sponsor).
author:
  - Entra Governance collection maintainers (@entra-governance)
options:
  connected_organization:
    description:
      - The object id or the exact display name of one connected organization.
      - A display name that several organizations share returns each of them. A value that matches no organization
        returns an empty list and does not fail.
      - If not set, the sponsors of every connected organization are returned, which takes two or more Graph requests
        per organization.
    type: str
extends_documentation_fragment:
  - entra.governance.graph
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs in check mode as it runs otherwise.
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
  - "Permissions: the application permission C(EntitlementManagement.Read.All). Reading the names of sponsors when Graph
    lists only their ids needs C(Directory.Read.All) as well. A delegated token needs a role that can read
    entitlement management, such as Identity Governance Administrator."
  - Throttling (HTTP 429), temporary failures (HTTP 502, 503 and 504), connection errors and timeouts are retried as
    O(max_retries) and O(max_retry_time) set.
seealso:
  - name: connectedOrganization resource type
    description: Microsoft Graph's documentation of connected organizations and their sponsors.
    link: https://learn.microsoft.com/graph/api/resources/connectedorganization
  - ref: ansible_collections.entra.governance.docsite.authentication
    description: >-
      How the modules sign in, the environment variables they read, the national clouds and the Graph permissions
      each operation needs.
  - ref: ansible_collections.entra.governance.docsite.auditing
    description: Auditing sponsor lists with check mode and C(--diff), and the read-only permissions an auditor needs.
  - ref: ansible_collections.entra.governance.docsite.awx
    description: Credentials, execution environment and audit job templates for AWX and Ansible Automation Platform.
"""

EXAMPLES = r"""
- name: Read the sponsors of Fabrikam
  entra.governance.connected_org_sponsor_info:
    connected_organization: Fabrikam
    tenant_id: "{{ entra_tenant_id }}"
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"
  register: fabrikam

- name: Show the UPNs of Fabrikam's internal sponsors that are users
  ansible.builtin.debug:
    msg: "{{ fabrikam.connected_organizations[0].internal_sponsors | selectattr('type', 'eq', 'user')
             | map(attribute='user_principal_name') | list }}"

- name: Read the sponsors of every connected organization
  entra.governance.connected_org_sponsor_info:
  register: all_sponsors

- name: List the organizations without any internal sponsor
  ansible.builtin.debug:
    msg: "{{ all_sponsors.connected_organizations | rejectattr('internal_sponsors')
             | map(attribute='display_name') | list }}"
"""

RETURN = r"""
connected_organizations:
  description:
    - The matching connected organizations with their sponsors, sorted by display name and then by id.
    - An empty list when O(connected_organization) matches none.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Object id of the organization, in lower case.
      type: str
      sample: 6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d
    display_name:
      description: Display name of the organization.
      type: str
      sample: Fabrikam
    internal_sponsors:
      description: The internal sponsors, sorted by display name and then by id.
      type: list
      elements: dict
      contains:
        id:
          description: Object id, in lower case.
          type: str
          sample: 0c5c6c5e-2d8a-4c29-9d6e-5a1f8c0b7e11
        type:
          description: V(user) or V(group).
          type: str
          sample: user
        display_name:
          description: Display name.
          type: str
          sample: Ada Lovelace
        user_principal_name:
          description: The user's UPN. Only for users.
          type: str
          returned: when the sponsor is a user
          sample: ada@contoso.com
    external_sponsors:
      description: The external sponsors, sorted by display name and then by id.
      type: list
      elements: dict
      contains:
        id:
          description: Object id, in lower case.
          type: str
          sample: 0c5c6c5e-2d8a-4c29-9d6e-5a1f8c0b7e11
        type:
          description: V(user) or V(group).
          type: str
          sample: user
        display_name:
          description: Display name.
          type: str
          sample: Ada Lovelace
        user_principal_name:
          description: The user's UPN. Only for users.
          type: str
          returned: when the sponsor is a user
          sample: ada@contoso.com
http_status:
  description: HTTP status of the Graph request that failed.
  returned: failure, when Graph answered
  type: int
  sample: 403
error_code:
  description: Graph's error code, or the AADSTS code of a failed sign-in.
  returned: failure, when known
  type: str
  sample: UnAuthorized
request_id:
  description: The request id of the failed Graph request, which Microsoft support needs.
  returned: failure, when Graph answered
  type: str
  sample: 2f7d1a5c-9b57-4f4e-9a56-2ad2b0f0c1d3
"""

from ansible_collections.entra.governance.plugins.module_utils.common import GraphModule
from ansible_collections.entra.governance.plugins.module_utils.directory import Directory
from ansible_collections.entra.governance.plugins.module_utils.errors import EntraGovernanceError
from ansible_collections.entra.governance.plugins.module_utils.organizations import (
    organization_sponsors,
    read_organizations,
)


def run(module):
    directory = Directory(module.graph_client())

    items = read_organizations(directory, module.params["connected_organization"])

    return dict(changed=False, connected_organizations=[organization_sponsors(directory, item) for item in items])


def main():
    module = GraphModule(
        argument_spec=dict(
            connected_organization=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except EntraGovernanceError as error:
        module.fail_from_error(error, changed=False)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
