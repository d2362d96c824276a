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

from ansible_collections.entra.governance.plugins.module_utils.errors import InvalidInputError


CLOUDS = {
    "public": {"login_host": "login.microsoftonline.com", "graph_host": "graph.microsoft.com"},
    "usgov": {"login_host": "login.microsoftonline.us", "graph_host": "graph.microsoft.us"},
    "usgov_dod": {"login_host": "login.microsoftonline.us", "graph_host": "dod-graph.microsoft.us"},
    "china": {"login_host": "login.chinacloudapi.cn", "graph_host": "microsoftgraph.chinacloudapi.cn"},
}

KNOWN_LOGIN_HOSTS = frozenset(cloud["login_host"] for cloud in CLOUDS.values())


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
            "Invalid %s '%s': only https:// URLs are accepted, because tokens are sent to this host." % (option, value))
    if not parts.hostname:
        raise InvalidInputError("Invalid %s '%s': the URL has no host name." % (option, value))
    if parts.username or parts.password or parts.query or parts.fragment or parts.path.strip("/"):
        raise InvalidInputError(
            "Invalid %s '%s': give only scheme, host and optional port, such as https://graph.microsoft.com."
            % (option, value))
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
