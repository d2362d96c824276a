#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: connected_org_info
short_description: List connected organizations of Microsoft Entra ID Governance
version_added: 0.1.0
description:
  - Returns the connected organizations of Microsoft Entra entitlement management, read through Microsoft Graph, with
    their description, state and identity sources.
  - Reads every page of Graph's list.
  - The sponsors of the organizations are returned by M(entra.governance.connected_org_sponsor_info).
author:
  - Entra Governance collection maintainers (@entra-governance)
options:
  connected_organization:
    description:
      - The object id or the exact display name of one connected organization.
      - A display name that several organizations share returns each of them. A value that matches no organization
        returns an empty list and does not fail.
      - If not set, every connected organization is returned.
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
  - "Permissions: the application permission C(EntitlementManagement.Read.All). A delegated token needs a role that
    can read entitlement management as well, such as Identity Governance Administrator."
  - Throttling (HTTP 429), temporary failures (HTTP 502, 503 and 504), connection errors and timeouts are retried as
    O(max_retries) and O(max_retry_time) set.
seealso:
  - name: connectedOrganization resource type
    description: Microsoft Graph's documentation of connected organizations, their states and identity sources.
    link: https://learn.microsoft.com/graph/api/resources/connectedorganization
  - ref: ansible_collections.entra.governance.docsite.authentication
    description: >-
      How the modules sign in, the environment variables they read, the national clouds and the Graph permissions
      each operation needs.
  - ref: ansible_collections.entra.governance.docsite.awx
    description: Credentials, execution environment and audit job templates for AWX and Ansible Automation Platform.
"""

EXAMPLES = r"""
- name: List every connected organization
  entra.governance.connected_org_info:
    tenant_id: "{{ entra_tenant_id }}"
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"
  register: organizations

- name: Show the names of the proposed organizations
  ansible.builtin.debug:
    msg: "{{ organizations.connected_organizations | selectattr('org_state', 'eq', 'proposed')
             | map(attribute='display_name') | list }}"

- name: Read Fabrikam
  entra.governance.connected_org_info:
    connected_organization: Fabrikam
  register: fabrikam

- name: Fail unless Fabrikam exists exactly once
  ansible.builtin.assert:
    that:
      - fabrikam.connected_organizations | length == 1
"""

RETURN = r"""
connected_organizations:
  description:
    - The matching connected organizations, sorted by display name and then by id.
    - An empty list when O(connected_organization) matches none.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Object id, in lower case.
      type: str
      sample: 6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d
    display_name:
      description: Display name.
      type: str
      sample: Fabrikam
    description:
      description: Description.
      type: str
      sample: Fabrikam, Inc.
    org_state:
      description: Graph's C(state) of the organization, V(configured) or V(proposed).
      type: str
      sample: configured
    identity_sources:
      description: The organization's identity sources; Graph creates an organization with exactly one.
      type: list
      elements: dict
      contains:
        type:
          description:
            - Graph's type of the source without its namespace, such as V(azureActiveDirectoryTenant),
              V(domainIdentitySource) or V(externalDomainFederation).
            - The other properties of the source follow, named in snake_case.
          type: str
          sample: azureActiveDirectoryTenant
        tenant_id:
          description: The tenant id, for tenant sources.
          type: str
          returned: when the source is a tenant
          sample: 1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9
        domain_name:
          description: The domain, for domain and federation sources.
          type: str
          returned: when the source is a domain
          sample: woodgrove.com
        display_name:
          description: Display name of the source.
          type: str
          sample: Fabrikam
    created:
      description: When the organization was created, as Graph's ISO 8601 UTC timestamp.
      type: str
      sample: "2024-05-06T07:08:09Z"
    modified:
      description: When the organization was last changed, as Graph's ISO 8601 UTC timestamp.
      type: str
      sample: "2024-05-06T07:08:09Z"
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
    organization_result,
    read_organizations,
)


def run(module):
    directory = Directory(module.graph_client())

    items = read_organizations(directory, module.params["connected_organization"])

    return dict(changed=False, connected_organizations=[organization_result(item) for item in items])


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
