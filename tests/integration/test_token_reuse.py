"""Sign in once per play with the graph_token lookup, and count the requests of a task, through ansible-playbook."""

import pytest
import yaml

import emulator_seed as seed  # tests/conftest.py puts tests/emulator on sys.path

pytestmark = pytest.mark.integration

CONNECTION = {
    "tenant_id": "{{ emulator_tenant_id }}",
    "client_id": "{{ emulator_client_id }}",
    "client_secret": "{{ emulator_client_secret }}",
    "authority_host": "{{ emulator_login_url }}",
    "graph_endpoint": "{{ emulator_graph_url }}",
    "ca_path": "{{ emulator_ca_path }}",
}


def sponsor_task(name, users):
    return {
        "name": name,
        "entra.governance.connected_org_sponsor": {"connected_organization": seed.FABRIKAM, "users": users},
    }


def write_playbook(path):
    play = {
        "name": "Sign in once and manage sponsors with the token",
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {"entra_connection": CONNECTION},
        "tasks": [
            {
                "name": "Sign in once",
                "ansible.builtin.set_fact": {
                    "entra_access_token": "{{ lookup('entra.governance.graph_token', **entra_connection) }}"
                },
                "no_log": True,
            },
            {
                "name": "Manage sponsors with the token",
                "module_defaults": {
                    "group/entra.governance.graph": {
                        "access_token": "{{ entra_access_token }}",
                        "graph_endpoint": "{{ emulator_graph_url }}",
                        "ca_path": "{{ emulator_ca_path }}",
                    }
                },
                "block": [
                    sponsor_task("Keep Ada", [seed.ADA]),
                    sponsor_task("Add Grace", [seed.GRACE]),
                ],
            },
        ],
    }
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path


def test_token_reuse_signs_in_once(emulator, run_playbook, tmp_path):
    emulator.set_sponsors(seed.FABRIKAM, "internal", [seed.ADA])
    emulator.clear_requests()

    run = run_playbook(write_playbook(tmp_path / "token-reuse.yml"))

    assert run.rc == 0, run.describe()
    log = emulator.requests()
    login = [entry for entry in log if entry["listener"] == "login"]
    tokens = [entry for entry in login if entry["path"].endswith("/oauth2/v2.0/token")]
    assert len(tokens) == 1
    assert len(login) == 2  # the OpenID discovery and the token request
    assert run.result("Keep Ada")["changed"] is False
    assert run.result("Add Grace")["changed"] is True
    assert sorted(emulator.organization(seed.FABRIKAM)["internalSponsors"]) == sorted([seed.ADA, seed.GRACE])
    assert emulator.client_secret not in run.output


def test_unchanged_task_is_one_graph_request(emulator, run_playbook, tmp_path):
    emulator.set_sponsors(seed.FABRIKAM, "internal", [seed.ADA, seed.GRACE])
    emulator.clear_requests()

    run = run_playbook(write_playbook(tmp_path / "token-reuse.yml"))

    assert run.rc == 0, run.describe()
    graph = [entry for entry in emulator.requests() if entry["listener"] == "graph" and "batch_id" not in entry]
    # Two tasks, neither of which changes anything: one JSON batch each.
    assert [entry["path"] for entry in graph] == ["/v1.0/$batch", "/v1.0/$batch"]
    assert run.result("Keep Ada")["changed"] is False
    assert run.result("Add Grace")["changed"] is False
