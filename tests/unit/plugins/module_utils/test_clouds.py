# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.entra.governance.plugins.module_utils.clouds import Endpoints, normalize_https_url
from ansible_collections.entra.governance.plugins.module_utils.errors import InvalidInputError

TENANT = "00000000-0000-0000-0000-00000000000a"
OBJECT_ID = "00000000-0000-0000-0000-0000000000b1"

# cloud, login host, Graph host (the hosts of https://learn.microsoft.com/graph/deployments)
CLOUDS = [
    ("public", "login.microsoftonline.com", "graph.microsoft.com"),
    ("usgov", "login.microsoftonline.us", "graph.microsoft.us"),
    ("usgov_dod", "login.microsoftonline.us", "dod-graph.microsoft.us"),
    ("china", "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn"),
]


@pytest.mark.parametrize("cloud, login_host, graph_host", CLOUDS)
def test_cloud_authority(cloud, login_host, graph_host):
    assert Endpoints(cloud).authority(TENANT) == f"https://{login_host}/{TENANT}"


@pytest.mark.parametrize("cloud, login_host, graph_host", CLOUDS)
def test_cloud_scope(cloud, login_host, graph_host):
    assert Endpoints(cloud).scope == f"https://{graph_host}/.default"


@pytest.mark.parametrize("cloud, login_host, graph_host", CLOUDS)
def test_cloud_api_root(cloud, login_host, graph_host):
    assert Endpoints(cloud).api_root == f"https://{graph_host}/v1.0"


@pytest.mark.parametrize("cloud, login_host, graph_host", CLOUDS)
def test_cloud_object_reference(cloud, login_host, graph_host):
    reference = Endpoints(cloud).object_reference("groups", OBJECT_ID)

    assert reference == f"https://{graph_host}/v1.0/groups/{OBJECT_ID}"


@pytest.mark.parametrize("cloud, login_host, graph_host", CLOUDS)
def test_cloud_discovery_known_host(cloud, login_host, graph_host):
    assert Endpoints(cloud).needs_instance_discovery is True


def test_default_cloud_public():
    endpoints = Endpoints()

    assert endpoints.login_host == "login.microsoftonline.com"
    assert endpoints.graph_host == "graph.microsoft.com"


def test_unknown_cloud_rejected():
    with pytest.raises(InvalidInputError) as caught:
        Endpoints("azurecloud")

    assert str(caught.value) == "Invalid cloud 'azurecloud': expected one of china, public, usgov, usgov_dod."


def test_overrides_replace_hosts():
    endpoints = Endpoints("usgov", authority_host="https://127.0.0.1:8443", graph_endpoint="https://127.0.0.1:9443")

    assert endpoints.authority(TENANT) == f"https://127.0.0.1:8443/{TENANT}"
    assert endpoints.api_root == "https://127.0.0.1:9443/v1.0"


def test_override_sets_scope():
    endpoints = Endpoints("public", graph_endpoint="https://127.0.0.1:9443")

    assert endpoints.scope == "https://127.0.0.1:9443/.default"


def test_override_sets_reference():
    endpoints = Endpoints("public", graph_endpoint="https://127.0.0.1:9443", api_version="beta")

    assert endpoints.object_reference("users", OBJECT_ID) == f"https://127.0.0.1:9443/beta/users/{OBJECT_ID}"


def test_authority_override_keeps_graph():
    endpoints = Endpoints("china", authority_host="https://127.0.0.1:8443")

    assert endpoints.graph_url == "https://microsoftgraph.chinacloudapi.cn"


@pytest.mark.parametrize(
    "authority_host, expected",
    [
        ("https://127.0.0.1:8443", False),
        ("login.example.net", False),
        ("https://login.microsoftonline.com", True),
        ("login.microsoftonline.us", True),
        ("https://LOGIN.CHINACLOUDAPI.CN/", True),
    ],
)
def test_instance_discovery(authority_host, expected):
    assert Endpoints(authority_host=authority_host).needs_instance_discovery is expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("graph.microsoft.com", "https://graph.microsoft.com"),
        ("127.0.0.1:9443", "https://127.0.0.1:9443"),
        ("https://127.0.0.1:9443/", "https://127.0.0.1:9443"),
        ("  HTTPS://Graph.Microsoft.COM  ", "https://graph.microsoft.com"),
        ("https://[::1]:9443", "https://[::1]:9443"),
    ],
)
def test_normalize_accepts(value, expected):
    assert normalize_https_url("graph_endpoint", value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("http://127.0.0.1:9443", "only https:// URLs are accepted"),
        ("ftp://graph.microsoft.com", "only https:// URLs are accepted"),
        ("https://graph.microsoft.com/v1.0", "give only scheme, host and optional port"),
        ("https://graph.microsoft.com?x=1", "give only scheme, host and optional port"),
        ("https://graph.microsoft.com#top", "give only scheme, host and optional port"),
        ("https://user@graph.microsoft.com", "give only scheme, host and optional port"),
        ("https://user:pw@graph.microsoft.com", "give only scheme, host and optional port"),
        ("", "the URL has no host name"),
        ("https://", "the URL has no host name"),
    ],
)
def test_normalize_rejects(value, reason):
    with pytest.raises(InvalidInputError) as caught:
        normalize_https_url("graph_endpoint", value)

    assert str(caught.value).startswith(f"Invalid graph_endpoint '{value}': ")
    assert reason in str(caught.value)


def test_http_authority_rejected():
    with pytest.raises(InvalidInputError) as caught:
        Endpoints(authority_host="http://127.0.0.1:8443")

    assert str(caught.value).startswith("Invalid authority_host 'http://127.0.0.1:8443': only https://")
