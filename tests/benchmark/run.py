# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Compare connected_org_sponsor with an ansible.builtin.uri playbook on the Graph emulator.

Run by hand from the repository root with the project's venv, which has ansible-core,
msal, requests, trustme and cryptography:

    .venv/bin/python tests/benchmark/run.py

The script builds and installs the collection into a temporary directory (or uses
``--collections-path``), starts the emulator with a fixed delay before every Graph and
every login request, and runs each scenario once per side:

  (a) one sponsor that is already present,
  (b) an exclusive sync of 200 sponsors onto an organization without sponsors,
  (c) 50 organizations with 5 new sponsors each, in one play.

For each run it prints the Graph requests, the token requests, the OpenID discovery
requests and the wall time of ansible-playbook. A Graph request is one HTTP request, so a
JSON batch counts once. Each scenario ends with the ratio of the uri playbook's time to
the collection's. It also
prints the import time of the module's code. Every side gets the same inputs: object ids
of users, and organization ids.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "emulator"))

import emulator_seed as seed  # noqa: E402 - needs the sys.path entry above
from graph_emulator import Emulator  # noqa: E402

VENV_BIN = Path(sys.executable).parent
ORGANIZATIONS_PATH = "/v1.0/identityGovernance/entitlementManagement/connectedOrganizations"
# Items per page of every list. 100 is an assumed page size for Graph's lists, so the
# scenarios stay within one page; the emulator's default is 3.
PAGE_SIZE = 100
SYNC_SPONSORS = 200
ORGANIZATION_COUNT = 50
SPONSORS_PER_ORGANIZATION = 5

CONNECTION_DEFAULTS = """\
      tenant_id: "{{ emulator_tenant_id }}"
      client_id: "{{ emulator_client_id }}"
      client_secret: "{{ emulator_client_secret }}"
      authority_host: "{{ emulator_login_url }}"
      graph_endpoint: "{{ emulator_graph_url }}"
      ca_path: "{{ emulator_ca_path }}"
"""

COLLECTION_PLAYBOOK = (
    """\
- name: Set sponsors with entra.governance.connected_org_sponsor, signing in in every task
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/entra.governance.graph:
"""
    + CONNECTION_DEFAULTS
    + """\
  tasks:
    - name: Set the sponsors of each organization
      entra.governance.connected_org_sponsor:
        connected_organization: "{{ item.organization }}"
        users: "{{ item.users }}"
        exclusive: "{{ exclusive }}"
        allow_no_sponsors: true
      loop: "{{ assignments }}"
      loop_control:
        label: "{{ item.organization }}"
"""
)

COLLECTION_TOKEN_PLAYBOOK = (
    """\
- name: Set sponsors with entra.governance.connected_org_sponsor and one sign-in per play
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Sign in once
      ansible.builtin.set_fact:
        entra_access_token: "{{ lookup('entra.governance.graph_token', **entra_connection) }}"
      no_log: true

    - name: Set the sponsors of each organization
      module_defaults:
        group/entra.governance.graph:
          access_token: "{{ entra_access_token }}"
          graph_endpoint: "{{ emulator_graph_url }}"
          ca_path: "{{ emulator_ca_path }}"
      entra.governance.connected_org_sponsor:
        connected_organization: "{{ item.organization }}"
        users: "{{ item.users }}"
        exclusive: "{{ exclusive }}"
        allow_no_sponsors: true
      loop: "{{ assignments }}"
      loop_control:
        label: "{{ item.organization }}"
  vars:
    entra_connection:
"""
    + CONNECTION_DEFAULTS
)

# The same job with ansible.builtin.uri: one token request, one read of each sponsor list
# (the scenarios stay within one page of 100), one POST per missing sponsor and, with
# exclusive, one DELETE per extra sponsor.
URI_PLAYBOOK = """\
- name: Set sponsors with ansible.builtin.uri
  hosts: localhost
  gather_facts: false
  vars:
    sponsors_url: "{{ emulator_graph_url }}/v1.0/identityGovernance/entitlementManagement/connectedOrganizations"
    graph_headers:
      Authorization: "Bearer {{ token.json.access_token }}"
  tasks:
    - name: Request a token
      ansible.builtin.uri:
        url: "{{ emulator_login_url }}/{{ emulator_tenant_id }}/oauth2/v2.0/token"
        method: POST
        body_format: form-urlencoded
        body:
          grant_type: client_credentials
          client_id: "{{ emulator_client_id }}"
          client_secret: "{{ emulator_client_secret }}"
          scope: "{{ emulator_graph_url }}/.default"
        ca_path: "{{ emulator_ca_path }}"
      register: token
      no_log: true

    - name: Read the current sponsors
      ansible.builtin.uri:
        url: "{{ sponsors_url }}/{{ item.organization }}/internalSponsors"
        headers: "{{ graph_headers }}"
        ca_path: "{{ emulator_ca_path }}"
      loop: "{{ assignments }}"
      loop_control:
        label: "{{ item.organization }}"
      register: current

    - name: Add the missing sponsors
      ansible.builtin.uri:
        url: "{{ sponsors_url }}/{{ item.0.item.organization }}/internalSponsors/$ref"
        method: POST
        headers: "{{ graph_headers }}"
        body_format: json
        body:
          "@odata.id": "{{ emulator_graph_url }}/v1.0/directoryObjects/{{ item.1 }}"
        status_code: 204
        ca_path: "{{ emulator_ca_path }}"
      loop: "{{ current.results | subelements('item.users') }}"
      loop_control:
        label: "{{ item.1 }}"
      when: item.1 not in (item.0.json.value | map(attribute='id'))

    - name: Remove the other sponsors
      ansible.builtin.uri:
        url: "{{ sponsors_url }}/{{ item.0.item.organization }}/internalSponsors/{{ item.1.id }}/$ref"
        method: DELETE
        headers: "{{ graph_headers }}"
        status_code: 204
        ca_path: "{{ emulator_ca_path }}"
      loop: "{{ current.results | subelements('json.value') }}"
      loop_control:
        label: "{{ item.1.id }}"
      when: exclusive | bool and item.1.id not in item.0.item.users
"""

