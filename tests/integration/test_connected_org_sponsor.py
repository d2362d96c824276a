"""Integration tests of entra.governance.connected_org_sponsor through ansible-playbook.

Each test runs one target under tests/integration/targets against a fresh Graph emulator.
The targets check the emulator's state and request log themselves. The tests here check
that every task of the target ran, and what only Python can see: the human output of
ansible-playbook, the request log after the run, and writes raced from outside.
"""

import itertools
import secrets
import threading
import time
from pathlib import Path

import pytest
import yaml

import emulator_seed as seed  # tests/conftest.py puts tests/emulator on sys.path

pytestmark = pytest.mark.integration

TARGETS_DIR = Path(__file__).resolve().parent / "targets"

# A CA bundle that does not contain the emulator's CA: the system bundle on Debian and Ubuntu.
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

# Seconds the emulator delays the module's write in the race tests, while the test changes
# the sponsor list behind the module's back. The test needs only a few milliseconds of it.
RACE_DELAY = 3.0


def wait_until(condition, timeout, description, interval=0.05):
    """Call ``condition`` until it returns a true value, or fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out after %s s waiting for %s" % (timeout, description))
        time.sleep(interval)


def target_task_names(target):
    """Return the names of the tasks in a target's tasks/main.yml, in file order."""
    tasks = yaml.safe_load((TARGETS_DIR / target / "tasks" / "main.yml").read_text())
    return [task["name"] for task in tasks]


def assert_target_passed(run, target):
    """Assert that the playbook succeeded and ran every task of the target, none skipped."""
    assert run.rc == 0, run.describe()
    assert run.failed_tasks() == [], run.describe()

    ran = [entry for entry in run.results if entry["role"] == target]
    statuses = {}
    for entry in ran:
        statuses.setdefault(entry["task"], set()).add(entry["status"])
    for name in target_task_names(target):
        assert name in statuses, "task %r of target %s did not run\n%s" % (name, target, run.describe())
        assert statuses[name] <= {"ok", "ignored"}, "task %r of target %s: %s\n%s" % (
            name,
            target,
            sorted(statuses[name]),
            run.describe(),
        )


def graph_writes(emulator, method=None):
    """Return the logged POST, PATCH, PUT and DELETE requests to Graph, except getByIds reads.

    A JSON batch is not counted itself: the log lists each of its sub-requests.
    """
    writes = []
    for entry in emulator.requests():
        if entry["listener"] != "graph" or entry["method"] not in ("POST", "PATCH", "PUT", "DELETE"):
            continue
        if entry["path"].endswith(("/directoryObjects/getByIds", "/$batch")):
            continue
        if method is None or entry["method"] == method:
            writes.append(entry)
    return writes


@pytest.mark.parametrize(
    "api_version, sponsor_detail",
    [
        ("v1.0", "full"),
        # Sponsors as Graph documents them: only @odata.type and id, so the module must read
        # the names with directoryObjects/getByIds.
        ("v1.0", "minimal"),
        ("beta", "full"),
    ],
)
def test_cycle(run_playbook, emulator, api_version, sponsor_detail):
    emulator.configure(sponsor_detail=sponsor_detail)

    run = run_playbook("connected_org_sponsor_cycle", extra_vars={"integration_api_version": api_version})

    assert_target_passed(run, "connected_org_sponsor_cycle")
    assert emulator.organization(seed.FABRIKAM)["internalSponsors"] == [seed.ADA]
    # Check mode returns the same keys as a real run, not only the same values.
    for check_task, real_task in (
        ("Add Grace in check mode", "Add Grace"),
        ("Remove Grace in check mode", "Remove Grace"),
    ):
        check_keys = set(run.result(check_task))
        real_keys = set(run.result(real_task))
        assert check_keys == real_keys
    graph_requests = [entry for entry in emulator.requests() if entry["listener"] == "graph"]
    assert graph_requests
    assert all(entry["path"].startswith("/%s/" % api_version) for entry in graph_requests)
    name_reads = [entry for entry in graph_requests if entry["path"].endswith("/directoryObjects/getByIds")]
    if sponsor_detail == "minimal":
        assert name_reads
    else:
        assert name_reads == []


def test_exclusive(run_playbook, emulator):
    run = run_playbook("connected_org_sponsor_exclusive")

    assert_target_passed(run, "connected_org_sponsor_exclusive")
    woodgrove = emulator.organization(seed.WOODGROVE)
    assert woodgrove["internalSponsors"] == []
    assert woodgrove["externalSponsors"] == [seed.WENDY_GUEST, seed.LINUS_GUEST]


