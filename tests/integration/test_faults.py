"""Faults of Graph and of the network, injected by the emulator, against connected_org_sponsor.

Each test adds faults to the emulator, runs one connected_org_sponsor task through
ansible-playbook, and checks that the task ends either in the requested sponsor list or in
a failure that names the cause and what was already changed. The request log shows how
often and how far apart the module retried.

Writes may reach Graph directly or as sub-requests of a JSON batch. The fault paths match
both, and the checks look at the sponsor list and at the logged sub-requests, not at how
the writes were grouped.
"""

import itertools
import threading
import time

import pytest
import yaml

import emulator_seed as seed  # tests/conftest.py puts tests/emulator on sys.path

pytestmark = pytest.mark.integration

MODULE = "entra.governance.connected_org_sponsor"
TASK = "Change the internal sponsors of Fabrikam"
GRAPH_DEFAULTS = {
    "tenant_id": "{{ emulator_tenant_id }}",
    "client_id": "{{ emulator_client_id }}",
    "client_secret": "{{ emulator_client_secret }}",
    "authority_host": "{{ emulator_login_url }}",
    "graph_endpoint": "{{ emulator_graph_url }}",
    "ca_path": "{{ emulator_ca_path }}",
}

ADD_PATH = r"/internalSponsors/\$ref$"
SPONSOR_LIST_PATH = r"/internalSponsors$"
USER_LOOKUP_PATH = r"/users$"
ORGANIZATIONS_PATH = r"/connectedOrganizations$"
PROXY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


def write_playbook(tmp_path, name="playbook.yml", **options):
    """Write a playbook with one connected_org_sponsor task on Fabrikam, with ignore_errors."""
    arguments = {"connected_organization": "Fabrikam"}
    arguments.update(options)
    play = {
        "name": "Run connected_org_sponsor against a faulty Graph emulator",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/entra.governance.graph": GRAPH_DEFAULTS},
        "tasks": [{"name": TASK, MODULE: arguments, "ignore_errors": True}],
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path


def task_result(run):
    """Return the result of the one task, with ``failed`` set from the recorded task status."""
    assert run.rc == 0, run.describe()
    entries = run.task_results(TASK)
    assert len(entries) == 1, run.describe()
    result = dict(entries[0]["result"])
    result["failed"] = entries[0]["status"] == "ignored"
    return result


def run_task(run_playbook, tmp_path, **options):
    """Run the one-task playbook and return ``(result, elapsed seconds, PlaybookRun)``."""
    playbook = write_playbook(tmp_path, **options)
    started = time.monotonic()
    run = run_playbook(playbook)
    elapsed = time.monotonic() - started
    return task_result(run), elapsed, run


def logged(emulator, method, path_suffix):
    """Return the Graph request log entries with this method whose path ends with ``path_suffix``."""
    return [
        entry
        for entry in emulator.requests()
        if entry["listener"] == "graph" and entry["method"] == method and entry["path"].endswith(path_suffix)
    ]


def token_requests(emulator):
    return [
        entry
        for entry in emulator.requests()
        if entry["listener"] == "login" and entry["path"].endswith("/oauth2/v2.0/token")
    ]


def fabrikam_sponsors(emulator):
    return sorted(emulator.organization(seed.FABRIKAM)["internalSponsors"])


def assert_grace_added(result, emulator):
    assert result["failed"] is False, result.get("msg")
    assert result["changed"] is True
    assert result["added"] == [seed.GRACE]
    assert fabrikam_sponsors(emulator) == sorted([seed.ADA, seed.GRACE])


@pytest.mark.parametrize("retry_after", ["0.3", "1"])
def test_throttle_burst_retried(run_playbook, emulator, tmp_path, retry_after):
    emulator.add_fault(method="POST", path=ADD_PATH, status=429, retry_after=retry_after, count=3)

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE])

    assert_grace_added(result, emulator)
    adds = logged(emulator, "POST", "/internalSponsors/$ref")
    assert [entry["status"] for entry in adds] == [429, 429, 429, 204]
    for earlier, later in itertools.pairwise(adds):
        assert later["time"] - earlier["time"] >= float(retry_after)
    assert emulator.faults() == []


@pytest.mark.parametrize(
    "status, retry_after",
    [(503, "0.5"), (503, None), (504, "0.5"), (504, None)],
    ids=["503-retry-after", "503-backoff", "504-retry-after", "504-backoff"],
)
def test_unavailable_retried(run_playbook, emulator, tmp_path, status, retry_after):
    fault = {"status": status, "count": 1}
    if retry_after is not None:
        fault["retry_after"] = retry_after
    emulator.add_fault(method="GET", path=SPONSOR_LIST_PATH, **fault)
    emulator.add_fault(method="POST", path=ADD_PATH, **fault)

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=["grace@contoso.example"])

    assert_grace_added(result, emulator)
    reads = logged(emulator, "GET", "/internalSponsors")
    assert [entry["status"] for entry in reads] == [status, 200]
    gap = reads[1]["time"] - reads[0]["time"]
    # Without Retry-After the first back-off is 1 to 2 s.
    assert gap >= (float(retry_after) if retry_after else 1.0)
    adds = logged(emulator, "POST", "/internalSponsors/$ref")
    assert [entry["status"] for entry in adds] == [status, 204]


