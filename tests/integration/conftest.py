"""Fixtures that run the collection through ansible-playbook against the local Graph emulator.

The tests use the installed collection, not the working tree: ENTRA_COLLECTIONS_PATH
names a collections directory that contains ansible_collections/entra/governance
(scripts/test sets it to .build/collections). Without it, the session builds and installs
the collection from this repository into a temporary directory first.

Run one target with, for example, ``pytest tests/integration -k cycle``.

ansible-playbook, ansible-galaxy and the Python that runs the module on localhost all
come from the venv that runs pytest, so that venv needs ansible-core, msal and requests.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

INTEGRATION_DIR = Path(__file__).resolve().parent
REPO_ROOT = INTEGRATION_DIR.parent.parent
TARGETS_DIR = INTEGRATION_DIR / "targets"
CALLBACK_DIR = INTEGRATION_DIR / "callback_plugins"
# The venv's bin directory, found without resolving symlinks: the venv's python is often
# a symlink to the system interpreter, whose bin directory has no ansible-playbook.
VENV_BIN = Path(sys.executable).parent

# Folder under each test's tmp_path with the emulator's state: its CA, certificates and the
# vars.yml that playbooks load.
EMULATOR_DIR_NAME = "emulator"

# Seconds one ansible-playbook or ansible-galaxy run may take before the test fails. A
# target takes 3 to 15 s on a developer machine, so the limit only stops a run that hangs.
COMMAND_TIMEOUT = 300

# Variables removed from the environment of every ansible command, so that a developer's
# Ansible configuration or real Azure credentials cannot change or leak into a test run.
# PYTHONPATH goes too: scripts/test points it at the working tree for the unit tests, and
# the integration tests must load the installed collection.
_STRIPPED_PREFIXES = ("ANSIBLE_", "AZURE_", "ARM_")
_STRIPPED_NAMES = ("PYTHONPATH",)

# The module options that connect a task to the emulator, as the generated playbook sets
# them once for the action group. Certificate tasks set client_secret to omit. A test can
# pick Graph's beta API with the extra variable integration_api_version.
GRAPH_DEFAULTS = {
    "tenant_id": "{{ emulator_tenant_id }}",
    "client_id": "{{ emulator_client_id }}",
    "client_secret": "{{ emulator_client_secret }}",
    "authority_host": "{{ emulator_login_url }}",
    "graph_endpoint": "{{ emulator_graph_url }}",
    "ca_path": "{{ emulator_ca_path }}",
    "api_version": "{{ integration_api_version | default(omit) }}",
}


class CommandError(AssertionError):
    """An ansible command the harness needs (build, install) failed."""


def _tool(name):
    path = VENV_BIN / name
    if not path.exists():
        raise CommandError(
            "%s not found next to %s; run pytest from a venv with ansible-core installed" % (name, sys.executable)
        )
    return str(path)


def ansible_environment(extra=None):
    """Return a clean environment for an ansible command, with ``extra`` applied last."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_STRIPPED_PREFIXES) and name not in _STRIPPED_NAMES
    }
    env.update(
        {
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        }
    )
    env.update(extra or {})
    return env


def _run_command(command, env, cwd, description):
    try:
        completed = subprocess.run(
            command, env=env, cwd=str(cwd), capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise CommandError(
            "%s timed out after %d s: %s\nstdout:\n%s\nstderr:\n%s"
            % (description, COMMAND_TIMEOUT, " ".join(command), exc.stdout, exc.stderr)
        ) from None
    if completed.returncode != 0:
        raise CommandError(
            "%s failed with exit status %d: %s\nstdout:\n%s\nstderr:\n%s"
            % (description, completed.returncode, " ".join(command), completed.stdout, completed.stderr)
        )
    return completed


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """Return a collections directory that contains the installed entra.governance collection."""
    configured = os.environ.get("ENTRA_COLLECTIONS_PATH")
    if configured:
        path = Path(configured).resolve()
        manifest = path / "ansible_collections" / "entra" / "governance" / "MANIFEST.json"
        if not manifest.is_file():
            pytest.fail(
                "ENTRA_COLLECTIONS_PATH=%s does not contain an installed entra.governance collection "
                "(%s is missing); run scripts/test, or unset the variable to let the tests build one."
                % (configured, manifest)
            )
        return path

    work = tmp_path_factory.mktemp("collection")
    dist = work / "dist"
    installed = work / "collections"
    env = ansible_environment({"ANSIBLE_HOME": str(work / "ansible-home"), "ANSIBLE_COLLECTIONS_PATH": str(installed)})
    _run_command(
        [_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist)],
        env,
        REPO_ROOT,
        "ansible-galaxy collection build",
    )
    artifacts = sorted(dist.glob("entra-governance-*.tar.gz"))
    if len(artifacts) != 1:
        raise CommandError(
            "ansible-galaxy collection build wrote %d artifacts to %s, expected one: %s"
            % (len(artifacts), dist, artifacts)
        )
    _run_command(
        [_tool("ansible-galaxy"), "collection", "install", "--force", "-p", str(installed), str(artifacts[0])],
        env,
        work,
        "ansible-galaxy collection install",
    )
    return installed


