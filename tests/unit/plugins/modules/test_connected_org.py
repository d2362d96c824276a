# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import copy
import functools
import json

import pytest
from ansible_collections.entra.governance.plugins.modules import connected_org
from ansible_collections.entra.governance.tests.unit.fake_graph import FakeGraph, error_response
from ansible_collections.entra.governance.tests.unit.module_runner import SECRET, run_on_fake_graph

ADA = "0c5c6c5e-2d8a-4c29-9d6e-5a1f8c0b7e11"
LINUS = "2e7e8e70-4fac-4e4b-9f80-7c3bae2d9033"
FABRIKAM = "6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d"
NORTHWIND_EU = "8c6a0911-5e80-4158-9cd3-2a6e7c915e4f"
NORTHWIND_ASIA = "9d7b1a22-6f91-4269-8de4-3b7f8da26f50"
UNKNOWN = "ffffffff-0000-4000-8000-000000000000"

FABRIKAM_TENANT = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
TENANT_SOURCE = {
    "@odata.type": "#microsoft.graph.azureActiveDirectoryTenant",
    "tenantId": FABRIKAM_TENANT,
    "displayName": "Fabrikam",
}
DOMAIN_SOURCE = {"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "northwind.example"}

ADATUM_SOURCE = {"domain_name": "adatum.example"}


def new_graph():
    fake = FakeGraph()
    fake.add_user(ADA, "Ada Lovelace", "ada@contoso.example", "ada@contoso.example")
    fake.add_user(LINUS, "Linus", "linus@contoso.example")
    fake.add_organization(
        FABRIKAM, "Fabrikam", internal=[ADA], external=[LINUS], description="Fabrikam, Inc.", source=TENANT_SOURCE
    )
    fake.add_organization(NORTHWIND_EU, "Northwind Traders", source=DOMAIN_SOURCE)
    fake.add_organization(NORTHWIND_ASIA, "Northwind Traders", source=DOMAIN_SOURCE)
    return fake


@pytest.fixture
def run(capsys, monkeypatch):
    """Return a function that runs the module against a FakeGraph with the given options."""
    return functools.partial(run_on_fake_graph, connected_org.main, capsys, monkeypatch)


def without_invocation(result):
    return {key: value for key, value in result.items() if key != "invocation"}


def sponsors_of(fake):
    return {object_id: (org["internal"], org["external"]) for object_id, org in fake.organizations.items()}


# Create


def test_creates_organization(run):
    fake = new_graph()

    result = run(fake, display_name="Adatum", description="Adatum Corp.", identity_source=ADATUM_SOURCE).result

    assert result["changed"] is True
    organization = result["connected_organization"]
    assert organization["display_name"] == "Adatum"
    assert organization["description"] == "Adatum Corp."
    assert organization["org_state"] == "configured"
    assert organization["identity_sources"] == [{"type": "domainIdentitySource", "domain_name": "adatum.example"}]
    assert organization["created"] is not None
    assert fake.organization_item(organization["id"])["displayName"] == "Adatum"


def test_create_body(run):
    fake = new_graph()

    session = run(fake, display_name="Adatum", org_state="proposed", identity_source=ADATUM_SOURCE).session

    [post] = session.writes()
    assert post.body == {
        "displayName": "Adatum",
        "description": "",
        "identitySources": [{"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "adatum.example"}],
        "state": "proposed",
    }


def test_create_check_mode(run):
    fake = new_graph()
    before = copy.deepcopy(fake.organizations)

    check_run = run(fake, display_name="Adatum", identity_source=ADATUM_SOURCE, _ansible_check_mode=True)
    real_run = run(new_graph(), display_name="Adatum", identity_source=ADATUM_SOURCE)

    assert check_run.session.writes() == []
    assert fake.organizations == before
    assert check_run.result["changed"] is True
    checked = check_run.result["connected_organization"]
    real = real_run.result["connected_organization"]
    assert checked["id"] is None
    assert checked["created"] is None
    assert checked["modified"] is None
    unknown_in_check_mode = ("id", "created", "modified")
    for key in real:
        if key not in unknown_in_check_mode:
            assert checked[key] == real[key], key
    assert sorted(checked) == sorted(real)


def test_create_then_unchanged(run):
    fake = new_graph()
    run(fake, display_name="Adatum", identity_source=ADATUM_SOURCE)

    again = run(fake, display_name="Adatum", identity_source=ADATUM_SOURCE)

    assert again.result["changed"] is False
    assert again.session.writes() == []
    assert len(fake.organizations) == 4


def test_create_needs_identity_source(run):
    fake = new_graph()

    result = run(fake, display_name="Adatum", _ansible_check_mode=True)

    assert result.exit_code == 1
    assert result.result["msg"] == "Connected organization 'Adatum' not found: set identity_source to create it."
    assert result.session.writes() == []


def test_unknown_id_not_created(run):
    fake = new_graph()

    result = run(fake, id=UNKNOWN, display_name="Adatum", identity_source=ADATUM_SOURCE)

    assert result.result["failed"] is True
    assert "cannot be created with a given id" in result.result["msg"]
    assert result.session.writes() == []


def test_create_retried_after_503_warns(run):
    fake = new_graph()
    fake.fail("POST", "connectedOrganizations", error_response(503, "ServiceUnavailable", "Try again."))

    result = run(fake, display_name="Adatum", identity_source=ADATUM_SOURCE).result

    assert result["changed"] is True
    # ansible-core 2.19 returns each warning as a structured summary, older versions as a string.
    assert "Check for a second organization with this name." in json.dumps(result["warnings"])


def test_create_without_retry_no_warning(run):
    result = run(new_graph(), display_name="Adatum", identity_source=ADATUM_SOURCE).result

    assert "warnings" not in result


# Update


def test_updates_only_differences(run):
    fake = new_graph()

    result = run(fake, display_name="Fabrikam", description="Partner", org_state="configured")

    [patch] = result.session.writes()
    assert patch.method == "PATCH"
    assert patch.body == {"description": "Partner"}
    assert result.result["changed"] is True
    assert result.result["connected_organization"]["description"] == "Partner"
    assert fake.organization_item(FABRIKAM)["description"] == "Partner"


@pytest.mark.parametrize("patch_status", [202, 204])
def test_update_statuses(run, patch_status):
    fake = new_graph()
    fake.patch_status = patch_status

    result = run(fake, id=FABRIKAM, org_state="proposed")

    assert result.exit_code == 0
    assert result.result["connected_organization"]["org_state"] == "proposed"
    assert fake.organization_item(FABRIKAM)["state"] == "proposed"


def test_update_check_mode_matches_real_run(run):
    options = dict(id=FABRIKAM, display_name="Fabrikam Logistics", description="Partner", org_state="proposed")
    checked = new_graph()
    before = copy.deepcopy(checked.organizations)

    check_run = run(checked, _ansible_check_mode=True, **options)
    real_run = run(new_graph(), **options)

    assert check_run.session.writes() == []
    assert checked.organizations == before
    assert without_invocation(check_run.result) == without_invocation(real_run.result)


def test_update_leaves_sponsors(run):
    fake = new_graph()
    sponsors_before = sponsors_of(fake)

    result = run(fake, id=FABRIKAM, display_name="Fabrikam Logistics", description="x", org_state="proposed")

    [patch] = result.session.writes()
    assert sorted(patch.body) == ["description", "displayName", "state"]
    assert sponsors_of(fake) == sponsors_before


def test_rename_by_id(run):
    fake = new_graph()

    result = run(fake, id=FABRIKAM.upper(), display_name="Fabrikam Logistics")

    assert result.result["changed"] is True
    assert result.result["connected_organization"]["id"] == FABRIKAM
    assert result.result["connected_organization"]["display_name"] == "Fabrikam Logistics"
    assert fake.organization_item(FABRIKAM)["displayName"] == "Fabrikam Logistics"


def test_name_of_other_case_renamed(run):
    fake = new_graph()

    result = run(fake, display_name="FABRIKAM")

    [patch] = result.session.writes()
    assert patch.body == {"displayName": "FABRIKAM"}
    assert len(fake.organizations) == 3


def test_second_update_unchanged(run):
    fake = new_graph()
    run(fake, id=FABRIKAM, description="Partner")

    again = run(fake, id=FABRIKAM, description="Partner")

    assert again.result["changed"] is False
    assert again.session.writes() == []


def test_matching_identity_source_passes(run):
    source = {"tenant_id": FABRIKAM_TENANT.upper(), "display_name": "Fabrikam"}

    result = run(new_graph(), display_name="Fabrikam", identity_source=source)

    assert result.result["changed"] is False
    assert result.session.writes() == []


def test_other_identity_source_fails(run):
    fake = new_graph()

    result = run(fake, display_name="Fabrikam", description="Partner", identity_source=ADATUM_SOURCE)

    assert result.result["failed"] is True
    assert result.result["msg"].startswith(
        f"Invalid identity_source for connected organization 'Fabrikam' ({FABRIKAM})"
    )
    assert "Graph cannot change the identity source" in result.result["msg"]
    assert result.session.writes() == []
    assert fake.organization_item(FABRIKAM)["description"] == "Fabrikam, Inc."


def test_ambiguous_name_fails(run):
    result = run(new_graph(), display_name="Northwind Traders", description="x")

    assert result.result["failed"] is True
    assert NORTHWIND_EU in result.result["msg"]
    assert NORTHWIND_ASIA in result.result["msg"]
    assert result.session.writes() == []


def test_diff_of_update(run):
    result = run(new_graph(), id=FABRIKAM, org_state="proposed", _ansible_diff=True).result

    diff = result["diff"]
    assert diff["before"]["org_state"] == "configured"
    assert diff["after"]["org_state"] == "proposed"
    assert {key: value for key, value in diff["before"].items() if key != "org_state"} == {
        key: value for key, value in diff["after"].items() if key != "org_state"
    }
    assert "modified" not in diff["after"]


def test_no_diff_by_default(run):
    assert "diff" not in run(new_graph(), id=FABRIKAM, org_state="proposed").result


# Delete


def test_deletes_organization(run):
    fake = new_graph()

    result = run(fake, display_name="Fabrikam", state="absent", _ansible_diff=True)

    assert result.result["changed"] is True
    assert result.result["connected_organization"]["id"] == FABRIKAM
    assert result.result["diff"]["after"] == {}
    assert result.result["diff"]["before"]["display_name"] == "Fabrikam"
    assert FABRIKAM not in fake.organizations


def test_delete_check_mode(run):
    fake = new_graph()

    check_run = run(fake, id=FABRIKAM, state="absent", _ansible_check_mode=True)
    real_run = run(new_graph(), id=FABRIKAM, state="absent")

    assert check_run.session.writes() == []
    assert FABRIKAM in fake.organizations
    assert without_invocation(check_run.result) == without_invocation(real_run.result)


@pytest.mark.parametrize("identity", [{"id": UNKNOWN}, {"display_name": "Adventure Works"}])
def test_delete_missing_unchanged(run, identity):
    result = run(new_graph(), state="absent", **identity)

    assert result.exit_code == 0
    assert result.result["changed"] is False
    assert result.result["connected_organization"] is None
    assert result.session.writes() == []


def test_delete_raced_unchanged(run):
    # Someone else deletes the organization between the module's read and its DELETE.
    fake = new_graph()
    fake.fail("DELETE", FABRIKAM, error_response(404, "ResourceNotFound", "No connected organization."))

    result = run(fake, id=FABRIKAM, state="absent")

    assert result.exit_code == 0
    assert result.result["changed"] is False


def test_delete_ambiguous_name_fails(run):
    fake = new_graph()

    result = run(fake, display_name="Northwind Traders", state="absent")

    assert result.result["failed"] is True
    assert result.session.writes() == []
    assert len(fake.organizations) == 3


# Options and failures


@pytest.mark.parametrize(
    "options, expected",
    [
        ({}, "one of the following is required: id, display_name"),
        (
            {"display_name": "Adatum", "identity_source": {"tenant_id": FABRIKAM_TENANT, "domain_name": "a.example"}},
            "parameters are mutually exclusive: tenant_id|domain_name found in identity_source",
        ),
        (
            {"display_name": "Adatum", "identity_source": {"display_name": "Adatum"}},
            "one of the following is required: tenant_id, domain_name found in identity_source",
        ),
        ({"id": "fabrikam"}, "Invalid id 'fabrikam'"),
        ({"display_name": "Adatum", "org_state": "active"}, "value of org_state must be one of: configured, proposed"),
    ],
)
def test_invalid_options_fail_before_requests(run, options, expected):
    result = run(new_graph(), **options)

    assert result.exit_code == 1
    assert expected in result.result["msg"]
    assert result.session.sent == []


def test_graph_failure_fields(run):
    fake = new_graph()
    fake.fail("PATCH", FABRIKAM, error_response(403, "UnAuthorized", "Not allowed.", request_id="r-403"))

    result = run(fake, id=FABRIKAM, org_state="proposed").result

    assert result["failed"] is True
    assert result["changed"] is False
    assert result["http_status"] == 403
    assert result["error_code"] == "UnAuthorized"
    assert result["request_id"] == "r-403"
    assert result["msg"].startswith(f"Failed to update state of connected organization 'Fabrikam' ({FABRIKAM})")


def test_secret_not_in_output(run):
    result = run(new_graph(), display_name="Adatum", identity_source=ADATUM_SOURCE, _ansible_diff=True)

    assert SECRET not in result.output
