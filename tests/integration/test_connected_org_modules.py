"""Integration tests of connected_org, connected_org_info, connected_org_sponsor_info and the action group.

Each test runs one target under tests/integration/targets against a fresh Graph emulator.
The targets check the emulator's state and request log themselves. The tests here check
that every task of the target ran, and what only Python can see: the request log after
the run, the diff output and the collection's files.
"""

import csv
from pathlib import Path

import pytest
import yaml

import emulator_seed as seed  # tests/conftest.py puts tests/emulator on sys.path

pytestmark = pytest.mark.integration

INTEGRATION_DIR = Path(__file__).resolve().parent
TARGETS_DIR = INTEGRATION_DIR / "targets"
REPO_ROOT = INTEGRATION_DIR.parent.parent
COLLECTION_PREFIX = "entra.governance."


def target_tasks(target):
    """Return the tasks of a target's tasks/main.yml, in file order."""
    return yaml.safe_load((TARGETS_DIR / target / "tasks" / "main.yml").read_text())


def assert_target_passed(run, target):
    """Assert that the playbook succeeded and ran every task of the target, none skipped."""
    assert run.rc == 0, run.describe()
    assert run.failed_tasks() == [], run.describe()

    statuses = {}
    for entry in run.results:
        if entry["role"] == target:
            statuses.setdefault(entry["task"], set()).add(entry["status"])
    for task in target_tasks(target):
        name = task["name"]
        assert name in statuses, "task %r of target %s did not run\n%s" % (name, target, run.describe())
        assert statuses[name] <= {"ok", "ignored"}, "task %r of target %s: %s\n%s" % (
            name,
            target,
            sorted(statuses[name]),
            run.describe(),
        )


def graph_requests(emulator):
    return [entry for entry in emulator.requests() if entry["listener"] == "graph"]


def graph_writes(emulator):
    """Return the logged POST, PATCH, PUT and DELETE requests to Graph, except getByIds reads.

    A JSON batch is not counted itself: the log lists each of its sub-requests.
    """
    return [
        entry
        for entry in graph_requests(emulator)
        if entry["method"] in ("POST", "PATCH", "PUT", "DELETE")
        and not entry["path"].endswith("/directoryObjects/getByIds")
        and not entry["path"].endswith("/$batch")
    ]


def seeded_organizations():
    return {organization["id"]: organization for organization in seed.CONNECTED_ORGANIZATIONS}


@pytest.mark.parametrize(
    "api_version, patch_status",
    [
        ("v1.0", 202),
        # Graph documents 204 for a PATCH in beta; the module must accept both.
        ("beta", 204),
    ],
)
def test_connected_org_cycle(run_playbook, emulator, api_version, patch_status):
    emulator.configure(patch_status=patch_status)
    before = emulator.state()["connectedOrganizations"]

    run = run_playbook(
        "connected_org", extra_vars={"integration_api_version": api_version, "connected_org_patch_status": patch_status}
    )

    assert_target_passed(run, "connected_org")
    assert emulator.state()["connectedOrganizations"] == before
    requests = graph_requests(emulator)
    assert requests
    assert all(entry["path"].startswith("/%s/" % api_version) for entry in requests)


def test_connected_org_diff_output(run_playbook, emulator):
    run = run_playbook("connected_org", diff=True)

    assert_target_passed(run, "connected_org")
    lines = run.stdout.splitlines()
    # The update in check mode and for real each show the old and the new state.
    assert lines.count('-    "org_state": "configured"') == 2, run.stdout
    assert lines.count('+    "org_state": "proposed"') == 2, run.stdout
    assert lines.count('+    "display_name": "Adatum Supplies",') == 1, run.stdout


def test_connected_org_leaves_sponsors(run_playbook, emulator):
    run = run_playbook("connected_org")

    assert_target_passed(run, "connected_org")
    for organization_id, seeded in seeded_organizations().items():
        current = emulator.organization(organization_id)
        assert current["internalSponsors"] == seeded["internalSponsors"]
        assert current["externalSponsors"] == seeded["externalSponsors"]


def test_connected_org_info(run_playbook, emulator):
    before = emulator.state()["connectedOrganizations"]

    run = run_playbook("connected_org_info")

    assert_target_passed(run, "connected_org_info")
    assert graph_writes(emulator) == []
    assert emulator.state()["connectedOrganizations"] == before
    # The quote is doubled inside the OData literal, and the '&' reached Graph intact.
    filters = [entry["query"].get("$filter", "") for entry in graph_requests(emulator)]
    assert "displayName eq 'O''Neil & Sons'" in filters, filters


