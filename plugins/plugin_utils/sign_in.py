# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Sign-in on the controller for the graph_token lookup.

For use by this collection only; not a public API. Kept apart from the lookup so that it
can be tested without importing Ansible's plugin machinery.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil
import subprocess

from ansible_collections.entra.governance.plugins.module_utils import auth as auth_methods
from ansible_collections.entra.governance.plugins.module_utils import graph as graph_client
from ansible_collections.entra.governance.plugins.module_utils.clouds import Endpoints
from ansible_collections.entra.governance.plugins.module_utils.common import GRAPH_ARGUMENT_SPEC
from ansible_collections.entra.governance.plugins.module_utils.errors import InvalidInputError


def graph_token_params(get_option, environ):
    """Read every shared connection option, applying the environment fallbacks of GRAPH_ARGUMENT_SPEC."""
    params = {}
    for name, spec in GRAPH_ARGUMENT_SPEC.items():
        value = get_option(name)
        fallback = spec.get("fallback")
        if value is None and fallback:
            for variable in fallback[1]:
                if environ.get(variable):
                    value = environ[variable]
                    break
        params[name] = value
    return params


def run_command(command):
    """Run a command without a shell and return ``(return code, stdout, stderr)``, like AnsibleModule.run_command."""
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    return completed.returncode, completed.stdout, completed.stderr


def sign_in(params, environ=None, warn=None):
    """Sign in with ``params`` and return the access token. Raises EntraGovernanceError on failure.

    ``warn`` receives the warnings a module would show, such as the one for the Azure CLI.
    """
    if graph_client.REQUESTS_IMPORT_ERROR:
        raise InvalidInputError("The requests Python library is required on the controller for graph_token.")
    if params["timeout"] is not None and params["timeout"] <= 0:
        raise InvalidInputError("Invalid timeout '%s': expected a positive number of seconds." % params["timeout"])
    endpoints = Endpoints(params["cloud"], params["authority_host"], params["graph_endpoint"], params["api_version"])
    session = graph_client.build_session(params["ca_path"], params["validate_certs"], params["timeout"])
    method, _env_secrets = auth_methods.select_auth(
        params, endpoints, session, environ=environ, run_command=run_command, find_executable=shutil.which
    )
    method.validate()
    if method.method == "azure_cli" and warn is not None:
        warn(auth_methods.AZURE_CLI_WARNING)
    return method.get_token()