SIDES = (
    ("collection", "collection.yml", COLLECTION_PLAYBOOK),
    ("collection + graph_token", "collection-token.yml", COLLECTION_TOKEN_PLAYBOOK),
    ("ansible.builtin.uri", "uri.yml", URI_PLAYBOOK),
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--latency", type=float, default=0.05, help="delay before each request, in seconds")
    parser.add_argument(
        "--collections-path",
        type=Path,
        help="a collections directory with entra.governance installed; by default the script builds one",
    )
    return parser.parse_args(argv)


def run_tool(command, **kwargs):
    completed = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if completed.returncode != 0:
        raise SystemExit("%s failed:\n%s%s" % (" ".join(command), completed.stdout, completed.stderr))
    return completed


def install_collection(work_dir):
    build_dir = work_dir / "build"
    collections = work_dir / "collections"
    run_tool([str(VENV_BIN / "ansible-galaxy"), "collection", "build", str(REPO_ROOT), "--output-path", str(build_dir)])
    tarball = next(build_dir.glob("entra-governance-*.tar.gz"))
    run_tool([str(VENV_BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(collections)])
    return collections


def seed_benchmark(emulator):
    """Add the users and organizations of the scenarios; return their ids."""
    users = [
        emulator.add_user(
            displayName="Benchmark User %03d" % number,
            userPrincipalName="bench%03d@contoso.example" % number,
            mail="bench%03d@contoso.example" % number,
        )["id"]
        for number in range(max(SYNC_SPONSORS, ORGANIZATION_COUNT * SPONSORS_PER_ORGANIZATION))
    ]
    organizations = []
    for number in range(ORGANIZATION_COUNT + 1):
        domain = "bench%02d.example" % number
        organization = emulator.tenant.create_organization(
            {
                "displayName": "Benchmark Organization %02d" % number,
                "description": None,
                "state": "configured",
                "identitySources": [
                    {
                        "@odata.type": "#microsoft.graph.domainIdentitySource",
                        "domainName": domain,
                        "displayName": domain,
                    }
                ],
            }
        )
        organizations.append(organization["id"])
    return users, organizations


def scenarios(users, organizations):
    """Return ``(name, prepare, extra vars)`` of each scenario; ``prepare`` sets the sponsors before a run."""
    sync_target = organizations[0]
    many = organizations[1:]

    def prepare_present(emulator):
        emulator.set_sponsors(seed.FABRIKAM, "internal", [seed.ADA])

    def prepare_sync(emulator):
        emulator.set_sponsors(sync_target, "internal", [])

    def prepare_many(emulator):
        for organization in many:
            emulator.set_sponsors(organization, "internal", [])

    return [
        (
            "(a) one sponsor already present",
            prepare_present,
            {"exclusive": False, "assignments": [{"organization": seed.FABRIKAM, "users": [seed.ADA]}]},
        ),
        (
            "(b) exclusive sync of %d sponsors onto an empty organization" % SYNC_SPONSORS,
            prepare_sync,
            {"exclusive": True, "assignments": [{"organization": sync_target, "users": users[:SYNC_SPONSORS]}]},
        ),
        (
            "(c) %d organizations with %d new sponsors each" % (len(many), SPONSORS_PER_ORGANIZATION),
            prepare_many,
            {
                "exclusive": False,
                "assignments": [
                    {
                        "organization": organization,
                        "users": users[index * SPONSORS_PER_ORGANIZATION : (index + 1) * SPONSORS_PER_ORGANIZATION],
                    }
                    for index, organization in enumerate(many)
                ],
            },
        ),
    ]


def count_requests(log):
    graph = [entry for entry in log if entry["listener"] == "graph" and "batch_id" not in entry]
    login = [entry for entry in log if entry["listener"] == "login"]
    tokens = [entry for entry in login if entry["path"].endswith("/oauth2/v2.0/token")]
    return {"graph": len(graph), "token": len(tokens), "discovery": len(login) - len(tokens)}


def run_playbook(playbook, extra_vars, emulator, collections, work_dir):
    extra_file = work_dir / "extra-vars.json"
    extra_file.write_text(json.dumps(extra_vars))
    extra_file.chmod(0o600)
    command = [
        str(VENV_BIN / "ansible-playbook"),
        str(playbook),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        "@%s" % (Path(emulator.state_dir) / "vars.yml"),
        "-e",
        "@%s" % extra_file,
        "-e",
        json.dumps({"ansible_python_interpreter": sys.executable}),
    ]
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("ANSIBLE_", "AZURE_"))}
    environment.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(collections),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_HOME": str(work_dir / "ansible-home"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        }
    )
    emulator.clear_requests()
    started = time.perf_counter()
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit("%s failed:\n%s\n%s" % (playbook.name, completed.stdout[-4000:], completed.stderr[-2000:]))
    counts = count_requests(emulator.requests())
    counts["seconds"] = elapsed
    return counts


