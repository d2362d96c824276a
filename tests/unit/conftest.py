# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared set-up for the unit tests."""

import os

import pytest
from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils.common import warnings as ansible_warnings

# Variables that select credentials, tenants or CA files. A CI job or an execution
# environment may set any of them, and the code under test reads them.
READ_FROM_ENVIRONMENT = ("AZURE_", "ARM_", "IDENTITY_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Remove the variables the code reads, so each test sets exactly the ones it needs."""
    for name in list(os.environ):
        if name.startswith(READ_FROM_ENVIRONMENT):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def module_side(monkeypatch):
    """Run module code as a module, even after a test imported controller code.

    Importing controller code (the lookup plugin's tests do) sets ansible-core's
    process-wide ``is_controller`` flag, after which module warnings go to the display
    instead of the module result.
    """
    monkeypatch.setattr(ansible_internal, "is_controller", False)


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Give each test its own warning list, because ansible-core keeps warnings in a process-wide global."""
    monkeypatch.setattr(ansible_warnings, "_global_warnings", {})
    monkeypatch.setattr(ansible_warnings, "_global_deprecations", {})