@pytest.mark.parametrize(
    "sponsor_detail",
    [
        "full",
        # Sponsors as Graph documents them: only @odata.type and id, so the module must read
        # the names with directoryObjects/getByIds.
        "minimal",
    ],
)
def test_connected_org_sponsor_info(run_playbook, emulator, sponsor_detail):
    emulator.configure(sponsor_detail=sponsor_detail)

    run = run_playbook("connected_org_sponsor_info")

    assert_target_passed(run, "connected_org_sponsor_info")
    assert graph_writes(emulator) == []
    name_reads = [entry for entry in graph_requests(emulator) if entry["path"].endswith("/directoryObjects/getByIds")]
    if sponsor_detail == "minimal":
        assert name_reads
    else:
        assert name_reads == []


def group_modules():
    runtime = yaml.safe_load((REPO_ROOT / "meta" / "runtime.yml").read_text())
    return runtime["action_groups"]["graph"]


def test_action_group_lists_every_module():
    modules = sorted(
        path.stem for path in (REPO_ROOT / "plugins" / "modules").glob("*.py") if path.name != "__init__.py"
    )

    assert sorted(group_modules()) == modules


def test_module_defaults_group(run_playbook, emulator):
    run = run_playbook("module_defaults_group")

    assert_target_passed(run, "module_defaults_group")
    used = [
        key[len(COLLECTION_PREFIX) :]
        for task in target_tasks("module_defaults_group")
        for key in task
        if key.startswith(COLLECTION_PREFIX)
    ]
    # Each module of the group runs twice: with the group's options, then with its timeout 0.
    for module in group_modules():
        assert used.count(module) == 2, (module, used)
    assert graph_writes(emulator) == []


AUDIT_PLAYBOOK = REPO_ROOT / "examples" / "connected_org_sponsor_audit.yml"


def test_sponsor_audit_example(run_playbook, emulator, tmp_path):
    report_dir = tmp_path / "report"
    before = emulator.state()["connectedOrganizations"]

    run = run_playbook(AUDIT_PLAYBOOK, check=True, diff=True, extra_vars={"audit_report_dir": str(report_dir)})

    assert run.rc == 0, run.describe()
    assert graph_writes(emulator) == []
    assert emulator.state()["connectedOrganizations"] == before

    with (report_dir / "sponsor-audit.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    findings = sorted(
        (row["organization"], row["sponsor_type"], row["finding"], row["object_id"] or row["declared_name"])
        for row in rows
    )
    woodgrove_extra = [
        seed.ADA,
        seed.ALAN,
        seed.EDSGER,
        seed.GRACE,
        seed.KATHERINE,
        seed.PARTNER_MANAGERS_EMEA,
        seed.SPONSORS_AND_APPROVERS,
    ]
    assert findings == sorted(
        [
            ("Fabrikam", "internal", "missing", seed.GRACE),
            ("Fabrikam", "internal", "unresolved", "nobody@contoso.example"),
            ("Woodgrove Bank", "internal", "unresolved", "Partner Managers"),
            ("Woodgrove Bank", "external", "extra", seed.WENDY_GUEST),
            ("Tailspin Toys", "external", "in sync", ""),
            ("Northwind Traders", "internal", "organization ambiguous", ""),
            ("Adventure Works", "internal", "organization not found", ""),
        ]
        + [("Woodgrove Bank", "internal", "extra", object_id) for object_id in woodgrove_extra]
    )
    ambiguous = [row for row in rows if row["finding"] == "organization ambiguous"]
    assert ambiguous[0]["organization_ids"] == "%s %s" % (seed.NORTHWIND_1, seed.NORTHWIND_2)

    report = (report_dir / "sponsor-audit.md").read_text()
    assert "1 of 6 sponsor lists match the inventory" in report
    assert "| Woodgrove Bank | internal | drift | 0 | 7 | 1 |" in report
    assert "- user `nobody@contoso.example`: no user has this userPrincipalName or mail address." in report
    # --diff showed the drift of Fabrikam's internal sponsors: Grace would be added.
    assert "+user Grace Hopper <grace@contoso.example> (%s)" % seed.GRACE in run.stdout.splitlines()
