#!/usr/bin/env python
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bootstrap pip in a venv of ansible-test without downloading get-pip.py.

ansible-test creates its venvs without pip and bootstraps pip with a get-pip.py script
that it downloads from Ansible's CI file host, unless a copy is cached at
``~/.ansible/test/cache/get_pip_<version>.py`` (pip 24.2: ``get_pip_24_2.py``).
scripts/test copies this file there. ansible-test runs it with the venv's interpreter
and pip's install arguments, for example
``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``.

This stand-in installs the pip that the interpreter bundles (``ensurepip``) and then lets
that pip install the requested packages, so it reaches the package index through the
machine's pip configuration (``PIP_*`` variables and pip.conf).
"""

import importlib.util
import subprocess
import sys

# get-pip.py options that `pip install` does not accept.
GET_PIP_OPTIONS = ("--no-setuptools", "--no-wheel")


def run(arguments):
    command = [sys.executable] + arguments
    status = subprocess.call(command)
    if status != 0:
        sys.exit("ansible-test-get-pip.py: '%s' failed with exit status %d" % (" ".join(command), status))


def main():
    requested = sys.argv[1:]
    had_setuptools = importlib.util.find_spec("setuptools") is not None

    # ensurepip runs in a child process because it deletes every PIP_* variable from
    # os.environ and points PIP_CONFIG_FILE at os.devnull. In this process, that would
    # hide the index and certificate settings from the `pip install` below.
    run(["-m", "ensurepip", "--upgrade", "--default-pip"])
    run(["-m", "pip", "install"] + [argument for argument in requested if argument not in GET_PIP_OPTIONS])

    # ensurepip of Python 3.11 and older also installs setuptools, which get-pip.py leaves
    # out when asked to.
    if "--no-setuptools" in requested and not had_setuptools:
        run(["-m", "pip", "uninstall", "--yes", "--quiet", "--disable-pip-version-check", "setuptools"])


if __name__ == "__main__":
    main()
