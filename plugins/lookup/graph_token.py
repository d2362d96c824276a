# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: graph_token
short_description: Sign in to Microsoft Entra ID once and return an access token for Microsoft Graph
version_added: 0.1.0
description:
  - Signs in on the controller with the same options and environment variables as the modules of this collection
    and returns an app-only access token for Microsoft Graph.
  - Every module task otherwise signs in by itself, which costs two requests to Entra ID (OpenID discovery and the
    token request) per task. Store the token once with C(ansible.builtin.set_fact) and pass it to the modules as
    O(entra.governance.connected_org_sponsor#module:access_token) through C(module_defaults), so a play signs in once.
  - Do not put the lookup itself in C(module_defaults). Ansible templates C(module_defaults) again for every task, so
    each task would sign in again.
  - A token given as O(entra.governance.connected_org_sponsor#module:access_token) is never renewed. By default
    Entra ID issues access tokens for a random time between 60 and 90 minutes (Microsoft identity platform
    documentation, "Configurable token lifetimes"), so a play that runs longer must run the
    C(ansible.builtin.set_fact) task again.
  - The lookup takes no terms. Its options are those of the modules. With O(access_token) the lookup returns that
    token unchanged, and it does not use O(max_retries) and O(max_retry_time).
  - With O(auth_method=azure_cli) the lookup runs C(az account get-access-token) on the controller.
author:
  - Entra Governance collection maintainers (@entra-governance)
extends_documentation_fragment:
  - entra.governance.graph
notes:
  - The lookup runs on the controller, so the credentials, certificate files and environment variables must be
    available there, not on the managed host.
  - Set C(no_log) on the task that stores the token.
seealso:
  - ref: ansible_collections.entra.governance.docsite.performance
    description: Request counts and timings with and without a shared token.
"""

EXAMPLES = r"""
- name: Manage sponsors with one sign-in for the whole play
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Sign in to Entra ID once
      ansible.builtin.set_fact:
        entra_access_token: >-
          {{ lookup('entra.governance.graph_token', tenant_id=entra_tenant_id, client_id=entra_client_id,
                    client_secret=entra_client_secret) }}
      no_log: true

    - name: Use the token in every task of the block
      module_defaults:
        group/entra.governance.graph:
          access_token: "{{ entra_access_token }}"
      block:
        - name: Make Ada an internal sponsor of Fabrikam
          entra.governance.connected_org_sponsor:
            connected_organization: Fabrikam
            users:
              - ada@contoso.com
"""

RETURN = r"""
_raw:
  description: One element, the access token.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display
from ansible_collections.entra.governance.plugins.module_utils.errors import EntraGovernanceError
from ansible_collections.entra.governance.plugins.plugin_utils.sign_in import graph_token_params, sign_in


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("The graph_token lookup takes no terms; pass the options as keyword arguments.")
        self.set_options(var_options=variables, direct=kwargs)
        params = graph_token_params(self.get_option, os.environ)
        try:
            return [sign_in(params, warn=Display().warning)]
        except EntraGovernanceError as error:
            raise AnsibleLookupError(str(error))
