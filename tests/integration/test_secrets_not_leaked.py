"""No secret of any sign-in method appears in the output or the results of any module.

For each sign-in method (client secret, certificate with a password-protected key, and a
ready access token) the test runs one playbook at -vvvv with --diff. It calls every
module in plugins/modules once successfully and once failing: a Graph request refused
with 403, and for the methods that sign in, a token request refused by the login host.
Then it checks that no credential and no token that the emulator issued appears in
ansible-playbook's stdout and stderr or in any recorded task result, error messages
included. Ansible masks no_log values as ******** or VALUE_SPECIFIED_IN_NO_LOG_PARAMETER,
so the checks look for the raw values.
"""

import functools
import json
from pathlib import Path

import pytest
import requests
import yaml

import emulator_seed as seed  # tests/conftest.py puts tests/emulator on sys.path

pytestmark = pytest.mark.integration

MODULES_DIR = Path(__file__).resolve().parents[2] / "plugins" / "modules"
COLLECTION = "entra.governance"
CONNECTION = {
    "authority_host": "{{ emulator_login_url }}",
    "graph_endpoint": "{{ emulator_graph_url }}",
    "ca_path": "{{ emulator_ca_path }}",
}
SIGN_IN = {
    "secret": {
        "tenant_id": "{{ emulator_tenant_id }}",
        "client_id": "{{ emulator_client_id }}",
        "client_secret": "{{ emulator_client_secret }}",
    },
    "certificate": {
        "tenant_id": "{{ emulator_tenant_id }}",
        "client_id": "{{ emulator_client_id }}",
        "client_certificate_path": "{{ emulator_certificate_path }}",
        "client_certificate_password": "{{ emulator_certificate_password }}",
    },
    "token": {"access_token": "{{ secrets_test_access_token }}"},
}

# Arguments of one successful call of each module. Every module in plugins/modules must
# be listed, so that a new module cannot skip this test.
SUCCESS_ARGUMENTS = {
    "connected_org": [
        {"display_name": "Secrets test organization", "identity_source": {"domain_name": "secrets.example"}},
        {"display_name": "Secrets test organization", "state": "absent"},
    ],
    "connected_org_info": [{"connected_organization": "Fabrikam"}],
    "connected_org_sponsor": [
        {"connected_organization": "Fabrikam", "users": [seed.GRACE]},
        {"connected_organization": "Fabrikam", "users": [seed.GRACE], "state": "absent"},
    ],
    "connected_org_sponsor_info": [{"connected_organization": "Fabrikam"}],
    "graph_auth_info": [{}],
}
# Modules that send no request to Graph, so a Graph fault cannot make them fail.
NO_GRAPH_REQUESTS = {"graph_auth_info"}


def discovered_modules():
    return sorted(path.stem for path in MODULES_DIR.glob("*.py") if not path.name.startswith("_"))


def control_task(name, method, path, body=None):
    task = {
        "name": name,
        "ansible.builtin.uri": {
            "url": "{{ emulator_control_url }}%s" % path,
            "method": method,
            "ca_path": "{{ emulator_ca_path }}",
            "status_code": [200, 201, 204],
        },
    }
    if body is not None:
        task["ansible.builtin.uri"].update({"body_format": "json", "body": body})
    return task


def build_tasks(method):
    """Return the playbook's tasks and the expected status of each module task by name."""
    tasks = []
    expected = {}
    for module in discovered_modules():
        for index, arguments in enumerate(SUCCESS_ARGUMENTS[module]):
            name = "%s succeeds (%d)" % (module, index)
            tasks.append({"name": name, "%s.%s" % (COLLECTION, module): arguments, "ignore_errors": True})
            expected[name] = "ok"
        failing_arguments = SUCCESS_ARGUMENTS[module][0]

        if module not in NO_GRAPH_REQUESTS:
            tasks.append(
                control_task(
                    "Reject the next Graph request of %s" % module,
                    "POST",
                    "/faults",
                    {"status": 403, "code": "Authorization_RequestDenied", "count": 1},
                )
            )
            name = "%s fails on a refused Graph request" % module
            tasks.append({"name": name, "%s.%s" % (COLLECTION, module): failing_arguments, "ignore_errors": True})
            expected[name] = "ignored"

        if method != "token":
            tasks.append(
                control_task(
                    "Reject the next token request of %s" % module,
                    "POST",
                    "/faults",
                    {"listener": "login", "method": "POST", "path": "/token$", "status": 401, "count": 1},
                )
            )
            name = "%s fails to sign in" % module
            tasks.append({"name": name, "%s.%s" % (COLLECTION, module): failing_arguments, "ignore_errors": True})
            expected[name] = "ignored"
        tasks.append(control_task("Clear the faults left by %s" % module, "DELETE", "/faults"))
    return tasks, expected


def write_playbook(tmp_path, method):
    tasks, expected = build_tasks(method)
    defaults = dict(CONNECTION)
    defaults.update(SIGN_IN[method])
    play = {
        "name": "Run every module with %s sign-in" % method,
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/entra.governance.graph": defaults},
        "tasks": tasks,
    }
    path = tmp_path / ("secrets-%s.yml" % method)
    path.write_text(yaml.safe_dump([play], sort_keys=False, allow_unicode=True))
    return path, expected


def request_token(emulator):
    """Request an access token from the emulator's login host, as a caller of access_token would."""
    info = emulator.info
    session = requests.Session()
    post = functools.partial(session.post, verify=info["ca_path"], timeout=30)
    response = post(
        "%s/%s/oauth2/v2.0/token" % (info["login_url"], info["tenant_id"]),
        data={
            "grant_type": "client_credentials",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "scope": "%s/.default" % info["graph_url"],
        },
    )
    response.raise_for_status()
    return response.json()["access_token"]


def test_every_module_listed():
    assert sorted(SUCCESS_ARGUMENTS) == discovered_modules()


@pytest.mark.parametrize("method", sorted(SIGN_IN))
def test_no_secret_in_output(run_playbook, emulator, tmp_path, method):
    extra_vars = {}
    if method == "token":
        extra_vars["secrets_test_access_token"] = request_token(emulator)
    playbook, expected = write_playbook(tmp_path, method)

    run = run_playbook(playbook, extra_vars=extra_vars, diff=True, verbosity=4)

    assert run.rc == 0, run.describe()
    statuses = dict((entry["task"], entry["status"]) for entry in run.results)
    for name, status in expected.items():
        assert statuses.get(name) == status, "task %r: %s\n%s" % (name, statuses.get(name), run.describe())
    # -vvvv prints the arguments of each module, with the no_log ones masked.
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.output

    secrets = [emulator.info["client_secret"], emulator.info["certificate_password"]]
    secrets += [emulator.info[key] for key in ("identity_header",) if emulator.info.get(key)]
    issued = list(emulator.tenant.tokens)
    secrets += issued + list(extra_vars.values())
    if method != "token":
        # Each module run that signed in got its own token.
        token_count = len(issued)
        assert token_count >= len(SUCCESS_ARGUMENTS)
    recorded = json.dumps(run.results)
    for value in secrets:
        assert len(value) >= 8
        assert value not in run.stdout, "a secret value appears in stdout"
        assert value not in run.stderr, "a secret value appears in stderr"
        assert value not in recorded, "a secret value appears in a task result"