def test_connection_reset_retried(run_playbook, emulator, tmp_path):
    emulator.add_fault(method="GET", path=USER_LOOKUP_PATH, action="reset", count=1)
    emulator.add_fault(method="POST", path=ADD_PATH, action="reset", count=1)

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=["grace@contoso.example"])

    assert_grace_added(result, emulator)
    # The emulator logs each reset connection once, with status None: the request itself,
    # or the batch that carried it.
    resets = [entry for entry in emulator.requests() if entry["status"] is None]
    assert len(resets) == 2
    assert [entry["status"] for entry in logged(emulator, "GET", "/users")][-1] == 200
    assert [entry["status"] for entry in logged(emulator, "POST", "/internalSponsors/$ref")][-1] == 204


def test_read_timeout_write_counted(run_playbook, emulator, tmp_path):
    """A read and a write that time out are sent again; the write that may have been made counts once."""
    # The timeout applies to the token request as well, so it leaves room for a busy machine.
    emulator.add_fault(method="GET", path=ORGANIZATIONS_PATH, action="delay", seconds=4.0, count=1)
    emulator.add_fault(method="POST", path=ADD_PATH, action="delay", seconds=3.0, count=1)

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE], timeout=2)

    assert_grace_added(result, emulator)
    assert [entry["status"] for entry in logged(emulator, "GET", "/connectedOrganizations")] == [200, 200]
    adds = logged(emulator, "POST", "/internalSponsors/$ref")
    # One attempt adds Grace (204) and the other finds her there (400). The order depends on
    # whether the retry arrives before the delayed first attempt completes. Either way the
    # first attempt was ambiguous, so the task counts the addition as its own.
    assert len(adds) == 2
    assert sorted(entry["status"] for entry in adds) == [204, 400]


def test_reset_retries_bounded(run_playbook, emulator, tmp_path):
    emulator.add_fault(method="GET", path=SPONSOR_LIST_PATH, action="reset", count=10)

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE], max_retries=2)

    assert result["failed"] is True
    assert "could not connect" in result["msg"]
    assert "list internal sponsors" in result["msg"]
    assert result["added"] == []
    assert result["changed"] is False
    assert len(logged(emulator, "GET", "/internalSponsors")) == 3
    assert fabrikam_sponsors(emulator) == [seed.ADA]


def test_retry_time_bounded(run_playbook, emulator, tmp_path):
    emulator.add_fault(method="GET", path=SPONSOR_LIST_PATH, status=429, retry_after="2", count=10)

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE], max_retry_time=3)

    assert result["failed"] is True
    assert result["http_status"] == 429
    reads = logged(emulator, "GET", "/internalSponsors")
    # One wait of 2 s fits into 3 s; a second would not.
    assert len(reads) == 2
    assert reads[1]["time"] - reads[0]["time"] >= 2.0
    assert fabrikam_sponsors(emulator) == [seed.ADA]


def test_proxy_502_retried(run_playbook, emulator, tmp_path):
    emulator.add_fault(
        method="GET", path=SPONSOR_LIST_PATH, status=502, body=PROXY_PAGE, content_type="text/html", count=1
    )

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE])

    assert_grace_added(result, emulator)
    assert [entry["status"] for entry in logged(emulator, "GET", "/internalSponsors")] == [502, 200]


def test_proxy_502_failure_message(run_playbook, emulator, tmp_path):
    emulator.add_fault(
        method="GET", path=SPONSOR_LIST_PATH, status=502, body=PROXY_PAGE, content_type="text/html", count=10
    )

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE], max_retries=1)

    assert result["failed"] is True
    assert result["http_status"] == 502
    assert "HTTP 502: the server returned an HTML page" in result["msg"]
    assert "Bad Gateway" in result["msg"]
    assert fabrikam_sponsors(emulator) == [seed.ADA]


def test_success_body_not_json(run_playbook, emulator, tmp_path):
    emulator.add_fault(
        method="GET", path=SPONSOR_LIST_PATH, status=200, body="<html>portal login</html>", content_type="text/html"
    )

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE])

    assert result["failed"] is True
    assert "list internal sponsors" in result["msg"]
    assert "the response is not JSON" in result["msg"]
    assert result["added"] == []
    assert fabrikam_sponsors(emulator) == [seed.ADA]


