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
from ansible_collections.entra.governance.plugins.module_utils.clouds import CLOUDS, Endpoints
from ansible_collections.entra.governance.plugins.module_utils.errors import InvalidInputError


# client_secret, client_certificate_path and client_certificate_password have no
# env_fallback here on purpose: auth.select_auth() reads their variables itself, so that
# an option set in the task beats a variable, and mutually_exclusive below judges only
# what the task set.
GRAPH_ARGUMENT_SPEC = dict(
    tenant_id=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT_ID", "AZURE_TENANT"])),
    client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
    client_secret=dict(type="str", no_log=True),
    client_certificate_path=dict(type="path", no_log=False),
    client_certificate_password=dict(type="str", no_log=True),
    access_token=dict(type="str", no_log=True),
    cloud=dict(type="str", default="public", choices=sorted(CLOUDS)),
    authority_host=dict(type="str", fallback=(env_fallback, ["AZURE_AUTHORITY_HOST"])),
    graph_endpoint=dict(type="str"),
    api_version=dict(type="str", default="v1.0", choices=["v1.0", "beta"]),
    ca_path=dict(type="path"),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="int", default=30),
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
            argument_spec=spec,
            mutually_exclusive=GRAPH_MUTUALLY_EXCLUSIVE + list(mutually_exclusive or []),
            **kwargs
        )
        if graph_client.REQUESTS_IMPORT_ERROR:
            self.fail_json(msg=missing_required_lib("requests"), exception=graph_client.REQUESTS_IMPORT_ERROR)
        if auth_methods.MSAL_IMPORT_ERROR and not self.params.get("access_token"):
            self.fail_json(msg=missing_required_lib("msal"), exception=auth_methods.MSAL_IMPORT_ERROR)

    def graph_client(self):
        """Check the connection options and build a GraphClient; nothing is sent yet.

        Raises InvalidInputError for options that cannot work.
        """
        params = self.params
        if params["timeout"] <= 0:
            raise InvalidInputError("Invalid timeout '%s': expected a positive number of seconds." % params["timeout"])
        endpoints = Endpoints(params["cloud"], params["authority_host"], params["graph_endpoint"],
                              params["api_version"])
        if not params["validate_certs"]:
            self.warn("validate_certs is false: the TLS certificates of %s and %s are not checked, so anyone on the "
                      "network path can read the token." % (endpoints.login_host, endpoints.graph_host))
        session = graph_client.build_session(params["ca_path"], params["validate_certs"], params["timeout"])

        method, env_secrets = auth_methods.select_auth(params, endpoints, session)
        for value in env_secrets:
            self.no_log_values.add(value)
        method.validate()
        return graph_client.GraphClient(endpoints, method, session, timeout=params["timeout"], log=self.log)

    def fail_from_error(self, error, **result):
        """Fail the module with an EntraGovernanceError's message and facts."""
        result.update(error.to_result())
        self.fail_json(msg=str(error), **result)

