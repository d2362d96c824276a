# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import functools

import pytest
from ansible_collections.entra.governance.plugins.modules import connected_org_info
from ansible_collections.entra.governance.tests.unit.fake_graph import FakeGraph, error_response
from ansible_collections.entra.governance.tests.unit.module_runner import run_on_fake_graph

FABRIKAM = "6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d"
WOODGROVE = "7b5ff800-4d7f-4047-8bc2-1f5d6b804d3e"
NORTHWIND_EU = "8c6a0911-5e80-4158-9cd3-2a6e7c915e4f"
NORTHWIND_ASIA = "9d7b1a22-6f91-4269-8de4-3b7f8da26f50"
LITWARE = "ae8c2b33-70a2-437a-9ef5-4c80a9eb7061"

FABRIKAM_TENANT = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"


def new_graph():
    fake = FakeGraph()
    fake.add_organization(
        WOODGROVE,
        "Woodgrove Bank",
        source={"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "woodgrove.example"},
    )
    fake.add_organization(
        FABRIKAM,
        "Fabrikam",
        description="Fabrikam, Inc.",
        source={
            "@odata.type": "#microsoft.graph.azureActiveDirectoryTenant",
            "tenantId": FABRIKAM_TENANT,
            "displayName": "Fabrikam",
        },
    )
    fake.add_organization(NORTHWIND_ASIA, "Northwind Traders", description="Asia")
    fake.add_organization(NORTHWIND_EU, "Northwind Traders", description="Europe")
    fake.add_organization(LITWARE, "Litware", state="proposed")
    return fake


@pytest.fixture
def run(capsys, monkeypatch):
    """Return a function that runs the module against a FakeGraph with the given options."""
    return functools.partial(run_on_fake_graph, connected_org_info.main, capsys, monkeypatch)


def test_lists_every_organization(run):
    result = run(new_graph())

    assert result.exit_code == 0
    assert result.result["changed"] is False
    organizations = result.result["connected_organizations"]
    assert [organization["id"] for organization in organizations] == [
        FABRIKAM,
        LITWARE,
        NORTHWIND_EU,
        NORTHWIND_ASIA,
        WOODGROVE,
    ]
    # Five organizations at two per page.
    assert len(result.session.sent) == 3


def test_organization_shape(run):
    fake = new_graph()

    [fabrikam] = run(fake, connected_organization="Fabrikam").result["connected_organizations"]

    item = fake.organization_item(FABRIKAM)
    assert fabrikam == {
        "id": FABRIKAM,
        "display_name": "Fabrikam",
        "description": "Fabrikam, Inc.",
        "org_state": "configured",
        "identity_sources": [
            {"type": "azureActiveDirectoryTenant", "tenant_id": FABRIKAM_TENANT, "display_name": "Fabrikam"}
        ],
        "created": item["createdDateTime"],
        "modified": item["modifiedDateTime"],
    }


def test_by_id(run):
    organizations = run(new_graph(), connected_organization=LITWARE.upper()).result["connected_organizations"]

    assert [organization["org_state"] for organization in organizations] == ["proposed"]


def test_shared_name_returns_both(run):
    organizations = run(new_graph(), connected_organization="Northwind Traders").result["connected_organizations"]

    assert [organization["description"] for organization in organizations] == ["Europe", "Asia"]


def test_unknown_name_empty(run):
    result = run(new_graph(), connected_organization="Adventure Works")

    assert result.exit_code == 0
    assert result.result["connected_organizations"] == []


def test_check_mode_same_result(run):
    checked = run(new_graph(), _ansible_check_mode=True)
    real = run(new_graph())

    assert checked.result["connected_organizations"] == real.result["connected_organizations"]
    assert checked.session.writes() == []


def test_failure_fields(run):
    fake = new_graph()
    fake.fail("GET", "connectedOrganizations", error_response(403, "UnAuthorized", "Not allowed.", request_id="r-1"))

    result = run(fake)

    assert result.exit_code == 1
    assert result.result["changed"] is False
    assert result.result["http_status"] == 403
    assert result.result["request_id"] == "r-1"
    assert result.result["msg"].startswith("Failed to list connected organizations: HTTP 403 UnAuthorized")


def test_empty_reference_fails(run):
    result = run(new_graph(), connected_organization="")

    assert result.exit_code == 1
    assert result.result["msg"] == "Invalid connected_organization '': the value is empty."
    assert result.session.sent == []