def test_sponsor_on_last_page(run_playbook, emulator):
    run = run_playbook("connected_org_sponsor_paging")

    assert_target_passed(run, "connected_org_sponsor_paging")
    # The log contains the requests of the last two tasks. Each read the list in three pages,
    # the second and third through the $skiptoken of @odata.nextLink.
    reads = [
        entry
        for entry in emulator.requests()
        if entry["method"] == "GET" and entry["path"].endswith("/internalSponsors")
    ]
    with_skiptoken = [entry for entry in reads if "$skiptoken" in entry["query"]]
    assert len(reads) == 6
    assert len(with_skiptoken) == 4


def test_groups(run_playbook):
    run = run_playbook("connected_org_sponsor_groups")

    assert_target_passed(run, "connected_org_sponsor_groups")


def test_names_with_quotes(run_playbook, emulator):
    run = run_playbook("connected_org_sponsor_quoting")

    assert_target_passed(run, "connected_org_sponsor_quoting")
    filters = [entry["query"].get("$filter", "") for entry in emulator.requests() if entry["method"] == "GET"]
    # The emulator's log shows the decoded query: the quote doubled as OData wants, the '&' intact.
    assert "displayName eq 'O''Neil & Sons'" in filters, filters
    assert any("userPrincipalName eq 'o''brien@contoso.example'" in text for text in filters), filters


def test_external_sponsors(run_playbook, emulator):
    run = run_playbook("connected_org_sponsor_external")

    assert_target_passed(run, "connected_org_sponsor_external")
    # The guest UPN's '#' reached Graph inside the OData literal, not cut off as a URL fragment.
    filters = [
        entry["query"].get("$filter", "")
        for entry in emulator.requests()
        if entry["method"] == "GET" and entry["path"].endswith("/users")
    ]
    assert any("'wendy_woodgrove.example#EXT#@contoso.example'" in text for text in filters), filters
    assert emulator.organization(seed.TAILSPIN)["internalSponsors"] == []


def test_throttling_retried(run_playbook, emulator):
    run = run_playbook("connected_org_sponsor_throttling")

    assert_target_passed(run, "connected_org_sponsor_throttling")
    # The log contains the target's last part. The emulator returned 429, 429 (Retry-After
    # 0.2) and 503 (Retry-After 1) for Grace's addition, then accepted it.
    posts = graph_writes(emulator, "POST")
    assert [entry["status"] for entry in posts] == [429, 429, 503, 204]
    gaps = [later["time"] - earlier["time"] for earlier, later in itertools.pairwise(posts)]
    # Each wait is at least what Retry-After asked for. The back-off used without the
    # header starts at 1 s, so first two gaps under 1 s show that the 0.2 was used.
    assert gaps[0] >= 0.2
    assert gaps[1] >= 0.2
    assert gaps[2] >= 1.0
    assert gaps[0] < 1.0
    assert gaps[1] < 1.0
    assert emulator.organization(seed.FABRIKAM)["internalSponsors"] == [seed.ADA, seed.GRACE]


def test_wrong_secret_not_in_output(run_playbook, emulator):
    wrong_secret = "wrong-secret-%s" % secrets.token_hex(12)

    run = run_playbook(
        "connected_org_sponsor_auth_errors",
        verbosity=3,
        extra_vars={"connected_org_sponsor_auth_errors_wrong_secret": wrong_secret},
    )

    assert_target_passed(run, "connected_org_sponsor_auth_errors")
    assert "AADSTS7000215" in run.output
    # -vvv prints each module's arguments, with the no_log ones masked.
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.output
    # The emulator's token table is the only place that lists the tokens it issued.
    tokens = list(emulator.tenant.tokens)
    assert len(tokens) == 1
    recorded = repr(run.results)
    for value in [wrong_secret, emulator.info["client_secret"]] + tokens:
        assert value not in run.output
        assert value not in recorded


def test_unknown_organization(run_playbook):
    run = run_playbook("connected_org_sponsor_unknown_org")

    assert_target_passed(run, "connected_org_sponsor_unknown_org")


def test_invalid_users(run_playbook, emulator):
    run = run_playbook("connected_org_sponsor_invalid_users")

    assert_target_passed(run, "connected_org_sponsor_invalid_users")
    assert graph_writes(emulator) == []
    # Values that cannot be a UPN are rejected before any look-up is sent.
    filters = [str(entry["query"]) for entry in emulator.requests() if entry["path"].endswith("/users")]
    assert not any("Grace Hopper" in text for text in filters), filters