def check_sponsors(emulator, extra_vars):
    """Fail when a run did not leave the requested sponsors, so a fast but wrong side cannot pass."""
    for assignment in extra_vars["assignments"]:
        current = set(emulator.organization(assignment["organization"])["internalSponsors"])
        expected = set(assignment["users"])
        if extra_vars["exclusive"] and current != expected or not expected <= current:
            raise SystemExit("organization %s has the wrong sponsors after a run" % assignment["organization"])


def measure_import_time(collections):
    """Return the seconds that importing the module's code takes, then msal's import, in a fresh Python.

    The modules import msal only when a task signs in through it, so the two are separate.
    """
    code = (
        "import time\n"
        "started = time.perf_counter()\n"
        "import ansible_collections.entra.governance.plugins.modules.connected_org_sponsor\n"
        "from ansible_collections.entra.governance.plugins.module_utils import auth\n"
        "module_seconds = time.perf_counter() - started\n"
        "started = time.perf_counter()\n"
        "auth.msal_library()\n"
        "print(module_seconds, time.perf_counter() - started)\n"
    )
    environment = dict(os.environ, PYTHONPATH=str(collections), PYTHONDONTWRITEBYTECODE="1")
    samples = []
    for _attempt in range(5):
        output = run_tool([sys.executable, "-c", code], env=environment).stdout.split()
        samples.append((float(output[0]), float(output[1])))
    samples.sort()
    return samples[len(samples) // 2]


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="entra-benchmark-") as temporary:
        work_dir = Path(temporary)
        collections = args.collections_path or install_collection(work_dir)
        playbooks = {}
        for side, file_name, text in SIDES:
            playbooks[side] = work_dir / file_name
            playbooks[side].write_text(text)

        emulator = Emulator(str(work_dir / "emulator"))
        emulator.start()
        try:
            users, organizations = seed_benchmark(emulator)
            emulator.configure(latency=args.latency, page_size=PAGE_SIZE)
            # The latency switch delays Graph requests only; this fault delays every login request.
            emulator.add_fault(listener="login", action="delay", seconds=args.latency, count=10**9)

            print(
                "Latency %.0f ms per request; page size %d. Wall time of ansible-playbook."
                % (args.latency * 1000, PAGE_SIZE)
            )
            for name, prepare, extra_vars in scenarios(users, organizations):
                print("\n%s" % name)
                print(
                    "  %-26s %14s %14s %18s %10s"
                    % ("side", "Graph requests", "token requests", "discovery requests", "seconds")
                )
                results = {}
                for side, _file_name, _text in SIDES:
                    prepare(emulator)
                    results[side] = run_playbook(playbooks[side], extra_vars, emulator, collections, work_dir)
                    check_sponsors(emulator, extra_vars)
                    counts = results[side]
                    print(
                        "  %-26s %14d %14d %18d %10.2f"
                        % (side, counts["graph"], counts["token"], counts["discovery"], counts["seconds"])
                    )
                uri_seconds = results["ansible.builtin.uri"]["seconds"]
                for side in ("collection", "collection + graph_token"):
                    print("  uri time / %s time: %.1f" % (side, uri_seconds / results[side]["seconds"]))
        finally:
            emulator.stop()

        module_seconds, msal_seconds = measure_import_time(collections)
        print(
            "\nImport of connected_org_sponsor and its module_utils in a fresh Python: %.3f s; msal, imported "
            "only by a task that signs in through it, then takes %.3f s more" % (module_seconds, msal_seconds)
        )


if __name__ == "__main__":
    main()