@pytest.fixture
def emulator(tmp_path):
    """Start a fresh Graph emulator with its state in ``tmp_path/emulator``; stop it after the test."""
    from graph_emulator import Emulator  # tests/conftest.py puts tests/emulator on sys.path

    state_dir = tmp_path / EMULATOR_DIR_NAME
    state_dir.mkdir()
    instance = Emulator(str(state_dir))
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


class PlaybookRun:
    """The outcome of one ansible-playbook run: exit status, output and recorded task results."""

    def __init__(self, command, rc, stdout, stderr, results):
        self.command = command
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        # One dict per task result, in run order: task, role, host, status, result.
        self.results = results

    @property
    def output(self):
        return self.stdout + self.stderr

    def task_results(self, task_name):
        """Return the results of every run of the task with this name, in run order."""
        return [entry for entry in self.results if entry["task"] == task_name]

    def result(self, task_name):
        """Return the result dict of the one run of the task with this name."""
        found = self.task_results(task_name)
        assert len(found) == 1, "expected one result of task %r, found %d\n%s" % (
            task_name,
            len(found),
            self.describe(),
        )
        return found[0]["result"]

    def failed_tasks(self):
        """Return the results of tasks that failed and were not ignored."""
        return [entry for entry in self.results if entry["status"] in ("failed", "unreachable")]

    def describe(self):
        """Summarize the run for an assertion message: command, exit status, failed tasks, output tail."""
        lines = ["command: %s" % " ".join(self.command), "exit status: %s" % self.rc]
        for entry in self.failed_tasks():
            lines.append("failed task %r: %s" % (entry["task"], entry["result"].get("msg")))
        lines.append("stdout (last 4000 characters):\n%s" % self.stdout[-4000:])
        lines.append("stderr (last 2000 characters):\n%s" % self.stderr[-2000:])
        return "\n".join(lines)


def write_target_playbook(path, target):
    """Write a one-play playbook that runs ``target`` with the connection options as module_defaults."""
    play = {
        "name": "Run integration target %s against the Graph emulator" % target,
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/entra.governance.graph": GRAPH_DEFAULTS},
        "roles": [target],
    }
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path


@pytest.fixture
def run_playbook(collections_path, emulator, tmp_path):
    """Return a function that runs a playbook or an integration target with ansible-playbook.

    ``run(playbook_or_target, extra_vars=None, check=False, diff=False, verbosity=0,
    env=None)`` takes a path to a playbook, or the name of a folder under
    tests/integration/targets, for which it writes a one-play playbook. The run loads the
    ``emulator`` fixture's vars.yml with ``-e``, and runs on localhost with the local
    connection and this venv's Python. ``env`` adds environment variables. Output comes
    from the default stdout callback, and the result_recorder callback records the task
    results. Returns a PlaybookRun.
    """
    counter = [0]

    def run(playbook_or_target, extra_vars=None, check=False, diff=False, verbosity=0, env=None):
        counter[0] += 1
        run_dir = tmp_path / ("run-%d" % counter[0])
        run_dir.mkdir()

        if (TARGETS_DIR / str(playbook_or_target)).is_dir():
            playbook = write_target_playbook(run_dir / "playbook.yml", str(playbook_or_target))
        else:
            playbook = Path(playbook_or_target)
            if not playbook.is_file():
                raise ValueError(
                    "%s is neither a playbook file nor a target under %s" % (playbook_or_target, TARGETS_DIR)
                )

        results_file = run_dir / "results.jsonl"
        command = [
            _tool("ansible-playbook"),
            str(playbook),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            "@%s" % (tmp_path / EMULATOR_DIR_NAME / "vars.yml"),
            "-e",
            json.dumps({"ansible_python_interpreter": sys.executable}),
        ]
        if extra_vars:
            # A file, not the command line, so that values (wrong secrets included) stay
            # out of the process list.
            extra_file = run_dir / "extra-vars.json"
            extra_file.write_text(json.dumps(extra_vars))
            extra_file.chmod(0o600)
            command += ["-e", "@%s" % extra_file]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)

        settings = {
            "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_ROLES_PATH": str(TARGETS_DIR),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
            "ANSIBLE_CALLBACKS_ENABLED": "result_recorder",
            "ENTRA_TEST_RESULTS_FILE": str(results_file),
        }
        settings.update(env or {})

        try:
            completed = subprocess.run(
                command,
                env=ansible_environment(settings),
                cwd=str(run_dir),
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(
                "ansible-playbook timed out after %d s: %s\nstdout:\n%s\nstderr:\n%s"
                % (COMMAND_TIMEOUT, " ".join(command), exc.stdout, exc.stderr)
            )

        results = []
        if results_file.exists():
            with results_file.open() as handle:
                results = [json.loads(line) for line in handle if line.strip()]
        return PlaybookRun(command, completed.returncode, completed.stdout, completed.stderr, results)

    return run