# (state, switch, switch value, Graph's status for the raced write, changed)
RACES = [
    ("present", "duplicate_add", "bad_request", 400, False),
    ("present", "duplicate_add", "conflict", 409, False),
    ("present", "duplicate_add", "no_content", 204, True),
    ("absent", "missing_remove", "not_found", 404, False),
    ("absent", "missing_remove", "bad_request", 400, False),
    ("absent", "missing_remove", "no_content", 204, True),
]


@pytest.mark.parametrize(
    "state, switch, value, status, changed", RACES, ids=["%s-%s" % (race[1], race[2]) for race in RACES]
)
def test_write_raced_by_another_client(run_playbook, emulator, state, switch, value, status, changed):
    """Someone else adds or removes Grace between the module's read and its write."""
    if state == "absent":
        emulator.set_sponsors(seed.FABRIKAM, "internal", [seed.ADA, seed.GRACE])
        method, path = "DELETE", r"/internalSponsors/%s/\$ref$" % seed.GRACE
        sponsors_after_race = [seed.ADA]
    else:
        method, path = "POST", r"/internalSponsors/\$ref$"
        sponsors_after_race = [seed.ADA, seed.GRACE]
    emulator.configure(**{switch: value})
    emulator.add_fault(method=method, path=path, action="delay", seconds=RACE_DELAY)

    outcome = {}

    def run_target():
        outcome["run"] = run_playbook(
            "connected_org_sponsor_race", extra_vars={"connected_org_sponsor_race_state": state}
        )

    worker = threading.Thread(target=run_target)
    worker.start()
    try:
        # The emulator removes a fault when it fires, which is when the write arrives and
        # the delay starts.
        wait_until(
            lambda: not emulator.faults() or not worker.is_alive(),
            timeout=120,
            description="the module's %s to reach the emulator" % method,
        )
        assert worker.is_alive(), "the playbook ended before its %s reached the emulator" % method
        emulator.set_sponsors(seed.FABRIKAM, "internal", sponsors_after_race)
    finally:
        worker.join()

    run = outcome["run"]
    assert_target_passed(run, "connected_org_sponsor_race")
    result = run.result("Add or remove Grace while someone else does the same")
    assert result["changed"] is changed
    changed_key = "added" if state == "present" else "removed"
    expected_ids = [seed.GRACE] if changed else []
    assert result[changed_key] == expected_ids
    assert [entry["status"] for entry in graph_writes(emulator, method)] == [status]
    assert emulator.organization(seed.FABRIKAM)["internalSponsors"] == sponsors_after_race


def test_certificate_sign_in(run_playbook, emulator):
    run = run_playbook("connected_org_sponsor_certificate")

    assert_target_passed(run, "connected_org_sponsor_certificate")
    token_requests = [
        entry
        for entry in emulator.requests()
        if entry["listener"] == "login" and entry["path"].endswith("/oauth2/v2.0/token")
    ]
    assert [entry["status"] for entry in token_requests] == [200]
    assert emulator.info["certificate_password"] not in run.output


def test_diff_output(run_playbook, emulator):
    run = run_playbook("connected_org_sponsor_diff", diff=True)

    assert_target_passed(run, "connected_org_sponsor_diff")
    header = "internal sponsors of connected organization 'Fabrikam'"
    assert header in run.stdout
    removed_line = "-user Ada Lovelace <ada@contoso.example> (%s)" % seed.ADA
    added_lines = [
        "+user Grace Hopper <grace@contoso.example> (%s)" % seed.GRACE,
        "+user 李娜 (Li Na) 🎾 <li.na@contoso.example> (%s)" % seed.LI_NA,
    ]
    lines = run.stdout.splitlines()
    # Shown twice: once for the check-mode run, once for the real one.
    assert lines.count(removed_line) == 2, run.stdout
    for line in added_lines:
        assert lines.count(line) == 2, run.stdout


@pytest.mark.parametrize("bundle", ["system", "emulator"])
def test_ca_path_beats_environment(run_playbook, emulator, bundle):
    if not Path(SYSTEM_CA_BUNDLE).is_file():
        pytest.skip("%s does not exist on this machine" % SYSTEM_CA_BUNDLE)
    path = SYSTEM_CA_BUNDLE if bundle == "system" else emulator.info["ca_path"]

    run = run_playbook(
        "connected_org_sponsor_ca_path",
        extra_vars={"connected_org_sponsor_ca_path_other_bundle": SYSTEM_CA_BUNDLE},
        env={"REQUESTS_CA_BUNDLE": path, "CURL_CA_BUNDLE": path},
    )

    assert_target_passed(run, "connected_org_sponsor_ca_path")
