#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: connected_org
short_description: Create, update and delete connected organizations in Microsoft Entra ID Governance
version_added: 0.1.0
description:
  - Keeps a connected organization of Microsoft Entra entitlement management in the state the task declares, through
    Microsoft Graph. A connected organization is another organization's Microsoft Entra tenant or domain whose users
    may request access packages.
  - O(id) or O(display_name) identifies the organization. With O(state=present) a missing organization is created, and
    an existing one gets the display name, description and state that the task sets. Options that the task does not
    set are left as they are.
  - The module does not manage sponsors, because Graph rejects sponsors in an update. Use
    M(entra.governance.connected_org_sponsor) for them.
author:
  - Entra Governance collection maintainers (@entra-governance)
options:
  id:
    description:
      - The object id of the connected organization.
      - With O(id), O(display_name) is the name to give the organization, so a different O(display_name) renames it.
      - An organization cannot be created with a given id. With O(state=present), an O(id) that no organization has
        fails.
    type: str
  display_name:
    description:
      - The display name of the connected organization.
      - Without O(id), the organization with this exact display name is managed, and created if there is none. A
        display name that several organizations share fails; the message lists their ids, so that O(id) can choose
        one.
      - Graph compares display names without regard to case. When only a name of different case matches, that
        organization is renamed to O(display_name).
      - Required to create an organization.
    type: str
  description:
    description:
      - The description of the organization.
      - If not set, an existing description is kept, and a new organization gets an empty one.
    type: str
  org_state:
    description:
      - Graph's C(state) of the organization. Access package policies for all configured connected organizations apply
        to users of V(configured) organizations only. Entitlement management itself creates V(proposed) organizations
        when it approves a request of a user from an organization that is not connected yet.
      - If not set, an existing state is kept, and a new organization gets V(configured).
      - Named so that it does not clash with O(state).
    type: str
    choices: [configured, proposed]
  identity_source:
    description:
      - The tenant or domain whose users belong to the organization. Set exactly one of O(identity_source.tenant_id)
        and O(identity_source.domain_name).
      - Needed only to create an organization. Graph cannot change the identity source afterwards, so for an
        existing organization the task fails unless the organization has this identity source. Leave the option out
        to manage an organization whatever its source.
    type: dict
    suboptions:
      tenant_id:
        description:
          - The directory (tenant) id of the other organization's Microsoft Entra tenant, a GUID.
          - Creates an identity source of Graph type C(azureActiveDirectoryTenant).
        type: str
      domain_name:
        description:
          - The DNS domain that the mail addresses of the other organization's users share, for an organization
            without a Microsoft Entra tenant.
          - Creates an identity source of Graph type C(domainIdentitySource).
        type: str
      display_name:
        description:
          - The display name of the identity source.
          - If not set, it is left to Graph when creating, and not compared for an existing organization.
        type: str
  state:
    description:
      - V(present) creates or updates the organization; V(absent) deletes it.
      - Deleting an organization that does not exist is not a failure and reports no change.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - entra.governance.graph
attributes:
  check_mode:
    support: full
    description:
      - Makes no write request and returns what a real run would return. For a new organization, the object id and
        timestamps are unknown, so RV(connected_organization.id) is V(null), and the identity source is returned as
        the module would send it, without the properties that Graph may fill in.
  diff_mode:
    support: full
    description: Shows the organization's id, display name, description, state and identity sources before and after.
  idempotent:
    support: full
    description: A second run with the same options makes no change and reports C(changed=false).
  action_group:
    description: Use C(group/entra.governance.graph) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - entra.governance.graph
notes:
  - "Permissions: the application permission C(EntitlementManagement.ReadWrite.All). A delegated token needs the
    Identity Governance Administrator role as well."
  - Graph has no way to make a create conditional. When Graph responds to a create with HTTP 503 or 504, the module
    sends it again, and if the first attempt had in fact succeeded there are two organizations with the name
    afterwards. The module warns when this can have happened.
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
- name: Connect Fabrikam's Microsoft Entra tenant
  entra.governance.connected_org:
    display_name: Fabrikam
    description: Fabrikam, Inc., our logistics partner
    identity_source:
      tenant_id: 1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9
      display_name: Fabrikam
    tenant_id: "{{ entra_tenant_id }}"
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"

- name: Connect Woodgrove Bank by its domain, as proposed only
  entra.governance.connected_org:
    display_name: Woodgrove Bank
    identity_source:
      domain_name: woodgrove.com
    org_state: proposed

