"""Shared pytest set-up for every test under tests/."""

import os
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
INTEGRATION_DIR = os.path.join(TESTS_DIR, "integration")

# The Graph emulator is a folder of plain modules, not a package, so tests
# import it as `from graph_emulator import Emulator`.
EMULATOR_DIR = os.path.join(TESTS_DIR, "emulator")
if EMULATOR_DIR not in sys.path:
    sys.path.insert(0, EMULATOR_DIR)


def pytest_collection_modifyitems(items):
    """Mark every test under tests/integration/ as `integration`, so `-m "not integration"` skips them."""
    for item in items:
        if os.path.commonpath([str(item.path), INTEGRATION_DIR]) == INTEGRATION_DIR:
            item.add_marker(pytest.mark.integration)
