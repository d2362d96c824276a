# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""National clouds of Microsoft Entra ID and Microsoft Graph.

For use by this collection only; not a public API.

A token from one cloud is refused by another, so the login host, the Graph host, the
token scope and the host in ``@odata.id`` references are all derived from one setting.
Source: https://learn.microsoft.com/graph/deployments
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, this keeps the import sanity test quiet
    from urlparse import urlsplit

from ansible_collections.entra.governance.plugins.module_utils.errors import AuthError, InvalidInputError

CLOUDS = {
    "public": {"login_host": "login.microsoftonline.com", "graph_host": "graph.microsoft.com"},
    "usgov": {"login_host": "login.microsoftonline.us", "graph_host": "graph.microsoft.us"},
    "usgov_dod": {"login_host": "login.microsoftonline.us", "graph_host": "dod-graph.microsoft.us"},
    "china": {"login_host": "login.chinacloudapi.cn", "graph_host": "microsoftgraph.chinacloudapi.cn"},
}

KNOWN_LOGIN_HOSTS = frozenset(cloud["login_host"] for cloud in CLOUDS.values())

# The value of the cloud option that reads the cloud from the tenant's OpenID metadata.
AUTO_CLOUD = "auto"

# The tenant's OpenID metadata names its Graph host in ``msgraph_host``. The Graph host
# identifies the cloud, because the two US Government clouds share one login host.
CLOUD_BY_GRAPH_HOST = dict((hosts["graph_host"], name) for name, hosts in CLOUDS.items())


def discover_cloud(login_url, tenant_id, session):
    """Return the cloud of ``tenant_id`` from its OpenID metadata at ``login_url``.

    Entra ID's metadata document contains ``cloud_instance_name`` and ``msgraph_host``,
    which name the cloud the tenant lives in, whichever login host serves the document.
    NOTE: whether login.microsoftonline.com serves the document of a tenant of the China
    cloud is not documented; set cloud to china for such a tenant.
    """
    if not tenant_id:
        raise InvalidInputError("Missing tenant_id: cloud auto reads the cloud from the tenant's OpenID metadata.")
    url = "%s/%s/v2.0/.well-known/openid-configuration" % (login_url, tenant_id)
    try:
        response = session.request("GET", url)
        metadata = response.json() if response.status_code == 200 else None
    except ValueError:
        metadata = None
    except Exception as exc:  # requests' exceptions; this module does not import requests
        raise AuthError("Failed to read the cloud of tenant '%s' from %s: %s" % (tenant_id, url, exc))
    if not isinstance(metadata, dict):
        raise AuthError(
            "Failed to read the cloud of tenant '%s': %s returned HTTP %s instead of the OpenID metadata; check "
            "tenant_id, or set cloud." % (tenant_id, url, getattr(response, "status_code", "?"))
        )
    graph_host = str(metadata.get("msgraph_host") or "").lower()
    cloud = CLOUD_BY_GRAPH_HOST.get(graph_host)
    if cloud is None:
        raise InvalidInputError(
            "Invalid cloud auto: the OpenID metadata of tenant '%s' names the Graph host '%s' (cloud instance "
            "'%s'), which is not one of the clouds %s; set cloud and, if needed, graph_endpoint."
            % (tenant_id, graph_host, metadata.get("cloud_instance_name"), ", ".join(sorted(CLOUDS)))
        )
    return cloud


def normalize_https_url(option, value):
    """Return ``value`` as ``https://host[:port]`` without a trailing slash.

    A bare host name gets ``https://`` in front, as the Azure SDKs do for
    ``AZURE_AUTHORITY_HOST``. Any other scheme, a path, a query or user information is
    rejected, because a token must never be sent in clear text or to a place the user
    did not name.
    """
    text = (value or "").strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() != "https":
        raise InvalidInputError(
            "Invalid %s '%s': only https:// URLs are accepted, because tokens are sent to this host." % (option, value)
        )
    if not parts.hostname:
        raise InvalidInputError("Invalid %s '%s': the URL has no host name." % (option, value))
    if parts.username or parts.password or parts.query or parts.fragment or parts.path.strip("/"):
        raise InvalidInputError(
            "Invalid %s '%s': give only scheme, host and optional port, such as https://graph.microsoft.com."
            % (option, value)
        )
    return "https://" + parts.netloc.lower()


class Endpoints(object):
    """The login authority, Graph base URL and token scope of one cloud.

    ``authority_host`` and ``graph_endpoint`` override the cloud's hosts, for private
    endpoints and the local emulator; the scope and ``@odata.id`` references follow the
    Graph endpoint in use.
    """

    def __init__(self, cloud="public", authority_host=None, graph_endpoint=None, api_version="v1.0"):
        if cloud not in CLOUDS:
            raise InvalidInputError("Invalid cloud '%s': expected one of %s." % (cloud, ", ".join(sorted(CLOUDS))))
        hosts = CLOUDS[cloud]
        self.cloud = cloud
        self.login_url = normalize_https_url("authority_host", authority_host or hosts["login_host"])
        self.graph_url = normalize_https_url("graph_endpoint", graph_endpoint or hosts["graph_host"])
        self.api_version = api_version

    @property
    def login_host(self):
        return urlsplit(self.login_url).netloc

    @property
    def graph_host(self):
        return urlsplit(self.graph_url).netloc

    @property
    def needs_instance_discovery(self):
        """Tell whether msal may validate the login host with Microsoft's discovery service.

        msal sends any login host it does not know to login.microsoftonline.com for
        validation. That cannot work for a private or local endpoint, so the step is skipped
        for those.
        """
        return urlsplit(self.login_url).hostname in KNOWN_LOGIN_HOSTS

    def authority(self, tenant_id):
        return "%s/%s" % (self.login_url, tenant_id)

    @property
    def scope(self):
        return "%s/.default" % self.graph_url

    @property
    def api_root(self):
        return "%s/%s" % (self.graph_url, self.api_version)

    def object_reference(self, collection, object_id):
        """Build the ``@odata.id`` of a user or group, on this cloud's Graph host."""
        return "%s/%s/%s" % (self.api_root, collection, object_id)