- name: Rename a connected organization
  entra.governance.connected_org:
    id: 6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d
    display_name: Fabrikam Logistics

- name: Delete Tailspin Toys
  entra.governance.connected_org:
    display_name: Tailspin Toys
    state: absent

- name: Create an organization and give it a sponsor, with the connection options set once
  module_defaults:
    group/entra.governance.graph:
      tenant_id: "{{ entra_tenant_id }}"
      client_id: "{{ entra_client_id }}"
      client_certificate_path: /etc/ansible/entra/app.pem
  block:
    - name: Connect Litware
      entra.governance.connected_org:
        display_name: Litware
        identity_source:
          domain_name: litware.com
      register: litware

    - name: Make Ada an internal sponsor of Litware
      entra.governance.connected_org_sponsor:
        connected_organization: "{{ litware.connected_organization.id }}"
        users:
          - ada@contoso.com
      # In check mode the new organization has no id yet.
      when: litware.connected_organization.id is not none
"""

RETURN = r"""
connected_organization:
  description:
    - The organization after the task; with O(state=absent), the organization that was deleted.
    - In check mode, what a real run would return.
    - V(null) when O(state=absent) and there was no such organization.
  returned: success
  type: dict
  contains:
    id:
      description:
        - Object id, in lower case.
        - V(null) in check mode when the organization would be created.
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
      description:
        - When the organization was created, as Graph's ISO 8601 UTC timestamp.
        - V(null) in check mode when the organization would be created.
      type: str
      sample: "2024-05-06T07:08:09Z"
    modified:
      description:
        - When the organization was last changed, as read before the task; a change made by the task is not
          reflected.
        - V(null) in check mode when the organization would be created.
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
    ORG_STATES,
    check_identity_source,
    check_options,
    create,
    creation_body,
    delete,
    diff_view,
    find_for_update,
    organization_result,
    planned_item,
    update,
    update_body,
)

# The fields of an organization that Graph fills in and check mode cannot know.
UNKNOWN_BEFORE_CREATE = {"id": None, "createdDateTime": None, "modifiedDateTime": None}


def ensure_absent(module, client, current):
    """Delete the organization if it exists; return ``(changed, result before)``."""
    if current is None:
        return False, None
    changed = True
    if not module.check_mode:
        changed = delete(client, current)
    return changed, organization_result(current)


def ensure_present(module, client, current):
    """Create the organization or update what differs; return ``(changed, result after)``."""
    params = module.params
    if current is None:
        body = creation_body(params)
        if module.check_mode:
            return True, organization_result(planned_item(UNKNOWN_BEFORE_CREATE, body))
        created = create(client, body)
        if client.last_request_ambiguous:
            module.warn(
                "Graph answered HTTP 503 or 504 before it accepted the create of connected organization "
                "'%s', so the first attempt may have created one as well. Check for a second organization "
                "with this name." % body["displayName"]
            )
        return True, organization_result(created)

    if params["identity_source"]:
        check_identity_source(current, params["identity_source"])
    body = update_body(current, params)
    if body and not module.check_mode:
        update(client, current, body)
    return bool(body), organization_result(planned_item(current, body))


def run(module):
    params = module.params
    check_options(params)
    client = module.graph_client()
    directory = Directory(client)

    current = find_for_update(directory, params["id"], params["display_name"])
    before = organization_result(current) if current else None

    if params["state"] == "absent":
        changed, organization = ensure_absent(module, client, current)
        after = None
    else:
        changed, organization = ensure_present(module, client, current)
        after = organization

    result = dict(changed=changed, connected_organization=organization)
    if module._diff:
        result["diff"] = dict(before=diff_view(before), after=diff_view(after))
    return result


def main():
    module = GraphModule(
        argument_spec=dict(
            id=dict(type="str"),
            display_name=dict(type="str"),
            description=dict(type="str"),
            org_state=dict(type="str", choices=list(ORG_STATES)),
            identity_source=dict(
                type="dict",
                options=dict(
                    tenant_id=dict(type="str"),
                    domain_name=dict(type="str"),
                    display_name=dict(type="str"),
                ),
                mutually_exclusive=[["tenant_id", "domain_name"]],
                required_one_of=[["tenant_id", "domain_name"]],
            ),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        required_one_of=[["id", "display_name"]],
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except EntraGovernanceError as error:
        module.fail_from_error(error, changed=False)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
