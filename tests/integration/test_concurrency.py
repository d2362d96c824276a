"""Many ansible-playbook processes changing the sponsors of one connected organization at once.

Each test starts every process before it waits for any, against one emulator, then
checks that no run failed, that the sponsor list is exactly what the runs requested
together, and that each change was reported by exactly one run.
"""

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

import emulator_seed as seed  # tests/conftest.py puts tests/emulator on sys.path

pytestmark = pytest.mark.integration

MODULE = "entra.governance.connected_org_sponsor"
TASK = "Converge the internal sponsors of Fabrikam"
INTEGRATION_DIR = Path(__file__).resolve().parent
CALLBACK_DIR = INTEGRATION_DIR / "callback_plugins"
VENV_BIN = Path(sys.executable).parent
GRAPH_DEFAULTS = {
    "tenant_id": "{{ emulator_tenant_id }}",
    "client_id": "{{ emulator_client_id }}",
    "client_secret": "{{ emulator_client_secret }}",
    "authority_host": "{{ emulator_login_url }}",
    "graph_endpoint": "{{ emulator_graph_url }}",
    "ca_path": "{{ emulator_ca_path }}",
}

# Users that the runs add, none of them a sponsor of Fabrikam in the seed (which has Ada).
POOL = [
    seed.GRACE,
    seed.ALAN,
    seed.KATHERINE,
    seed.EDSGER,
    seed.BARBARA,
    seed.DONALD,
    seed.MARGARET,
    seed.TIM,
    seed.RADIA,
]
PARALLEL_RUNS = 20
# Seconds all runs of one test may take together. On an idle machine with 2 cores, the 20
# runs of test_overlapping_lists_converge took 25 s; the limit only stops runs that hang.
ALL_RUNS_TIMEOUT = 240


class Launch:
    """One ansible-playbook process and the files of its run."""

    def __init__(self, process, run_dir, command):
        self.process = process
        self.run_dir = run_dir
        self.command = command
        self.stdout = ""
        self.stderr = ""

    def results(self):
        path = self.run_dir / "results.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def describe(self):
        return "command: %s\nexit status: %s\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.command),
            self.process.returncode,
            self.stdout[-3000:],
            self.stderr[-2000:],
        )


def environment(tmp_path, collections_path, results_file):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ANSIBLE_", "AZURE_", "ARM_")) and name != "PYTHONPATH"
    }
    env.update(
        {
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
            "ANSIBLE_CALLBACKS_ENABLED": "result_recorder",
            "ENTRA_TEST_RESULTS_FILE": str(results_file),
        }
    )
    return env


