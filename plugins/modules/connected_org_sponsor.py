#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: connected_org_sponsor
short_description: Manage the sponsors of a connected organization in Microsoft Entra ID Governance
version_added: 0.1.0
description:
  - Keeps the internal or external sponsors of a connected organization of Microsoft Entra entitlement management in
    the state the task declares, through Microsoft Graph.
  - Sponsors are users or groups. Internal sponsors are people of your own directory who approve requests of users
    from the connected organization; external sponsors are people from that organization.
  - The module reads every current sponsor, adds only those that are missing and removes only those the task asks
    to remove, so it reports C(changed) only when Graph was changed.
  - Every user and group name is resolved to an object id before anything is written, in check mode too.
  - The reads go to Graph as one JSON batch, so a task that gives the organization by object id and changes nothing
    makes one Graph request per page of the sponsor list. Additions and then removals follow in batches of up to 20.
  - A sponsor list of more than one page can be torn when another run changes it between two pages. With
    O(exclusive=true), or when the task lists a sponsor that the list lacks, such a list is read again until two reads
    agree.
    See R(Performance, ansible_collections.entra.governance.docsite.performance) for request counts and timings.
author:
  - Entra Governance collection maintainers (@entra-governance)
options:
  connected_organization:
    description:
      - The object id or the exact display name of the connected organization.
      - A display name that matches no organization, or several, fails; the message lists the ids of the matches.
    type: str
    required: true
  users:
    description:
      - Users to add or remove, each as an object id, a userPrincipalName (guest UPNs such as
        V(ada_fabrikam.com#EXT#@contoso.onmicrosoft.com) included) or a mail address.
      - A value that matches no user, or several, fails before anything is written.
    type: list
    elements: str
    default: []
  groups:
    description:
      - Groups to add or remove, each as an object id or an exact display name.
      - A display name shared by several groups fails; use the object id then.
    type: list
    elements: str
    default: []
  sponsor_type:
    description:
      - Which sponsor list of the organization to manage.
    type: str
    default: internal
    choices: [internal, external]
  state:
    description:
      - V(present) makes the listed users and groups sponsors; V(absent) removes them.
    type: str
    default: present
    choices: [present, absent]
  exclusive:
    description:
      - With O(state=present), the listed users and groups become the complete sponsor list of O(sponsor_type), and
        every other sponsor of that type is removed.
      - The other sponsor type is never touched.
      - Not allowed with O(state=absent).
      - Exclusive tasks with different lists for the same organization that run at the same time each remove only the
        sponsors they read, so the organization can end with the sponsors of both lists. Run them one after another.
    type: bool
    default: false
  allow_no_sponsors:
    description:
      - Allow O(exclusive=true) to remove every sponsor of O(sponsor_type), which happens when O(users) and
        O(groups) are both empty.
      - Without it, such a task fails before anything is written, so that an empty or undefined variable cannot
        wipe the sponsor list.
    type: bool
    default: false
  resolve_wait:
    description:
      - How long, in seconds, to keep looking for users and groups that are not found, for a task that runs
        right after they were created. Graph can take some seconds before it finds a new object.
      - The module looks the missing users and groups up again, with pauses that start at 1 second and double up to
        10 seconds, until this time is used up. Then it fails as it would have without the wait, and the message
        states how long it waited.
      - An addition that Graph answers with HTTP 404 although the look-up found the object is sent again, after the
        module has read the sponsor list again, for up to this time as well. A task can so wait up to twice
        O(resolve_wait) in all.
      - V(0) turns the wait off, so that a misspelt name fails at once.
    type: int
    default: 0
extends_documentation_fragment:
  - entra.governance.graph
attributes:
  check_mode:
    support: full
    description: Makes no write request and returns what a real run would return, including C(added) and C(removed).
  diff_mode:
    support: full
    description: Shows the sponsor list of O(sponsor_type) before and after, one line per sponsor with its name.
  idempotent:
    support: full
    description: A second run with the same options makes no change and reports C(changed=false).
  action_group:
    description: Use C(group/entra.governance.graph) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - entra.governance.graph
notes:
  - "Permissions: changing sponsors needs the application permission C(EntitlementManagement.ReadWrite.All); listing
    them needs C(EntitlementManagement.Read.All). Resolving UPNs, mail addresses and group names needs directory
    read access (C(User.Read.All) and C(Group.Read.All), or C(Directory.Read.All)). A delegated token needs the
    Identity Governance Administrator role as well. Tokens of the Azure CLI lack the entitlement management scopes."
  - A sponsor that someone else adds or removes between the module's read and its write is skipped without failure
    and is not reported as a change.
  - The returned C(sponsors) list is computed from the list read at the start and the changes made; sponsors that
    someone else adds during the run are not in it.
  - Throttling (HTTP 429), temporary failures (HTTP 502, 503 and 504), connection errors and timeouts are retried up
    to O(max_retries) times, waiting as long as the C(Retry-After) header asks, at most 60 seconds a time and
    O(max_retry_time) seconds in all. An addition or removal that Graph reports as already done after such a retry
    counts as a change, because the failed attempt may have reached Graph.
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
- name: Make Ada an internal sponsor of Fabrikam
  entra.governance.connected_org_sponsor:
    connected_organization: Fabrikam
    users:
      - ada@contoso.com
    tenant_id: "{{ entra_tenant_id }}"
    client_id: "{{ entra_client_id }}"
    client_secret: "{{ entra_client_secret }}"

- name: Set the external sponsors of Fabrikam to exactly one user and one group
  entra.governance.connected_org_sponsor:
    connected_organization: 6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d
    sponsor_type: external
    users:
      - linus@fabrikam.com
    groups:
      - Fabrikam Partner Managers
    exclusive: true

- name: Remove a group from the internal sponsors, in the US Government cloud
  entra.governance.connected_org_sponsor:
    connected_organization: Fabrikam
    groups:
      - Legal
    state: absent
    cloud: usgov

- name: Set the connection options once for every module of the collection
  module_defaults:
    group/entra.governance.graph:
      tenant_id: "{{ entra_tenant_id }}"
      client_id: "{{ entra_client_id }}"
      client_certificate_path: /etc/ansible/entra/app.pem
  block:
    - name: Add two internal sponsors to Woodgrove Bank
      entra.governance.connected_org_sponsor:
        connected_organization: Woodgrove Bank
        users:
          - grace@contoso.com
          - 0c5c6c5e-2d8a-4c29-9d6e-5a1f8c0b7e11
"""

RETURN = r"""
connected_organization:
  description: The connected organization whose sponsors were managed.
  returned: success
  type: dict
  contains:
    id:
      description: Object id.
      type: str
      sample: 6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d
    display_name:
      description: Display name.
      type: str
      sample: Fabrikam
sponsor_type:
  description: The sponsor list that was managed.
  returned: success
  type: str
  sample: internal
sponsors:
  description:
    - The sponsors of RV(sponsor_type) after the task, sorted by display name.
    - In check mode, the sponsors a real run would leave.
  returned: success
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
      returned: when RV(sponsors[].type=user)
      sample: ada@contoso.com
added:
  description:
    - Object ids of the sponsors added; in check mode, those a real run would add.
    - On a failure part-way, the sponsors added before the failure, including those that succeeded in the same
      batch as the failed write. The message lists the sponsors whose write failed and those not attempted.
  returned: always
  type: list
  elements: str
  sample: [0c5c6c5e-2d8a-4c29-9d6e-5a1f8c0b7e11]
removed:
  description:
    - Object ids of the sponsors removed; in check mode, those a real run would remove.
    - On a failure part-way, the sponsors removed before the failure, including those that succeeded in the same
      batch as the failed write.
  returned: always
  type: list
  elements: str
  sample: []
http_status:
  description: HTTP status of the Graph request that failed.
  returned: failure, when Graph answered
  type: int
  sample: 403
error_code:
  description: Graph's error code, or the AADSTS code of a failed sign-in.
  returned: failure, when known
  type: str
  sample: Authorization_RequestDenied
request_id:
  description: The request id of the failed Graph request, which Microsoft support needs.
  returned: failure, when Graph answered
  type: str
  sample: 2f7d1a5c-9b57-4f4e-9a56-2ad2b0f0c1d3
"""

import time

from ansible_collections.entra.governance.plugins.module_utils.common import GraphModule
from ansible_collections.entra.governance.plugins.module_utils.directory import MAX_RESOLVE_DELAY, Directory
from ansible_collections.entra.governance.plugins.module_utils.errors import (
    EntraGovernanceError,
    InvalidInputError,
    PartialChangeError,
)
from ansible_collections.entra.governance.plugins.module_utils.sponsors import (
    SPONSOR_TYPES,
    SponsorWriteError,
    apply_plan,
    diff_text,
    plan_changes,
    relies_on_absence,
)


def run(module):
    params = module.params
    client = module.graph_client()
    directory = Directory(client, resolve_wait=params["resolve_wait"])

    organization, current, requested = directory.read_sponsor_task(
        params["connected_organization"], params["sponsor_type"], params["users"], params["groups"]
    )

    plan = make_plan(module, directory, organization, current, requested)

    after = plan.after
    if module.check_mode:
        added = [sponsor.id for sponsor in plan.to_add]
        removed = [sponsor.id for sponsor in plan.to_remove]
    else:
        added, removed, after = apply_waiting(module, client, directory, organization, requested, plan)

    result = dict(
        changed=bool(added or removed),
        connected_organization=organization,
        sponsor_type=params["sponsor_type"],
        sponsors=[sponsor.to_result() for sponsor in after],
        added=added,
        removed=removed,
    )
    if module._diff:
        header = "%s sponsors of connected organization '%s'" % (params["sponsor_type"], organization["display_name"])
        result["diff"] = dict(
            before=diff_text(plan.before), after=diff_text(after), before_header=header, after_header=header
        )
    return result


def make_plan(module, directory, organization, current, requested):
    """Plan the writes, first reading the sponsor list again if it took several pages and the plan needs that.

    ``current`` is the listing that ``directory`` read last.
    """
    params = module.params
    state, exclusive = params["state"], params["exclusive"]
    if directory.sponsor_pages > 1 and relies_on_absence(current, requested, exclusive):
        current = directory.settle_sponsors(organization["id"], params["sponsor_type"], current)
    return plan_changes(current, requested, state, exclusive, params["allow_no_sponsors"])


def apply_waiting(module, client, directory, organization, requested, plan):
    """Apply the plan, then plan and apply again while Graph returns 404 for additions, within resolve_wait.

    Graph can return 404 for the addition of a user or group created moments ago, even after
    a look-up found it. Returns ``(added, removed, sponsors after)``.
    """
    params = module.params
    deadline = time.monotonic() + params["resolve_wait"]
    delay = 1.0
    added = []
    removed = []
    while True:
        try:
            more_added, more_removed = apply_plan(client, organization, params["sponsor_type"], plan)
            return added + more_added, removed + more_removed, plan.after
        except SponsorWriteError as error:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not _additions_not_found(error, plan):
                if added or removed:
                    raise PartialChangeError(error, added + error.added, removed + error.removed)
                raise
            added += error.added
            removed += error.removed
            delay = min(delay, remaining)
            client.log("%s. Sending the additions again in %.1f s, within resolve_wait." % (error, delay))
            time.sleep(delay)
            delay = min(delay * 2, MAX_RESOLVE_DELAY)
        try:
            current = directory.list_sponsors(organization["id"], params["sponsor_type"])
            plan = make_plan(module, directory, organization, current, requested)
        except EntraGovernanceError as error:
            raise PartialChangeError(error, added, removed)


def _additions_not_found(error, plan):
    adding = set(sponsor.id for sponsor in plan.to_add)
    cause = error.cause
    return bool(error.failed) and set(error.failed) <= adding and getattr(cause, "status", None) == 404


def main():
    module = GraphModule(
        argument_spec=dict(
            connected_organization=dict(type="str", required=True),
            users=dict(type="list", elements="str", default=[]),
            groups=dict(type="list", elements="str", default=[]),
            sponsor_type=dict(type="str", default="internal", choices=list(SPONSOR_TYPES)),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            exclusive=dict(type="bool", default=False),
            allow_no_sponsors=dict(type="bool", default=False),
            resolve_wait=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    try:
        if module.params["resolve_wait"] < 0:
            raise InvalidInputError(
                "Invalid resolve_wait '%s': expected 0 or a positive number of seconds." % module.params["resolve_wait"]
            )
        result = run(module)
    except EntraGovernanceError as error:
        module.fail_from_error(error, changed=False, added=[], removed=[])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
