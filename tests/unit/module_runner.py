# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers that run a module's main() in a unit test, optionally against a FakeGraph."""

import collections
import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.entra.governance.plugins.module_utils import common
from ansible_collections.entra.governance.tests.unit.fake_graph import GRAPH_URL, LOGIN_URL, FakeSession, make_client

TENANT = "00000000-0000-0000-0000-00000000000a"
CLIENT = "00000000-0000-0000-0000-00000000000c"
SECRET = "s3cr3t-value~not-for-output"
# Connection options that sign in with a client secret on the fake login and Graph hosts.
CONNECTION = {
    "tenant_id": TENANT,
    "client_id": CLIENT,
    "client_secret": SECRET,
    "authority_host": LOGIN_URL,
    "graph_endpoint": GRAPH_URL,
}

# The exit code, the parsed JSON result and the raw output of one run, and the FakeSession it used.
ModuleRun = collections.namedtuple("ModuleRun", "exit_code result output session")


def run_module(main, capsys, args, session=None):
    """Run a module's ``main`` with these arguments and return a ModuleRun."""
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        main()
    output = capsys.readouterr().out
    return ModuleRun(exited.value.code, json.loads(output), output, session)


def run_on_fake_graph(main, capsys, monkeypatch, fake, **options):
    """Run a module's ``main`` against the FakeGraph ``fake`` with CONNECTION and ``options``."""
    session = FakeSession(handler=fake)
    monkeypatch.setattr(common.GraphModule, "graph_client", lambda module: make_client(session))
    args = dict(CONNECTION)
    args.update(options)
    return run_module(main, capsys, args, session)