def test_partial_failure_names_changes(run_playbook, emulator, tmp_path):
    """Of two additions one is rejected for good; the failure message names the one that was made."""
    emulator.add_fault(method="POST", path=ADD_PATH, status=403, count=1, message="Insufficient privileges.")

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE, seed.ALAN])

    assert result["failed"] is True
    assert result["http_status"] == 403
    assert len(result["added"]) == 1
    assert result["changed"] is True
    added_id = result["added"][0]
    assert added_id in (seed.GRACE, seed.ALAN)
    assert "Already changed before the failure: added %s" % added_id in result["msg"]
    assert fabrikam_sponsors(emulator) == sorted([seed.ADA, added_id])


def test_token_expired_between_requests(run_playbook, emulator, tmp_path):
    """Tokens expire while the sponsor read is delayed; the module gets one new token and goes on."""
    emulator.add_fault(method="GET", path=SPONSOR_LIST_PATH, action="delay", seconds=2.0, count=1)
    playbook = write_playbook(tmp_path, users=[seed.GRACE])
    outcome = {}

    def run_in_thread():
        outcome["run"] = run_playbook(playbook)

    worker = threading.Thread(target=run_in_thread)
    worker.start()
    try:
        # The fault is removed when it fires, which is when the delayed read arrives.
        deadline = time.monotonic() + 120
        while emulator.faults() and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.is_alive(), "the playbook ended before its sponsor read reached the emulator"
        emulator.expire_tokens()
    finally:
        worker.join()

    run = outcome["run"]
    assert_grace_added(task_result(run), emulator)
    assert [entry["status"] for entry in token_requests(emulator)] == [200, 200]
    reads = logged(emulator, "GET", "/internalSponsors")
    assert [entry["status"] for entry in reads] == [401, 200]


def test_new_user_found_within_resolve_wait(run_playbook, emulator, tmp_path):
    """A user that appears a few seconds after the task starts is found with resolve_wait."""
    upn = "new.hire@contoso.example"
    playbook = write_playbook(tmp_path, users=[upn], resolve_wait=30)
    outcome = {}

    def run_in_thread():
        outcome["run"] = run_playbook(playbook)

    worker = threading.Thread(target=run_in_thread)
    worker.start()
    try:
        deadline = time.monotonic() + 120
        while not logged(emulator, "GET", "/users") and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.is_alive(), "the playbook ended before it looked the user up"
        created = emulator.add_user(displayName="New Hire", userPrincipalName=upn)
    finally:
        worker.join()

    result = task_result(outcome["run"])
    assert result["failed"] is False, result.get("msg")
    new_id = created["id"].lower()
    assert result["added"] == [new_id]
    assert fabrikam_sponsors(emulator) == sorted([seed.ADA, new_id])
    assert len(logged(emulator, "GET", "/users")) >= 2


def test_missing_user_fails_after_resolve_wait(run_playbook, emulator, tmp_path):
    result, elapsed, _run = run_task(run_playbook, tmp_path, users=["nobody@contoso.example"], resolve_wait=2)

    assert result["failed"] is True
    assert "no user has this userPrincipalName or mail address" in result["msg"]
    assert "still not found after waiting resolve_wait=2 s" in result["msg"]
    lookups = logged(emulator, "GET", "/users")
    assert len(lookups) >= 2
    assert lookups[-1]["time"] - lookups[0]["time"] >= 1.9
    assert fabrikam_sponsors(emulator) == [seed.ADA]


def test_missing_user_fails_at_once_by_default(run_playbook, emulator, tmp_path):
    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=["nobody@contoso.example"])

    assert result["failed"] is True
    assert "resolve_wait" not in result["msg"]
    assert len(logged(emulator, "GET", "/users")) == 1


def test_addition_not_found_within_resolve_wait(run_playbook, emulator, tmp_path):
    """Graph returns 404 for the first two additions, as for a user created moments ago."""
    emulator.add_fault(method="POST", path=ADD_PATH, status=404, code="Request_ResourceNotFound", count=2)

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE], resolve_wait=20)

    assert_grace_added(result, emulator)
    adds = logged(emulator, "POST", "/internalSponsors/$ref")
    assert [entry["status"] for entry in adds] == [404, 404, 204]
    assert adds[1]["time"] - adds[0]["time"] >= 1.0


def test_addition_not_found_fails_by_default(run_playbook, emulator, tmp_path):
    emulator.add_fault(method="POST", path=ADD_PATH, status=404, code="Request_ResourceNotFound", count=1)

    result, _elapsed, _run = run_task(run_playbook, tmp_path, users=[seed.GRACE])

    assert result["failed"] is True
    assert result["http_status"] == 404
    assert result["added"] == []
    assert fabrikam_sponsors(emulator) == [seed.ADA]
