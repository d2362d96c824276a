# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The connection and sign-in options every module of the collection shares.

For use by this collection only; not a public API.

The options are described once, in the ``entra.governance.graph`` doc fragment; this
file is their one argument spec. Keep the two in step.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.entra.governance.plugins.module_utils import auth as auth_methods
from ansible_collections.entra.governance.plugins.module_utils import graph as graph_client
from ansible_collections.entra.governance.plugins.module_utils.clouds import (
    AUTO_CLOUD,
    CLOUDS,
    Endpoints,
    discover_cloud,
)
from ansible_collections.entra.governance.plugins.module_utils.errors import InvalidInputError

# client_secret, client_certificate_path, client_certificate_password and
# federated_token_file have no env_fallback here on purpose: auth.select_auth() reads their variables itself, so that
# an option set in the task beats a variable, and mutually_exclusive below judges only
# what the task set.
GRAPH_ARGUMENT_SPEC = dict(
    tenant_id=dict(type="str", fallback=(env_fallback, list(auth_methods.TENANT_ID_VARIABLES))),
    client_id=dict(type="str", fallback=(env_fallback, list(auth_methods.CLIENT_ID_VARIABLES))),
    auth_method=dict(type="str", default="auto", choices=list(auth_methods.AUTH_METHODS)),
    client_secret=dict(type="str", no_log=True),
    client_certificate_path=dict(type="path", no_log=False),
    client_certificate_password=dict(type="str", no_log=True),
    access_token=dict(type="str", no_log=True),
    federated_token_file=dict(type="path"),
    managed_identity_client_id=dict(type="str"),
    managed_identity_object_id=dict(type="str"),
    managed_identity_resource_id=dict(type="str"),
    cloud=dict(type="str", default="public", choices=sorted(CLOUDS) + [AUTO_CLOUD]),
    authority_host=dict(type="str", fallback=(env_fallback, ["AZURE_AUTHORITY_HOST"])),
    graph_endpoint=dict(type="str"),
    api_version=dict(type="str", default="v1.0", choices=["v1.0", "beta"]),
    ca_path=dict(type="path"),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="int", default=30),
    max_retries=dict(type="int", default=graph_client.DEFAULT_MAX_RETRIES),
    max_retry_time=dict(type="int", default=int(graph_client.MAX_TOTAL_RETRY_DELAY)),
)

GRAPH_MUTUALLY_EXCLUSIVE = [
    ["access_token", "client_secret"],
    ["access_token", "client_certificate_path"],
    ["client_secret", "client_certificate_path"],
]


class GraphModule(AnsibleModule):
    """An AnsibleModule with the shared Graph options and a way to build a Graph client."""

    def __init__(self, argument_spec, mutually_exclusive=None, **kwargs):
        spec = dict(GRAPH_ARGUMENT_SPEC)
        spec.update(argument_spec)
        super(GraphModule, self).__init__(
            argument_spec=spec, mutually_exclusive=GRAPH_MUTUALLY_EXCLUSIVE + list(mutually_exclusive or []), **kwargs
        )
        if graph_client.REQUESTS_IMPORT_ERROR:
            self.fail_json(msg=missing_required_lib("requests"), exception=graph_client.REQUESTS_IMPORT_ERROR)
        needs_msal = not self.params.get("access_token") and self.params["auth_method"] not in (
            "access_token",
            "azure_cli",
        )
        if needs_msal and auth_methods.msal_library() is None:
            self.fail_json(msg=missing_required_lib("msal"), exception=auth_methods.MSAL_IMPORT_ERROR)

    def graph_client(self):
        """Check the connection options and build a GraphClient.

        Nothing is sent yet, except the request for the tenant's OpenID metadata with cloud auto.

        Raises InvalidInputError for options that cannot work.
        """
        params = self.params
        if params["timeout"] <= 0:
            raise InvalidInputError("Invalid timeout '%s': expected a positive number of seconds." % params["timeout"])
        if params["max_retries"] < 0:
            raise InvalidInputError(
                "Invalid max_retries '%s': expected 0 or a positive number of retries." % params["max_retries"]
            )
        if params["max_retry_time"] < 0:
            raise InvalidInputError(
                "Invalid max_retry_time '%s': expected 0 or a positive number of seconds." % params["max_retry_time"]
            )
        session = graph_client.build_session(params["ca_path"], params["validate_certs"], params["timeout"])
        auto_cloud = params["cloud"] == AUTO_CLOUD
        # With cloud auto, the options are checked against the public cloud's hosts first, so
        # that an invalid option fails before the metadata request.
        endpoints = Endpoints(
            "public" if auto_cloud else params["cloud"],
            params["authority_host"],
            params["graph_endpoint"],
            params["api_version"],
        )

        method, env_secrets = auth_methods.select_auth(
            params, endpoints, session, run_command=self.run_command, find_executable=self.get_bin_path
        )
        for value in env_secrets:
            self.no_log_values.add(value)
        self.auth_selection = method.selection
        method.validate()

        if auto_cloud:
            cloud = discover_cloud(endpoints.login_url, params["tenant_id"], session)
            endpoints = Endpoints(cloud, params["authority_host"], params["graph_endpoint"], params["api_version"])
            method.endpoints = endpoints
        if not params["validate_certs"]:
            self.warn(
                "validate_certs is false: the TLS certificates of %s and %s are not checked, so anyone on the "
                "network path can read the token." % (endpoints.login_host, endpoints.graph_host)
            )
        if method.method == "azure_cli":
            self.warn(auth_methods.AZURE_CLI_WARNING)
        return graph_client.GraphClient(
            endpoints,
            method,
            session,
            timeout=params["timeout"],
            log=self.log,
            max_retries=params["max_retries"],
            max_retry_time=params["max_retry_time"],
        )

    # Set by graph_client(): which sign-in method was used and why, without any value.
    auth_selection = None

    def _add_auth_selection(self, result):
        # Shown at -vvv only, so that everyday output stays as it was.
        if self.auth_selection and self._verbosity >= 3:
            result.setdefault("auth_selection", self.auth_selection)

    def exit_json(self, **result):
        self._add_auth_selection(result)
        super(GraphModule, self).exit_json(**result)

    def fail_json(self, msg, **result):
        self._add_auth_selection(result)
        super(GraphModule, self).fail_json(msg, **result)

    def fail_from_error(self, error, **result):
        """Fail the module with an EntraGovernanceError's message and facts."""
        result.update(error.to_result())
        self.fail_json(msg=str(error), **result)