def launch(tmp_path, collections_path, index, arguments, check=False):
    """Write a one-task playbook with these module arguments and start ansible-playbook on it.

    With ``check``, the run has ``--check``.
    """
    run_dir = tmp_path / ("run-%02d" % index)
    run_dir.mkdir()
    play = {
        "name": "Parallel run %d" % index,
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/entra.governance.graph": GRAPH_DEFAULTS},
        "tasks": [{"name": TASK, MODULE: dict(connected_organization="Fabrikam", **arguments)}],
    }
    playbook = run_dir / "playbook.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    command = [
        str(VENV_BIN / "ansible-playbook"),
        str(playbook),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        "@%s" % (tmp_path / "emulator" / "vars.yml"),
        "-e",
        json.dumps({"ansible_python_interpreter": sys.executable}),
    ]
    if check:
        command.append("--check")
    process = subprocess.Popen(
        command,
        env=environment(tmp_path, collections_path, run_dir / "results.jsonl"),
        cwd=str(run_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Launch(process, run_dir, command)


def run_all(tmp_path, collections_path, argument_sets, check_runs=()):
    """Start one run per argument set, wait for all of them, and return the task results in order.

    The runs whose index is in ``check_runs`` run in check mode.
    """
    started = time.monotonic()
    launches = [
        launch(tmp_path, collections_path, index, arguments, check=index in check_runs)
        for index, arguments in enumerate(argument_sets)
    ]
    deadline = started + ALL_RUNS_TIMEOUT
    try:
        for item in launches:
            item.stdout, item.stderr = item.process.communicate(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        for item in launches:
            if item.process.poll() is None:
                item.process.kill()
                item.process.communicate()
        pytest.fail("%d parallel runs did not finish within %d s" % (len(launches), ALL_RUNS_TIMEOUT))
    elapsed = time.monotonic() - started
    print("%d parallel runs took %.1f s" % (len(launches), elapsed))

    results = []
    for item in launches:
        assert item.process.returncode == 0, item.describe()
        entries = [entry for entry in item.results() if entry["task"] == TASK]
        assert len(entries) == 1, item.describe()
        assert entries[0]["status"] == "ok", item.describe()
        results.append(entries[0]["result"])
    return results


def test_overlapping_lists_converge(collections_path, emulator, tmp_path):
    argument_sets = []
    for index in range(PARALLEL_RUNS):
        users = [POOL[index % len(POOL)], POOL[(index + 1) % len(POOL)], POOL[(index + 4) % len(POOL)]]
        argument_sets.append({"users": users})
    requested = set(user for arguments in argument_sets for user in arguments["users"])

    results = run_all(tmp_path, collections_path, argument_sets)

    assert sorted(emulator.organization(seed.FABRIKAM)["internalSponsors"]) == sorted(requested | {seed.ADA})
    additions = Counter(object_id for result in results for object_id in result["added"])
    # Every new sponsor was reported as added by exactly one run; the others found it there.
    assert sorted(additions) == sorted(requested)
    assert set(additions.values()) == {1}
    for result in results:
        assert result["removed"] == []
        assert result["changed"] is bool(result["added"])


def test_parallel_adds_and_removes(collections_path, emulator, tmp_path):
    to_remove = POOL[:5]
    to_add = POOL[5:] + [seed.OBRIEN, seed.LI_NA]
    emulator.set_sponsors(seed.FABRIKAM, "internal", [seed.ADA] + to_remove)
    argument_sets = [{"users": [object_id], "state": "absent"} for object_id in to_remove]
    argument_sets += [{"users": [object_id]} for object_id in to_add]
    # Runs that repeat an addition of another run, so that adds of one user race too.
    argument_sets += [{"users": [object_id, seed.ADA]} for object_id in to_add[:3]]

    results = run_all(tmp_path, collections_path, argument_sets)

    expected = sorted([seed.ADA] + to_add)
    assert sorted(emulator.organization(seed.FABRIKAM)["internalSponsors"]) == expected
    removals = Counter(object_id for result in results for object_id in result["removed"])
    additions = Counter(object_id for result in results for object_id in result["added"])
    assert removals == Counter(to_remove)
    assert additions == Counter(to_add)


def test_check_mode_beside_removals(collections_path, emulator, tmp_path):
    # With one sponsor per page, each removal can make another run's listing skip a sponsor.
    emulator.configure(page_size=1)
    start = [seed.ADA] + POOL + [seed.OBRIEN, seed.LI_NA]
    to_remove, untouched = start[:8], start[8:]
    emulator.set_sponsors(seed.FABRIKAM, "internal", start)
    argument_sets = []
    for index, object_id in enumerate(to_remove):
        argument_sets.append({"users": [object_id], "state": "absent"})
        argument_sets.append({"users": [untouched[index % len(untouched)]]})
    check_runs = set(range(1, len(argument_sets), 2))

    results = run_all(tmp_path, collections_path, argument_sets, check_runs)

    assert sorted(emulator.organization(seed.FABRIKAM)["internalSponsors"]) == sorted(untouched)
    for index, result in enumerate(results):
        if index in check_runs:
            # A real run would add nothing: every sponsor these runs request stays in place.
            assert (result["changed"], result["added"], result["removed"]) == (False, [], []), index
        else:
            assert result["removed"] == argument_sets[index]["users"], index
