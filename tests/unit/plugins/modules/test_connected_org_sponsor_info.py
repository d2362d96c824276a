# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import functools

import pytest
from ansible_collections.entra.governance.plugins.modules import connected_org_sponsor_info
from ansible_collections.entra.governance.tests.unit.fake_graph import FakeGraph, error_response
from ansible_collections.entra.governance.tests.unit.module_runner import run_on_fake_graph

ADA = "0c5c6c5e-2d8a-4c29-9d6e-5a1f8c0b7e11"
GRACE = "1d6d7d6f-3e9b-4d3a-8e7f-6b2a9d1c8f22"
LINUS = "2e7e8e70-4fac-4e4b-9f80-7c3bae2d9033"
LEGAL = "3f8f9f81-50bd-4f5c-a091-8d4cbf3ea144"
FABRIKAM = "6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d"
WOODGROVE = "7b5ff800-4d7f-4047-8bc2-1f5d6b804d3e"
LITWARE = "ae8c2b33-70a2-437a-9ef5-4c80a9eb7061"

ADA_RESULT = {"id": ADA, "type": "user", "display_name": "Ada Lovelace", "user_principal_name": "ada@contoso.example"}
GRACE_RESULT = {
    "id": GRACE,
    "type": "user",
    "display_name": "Grace Hopper",
    "user_principal_name": "grace@contoso.example",
}
LINUS_RESULT = {"id": LINUS, "type": "user", "display_name": "Linus", "user_principal_name": "linus@contoso.example"}
LEGAL_RESULT = {"id": LEGAL, "type": "group", "display_name": "Legal"}


def new_graph(full_sponsors=False):
    fake = FakeGraph(full_sponsors=full_sponsors)
    fake.add_user(ADA, "Ada Lovelace", "ada@contoso.example", "ada@contoso.example")
    fake.add_user(GRACE, "Grace Hopper", "grace@contoso.example", "grace@contoso.example")
    fake.add_user(LINUS, "Linus", "linus@contoso.example")
    fake.add_group(LEGAL, "Legal")
    fake.add_organization(WOODGROVE, "Woodgrove Bank", internal=[LEGAL, GRACE, ADA], external=[LINUS])
    fake.add_organization(FABRIKAM, "Fabrikam", internal=[GRACE])
    fake.add_organization(LITWARE, "Litware")
    return fake


@pytest.fixture
def run(capsys, monkeypatch):
    """Return a function that runs the module against a FakeGraph with the given options."""
    return functools.partial(run_on_fake_graph, connected_org_sponsor_info.main, capsys, monkeypatch)


@pytest.mark.parametrize("full_sponsors", [False, True])
def test_sponsors_of_one_organization(run, full_sponsors):
    result = run(new_graph(full_sponsors), connected_organization="Woodgrove Bank")

    assert result.exit_code == 0
    assert result.result["changed"] is False
    assert result.result["connected_organizations"] == [
        {
            "id": WOODGROVE,
            "display_name": "Woodgrove Bank",
            "internal_sponsors": [ADA_RESULT, GRACE_RESULT, LEGAL_RESULT],
            "external_sponsors": [LINUS_RESULT],
        }
    ]
    # Names are read with getByIds only when the sponsor lists carry ids alone.
    name_reads = [sent for sent in result.session.sent if sent.segments[-1] == "getByIds"]
    assert bool(name_reads) is not full_sponsors


def test_sponsors_of_every_organization(run):
    organizations = run(new_graph()).result["connected_organizations"]

    assert [organization["display_name"] for organization in organizations] == [
        "Fabrikam",
        "Litware",
        "Woodgrove Bank",
    ]
    assert organizations[0]["internal_sponsors"] == [GRACE_RESULT]
    assert organizations[1]["internal_sponsors"] == []
    assert organizations[1]["external_sponsors"] == []
    assert len(organizations[2]["internal_sponsors"]) == 3


def test_every_page_read(run):
    result = run(new_graph(), connected_organization=WOODGROVE)

    # Three internal sponsors at two per page: two reads, the second through @odata.nextLink.
    reads = [sent for sent in result.session.sent if sent.segments[-1] == "internalSponsors"]
    assert [sent.query.get("$skiptoken") for sent in reads] == [None, "2"]


def test_unknown_organization_empty(run):
    result = run(new_graph(), connected_organization="Adventure Works")

    assert result.exit_code == 0
    assert result.result["connected_organizations"] == []


def test_check_mode_same_result(run):
    checked = run(new_graph(), _ansible_check_mode=True)
    real = run(new_graph())

    assert checked.result["connected_organizations"] == real.result["connected_organizations"]
    assert checked.session.writes() == []


def test_sponsor_read_failure(run):
    fake = new_graph()
    fake.fail("GET", "externalSponsors", error_response(403, "UnAuthorized", "Not allowed.", request_id="r-ext"))

    result = run(fake, connected_organization="Fabrikam")

    assert result.exit_code == 1
    assert result.result["http_status"] == 403
    assert result.result["request_id"] == "r-ext"
    assert result.result["msg"].startswith(f"Failed to list external sponsors of connected organization {FABRIKAM}")
