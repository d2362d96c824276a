# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import collections

import pytest
from ansible_collections.entra.governance.plugins.module_utils.directory import DirectoryObject
from ansible_collections.entra.governance.plugins.module_utils.errors import InvalidInputError, PartialChangeError
from ansible_collections.entra.governance.plugins.module_utils.sponsors import (
    apply_plan,
    diff_text,
    plan_changes,
    relies_on_absence,
)
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    GRAPH_URL,
    ORGANIZATIONS_URL,
    FakeGraph,
    FakeSession,
    error_response,
    make_client,
)

ADA = "0c5c6c5e-2d8a-4c29-9d6e-5a1f8c0b7e11"
GRACE = "1d6d7d6f-3e9b-4d3a-8e7f-6b2a9d1c8f22"
LINUS = "2e7e8e70-4fac-4e4b-9f80-7c3bae2d9033"
LEGAL = "3f8f9f81-50bd-4f5c-a091-8d4cbf3ea144"
FABRIKAM = "6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d"
ORGANIZATION = {"id": FABRIKAM, "display_name": "Fabrikam"}

OBJECTS = {
    ADA: DirectoryObject(ADA, "user", "Ada Lovelace", "ada@contoso.example"),
    GRACE: DirectoryObject(GRACE, "user", "Grace Hopper", "grace@contoso.example"),
    LINUS: DirectoryObject(LINUS, "user", "Linus", "linus@contoso.example"),
    LEGAL: DirectoryObject(LEGAL, "group", "Legal"),
}


def objects(*ids):
    return [OBJECTS[object_id] for object_id in ids]


def requested(*ids):
    return {object_id: OBJECTS[object_id] for object_id in ids}


def ids(sponsors):
    return sorted(sponsor.id for sponsor in sponsors)


# plan_changes


@pytest.mark.parametrize(
    "current, wanted, state, exclusive, allow_empty, to_add, to_remove",
    [
        pytest.param([ADA, LEGAL], [ADA, GRACE], "present", False, False, [GRACE], [], id="present-adds-missing"),
        pytest.param([ADA, LEGAL], [ADA], "present", False, False, [], [], id="present-already"),
        pytest.param([], [ADA, LEGAL], "present", False, False, [ADA, LEGAL], [], id="present-to-empty-list"),
        pytest.param([ADA], [], "present", False, False, [], [], id="present-nothing-listed"),
        pytest.param([ADA, LEGAL, GRACE], [ADA], "present", True, False, [], [LEGAL, GRACE], id="exclusive-removes"),
        pytest.param([ADA, LEGAL], [GRACE, LEGAL], "present", True, False, [GRACE], [ADA], id="exclusive-swaps"),
        pytest.param([ADA], [ADA], "present", True, False, [], [], id="exclusive-already"),
        pytest.param([ADA, LEGAL], [], "present", True, True, [], [ADA, LEGAL], id="exclusive-allowed-empty"),
        pytest.param([], [], "present", True, False, [], [], id="exclusive-already-empty"),
        pytest.param([ADA, LEGAL], [ADA, GRACE], "absent", False, False, [], [ADA], id="absent-removes-listed"),
        pytest.param([ADA], [GRACE], "absent", False, False, [], [], id="absent-not-sponsor"),
        pytest.param([ADA, LEGAL], [], "absent", False, False, [], [], id="absent-nothing-listed"),
    ],
)
def test_plan_table(current, wanted, state, exclusive, allow_empty, to_add, to_remove):
    plan = plan_changes(objects(*current), requested(*wanted), state, exclusive, allow_empty)

    assert ids(plan.to_add) == sorted(to_add)
    assert ids(plan.to_remove) == sorted(to_remove)
    assert plan.changes is bool(to_add or to_remove)


def test_plan_ids_case_insensitive():
    current = [DirectoryObject.from_graph({"@odata.type": "#microsoft.graph.user", "id": ADA.upper()})]

    plan = plan_changes(current, requested(ADA), "present", exclusive=True)

    assert plan.to_add == []
    assert plan.to_remove == []


def test_plan_after_list():
    plan = plan_changes(objects(LINUS, LEGAL), requested(ADA, GRACE), "present", exclusive=True)

    assert [sponsor.display_name for sponsor in plan.after] == ["Ada Lovelace", "Grace Hopper"]
    assert [sponsor.display_name for sponsor in plan.before] == ["Legal", "Linus"]


def test_plan_sorted_by_name_then_id():
    twin = DirectoryObject("00000000-0000-0000-0000-000000000001", "user", "ada lovelace")

    plan = plan_changes([], {twin.id: twin, ADA: OBJECTS[ADA]}, "present")

    assert [sponsor.id for sponsor in plan.after] == [twin.id, ADA]


def test_exclusive_absent_rejected():
    with pytest.raises(InvalidInputError) as caught:
        plan_changes(objects(ADA), requested(ADA), "absent", exclusive=True)

    assert "exclusive=true works only with state=present" in str(caught.value)


@pytest.mark.parametrize("count", [1, 3])
def test_exclusive_to_empty_rejected(count):
    current = objects(ADA, LEGAL, GRACE)[:count]

    with pytest.raises(InvalidInputError) as caught:
        plan_changes(current, {}, "present", exclusive=True)

    assert str(caught.value).startswith(f"Refusing to remove all {count} sponsors")
    assert "allow_no_sponsors=true" in str(caught.value)


@pytest.mark.parametrize(
    "current, wanted, exclusive, expected",
    [
        ((ADA,), (ADA,), False, False),
        ((ADA, GRACE), (GRACE, ADA), False, False),
        ((), (), False, False),
        ((ADA,), (GRACE,), False, True),
        ((ADA,), (ADA, LEGAL), False, True),
        ((ADA,), (ADA,), True, True),
        ((), (), True, True),
    ],
)
def test_relies_on_absence(current, wanted, exclusive, expected):
    assert relies_on_absence(objects(*current), requested(*wanted), exclusive) is expected


def test_invalid_state_rejected():
    with pytest.raises(InvalidInputError) as caught:
        plan_changes([], {}, "gone")

    assert str(caught.value) == "Invalid state 'gone': expected present or absent."


# apply_plan against the fake Graph


@pytest.fixture
def graph():
    fake = FakeGraph()
    for object_id, found in OBJECTS.items():
        if found.type == "user":
            fake.add_user(object_id, found.display_name, found.user_principal_name)
        else:
            fake.add_group(object_id, found.display_name)
    fake.add_organization(FABRIKAM, "Fabrikam", internal=[ADA, LEGAL], external=[LINUS])
    return fake


Applied = collections.namedtuple("Applied", "added removed sent log")


def apply(graph, plan, sponsor_type="internal", api_version="v1.0"):
    """Run apply_plan against the fake Graph and return what it added and removed, the requests and the log."""
    client = make_client(FakeSession(handler=graph), api_version=api_version)
    added, removed = apply_plan(client, ORGANIZATION, sponsor_type, plan)
    return Applied(added, removed, client.session.sent, client.log.calls)


def test_apply_adds_then_removes(graph):
    plan = plan_changes(objects(ADA, LEGAL), requested(GRACE, ADA), "present", exclusive=True)

    applied = apply(graph, plan)

    assert [sent.method for sent in applied.sent] == ["POST", "DELETE"]
    assert applied.added == [GRACE]
    assert applied.removed == [LEGAL]
    assert graph.sponsors(FABRIKAM) == sorted([ADA, GRACE])


def test_apply_request_urls(graph):
    plan = plan_changes(objects(ADA), requested(GRACE), "present", exclusive=True)

    applied = apply(graph, plan)

    assert applied.sent[0].url == f"{ORGANIZATIONS_URL}/{FABRIKAM}/internalSponsors/$ref"
    assert applied.sent[1].url == f"{ORGANIZATIONS_URL}/{FABRIKAM}/internalSponsors/{ADA}/$ref"


def test_apply_external_urls(graph):
    plan = plan_changes(objects(LINUS), requested(ADA), "present", exclusive=True)

    applied = apply(graph, plan, sponsor_type="external")

    assert applied.sent[0].url == f"{ORGANIZATIONS_URL}/{FABRIKAM}/externalSponsors/$ref"
    assert applied.sent[1].url == f"{ORGANIZATIONS_URL}/{FABRIKAM}/externalSponsors/{LINUS}/$ref"
    assert graph.sponsors(FABRIKAM, "external") == [ADA]


@pytest.mark.parametrize(
    "api_version, object_id, reference",
    [
        ("v1.0", GRACE, f"{GRAPH_URL}/v1.0/users/{GRACE}"),
        ("v1.0", LEGAL, f"{GRAPH_URL}/v1.0/groups/{LEGAL}"),
        ("beta", GRACE, f"{GRAPH_URL}/beta/users/{GRACE}"),
    ],
)
def test_apply_reference_body(graph, api_version, object_id, reference):
    plan = plan_changes([], requested(object_id), "present")

    applied = apply(graph, plan, api_version=api_version)

    assert applied.sent[0].body == {"@odata.id": reference}


def test_apply_added_by_someone_else(graph):
    plan = plan_changes(objects(ADA), requested(ADA, GRACE, LINUS), "present")
    graph.organizations[FABRIKAM]["internal"].append(GRACE)

    applied = apply(graph, plan)

    assert applied.added == [LINUS]
    assert len(applied.sent) == 2
    assert len(applied.log) == 1
    assert GRACE in applied.log[0]
    assert "HTTP 400" in applied.log[0]


def test_apply_conflict_skipped(graph):
    graph.fail("POST", "$ref", error_response(409, "Conflict", "Conflict."))
    plan = plan_changes([], requested(GRACE, LINUS), "present")

    applied = apply(graph, plan)

    assert applied.added == [LINUS]


def test_apply_removed_by_someone_else(graph):
    plan = plan_changes(objects(ADA, LEGAL), requested(ADA, LEGAL), "absent")
    graph.organizations[FABRIKAM]["internal"].remove(ADA)

    applied = apply(graph, plan)

    assert applied.removed == [LEGAL]
    assert len(applied.sent) == 2


@pytest.mark.parametrize(
    "message",
    [
        (
            "One or more removed object references do not exist for the following modified properties: "
            "'internalSponsors'."
        ),
        "Reference does not exist.",
    ],
)
def test_apply_remove_gone_400(graph, message):
    graph.fail("DELETE", "$ref", error_response(400, "Request_BadRequest", message))
    plan = plan_changes(objects(ADA, LEGAL), requested(ADA, LEGAL), "absent")

    applied = apply(graph, plan)

    assert applied.removed == [LEGAL]


def test_apply_failure_reports_progress(graph):
    denied = error_response(403, "UnAuthorized", "User is not authorized to perform the operation.", request_id="r-403")
    plan = plan_changes(objects(ADA, LEGAL), requested(GRACE), "present", exclusive=True)
    graph.fail("DELETE", "$ref", denied)

    with pytest.raises(PartialChangeError) as caught:
        apply(graph, plan)

    # Both removals share one batch, so the second one still runs after the first fails.
    error = caught.value
    assert error.added == [GRACE]
    assert error.removed == [LEGAL]
    assert error.failed == [ADA]
    assert error.cause.status == 403
    assert error.to_result()["request_id"] == "r-403"
    assert f"Already changed before the failure: added {GRACE}; removed {LEGAL}" in str(error)


def test_apply_failure_after_removal(graph):
    plan = plan_changes(objects(ADA, LEGAL), requested(GRACE), "present", exclusive=True)
    graph.organizations[FABRIKAM]["internal"].append(GRACE)

    def legal_delete_fails(sent):
        if sent.method == "DELETE" and LEGAL in sent.url:
            return error_response(500, "InternalServerError", "Unexpected error.")
        return graph(sent)

    session = FakeSession(handler=legal_delete_fails)
    with pytest.raises(PartialChangeError) as caught:
        apply_plan(make_client(session), ORGANIZATION, "internal", plan)

    assert caught.value.added == []
    assert caught.value.removed == [ADA]
    assert caught.value.to_result()["changed"] is True


@pytest.mark.parametrize(
    "response",
    [
        error_response(
            404,
            "Request_ResourceNotFound",
            "Resource 'x' does not exist or one of its queried reference-property objects are not present.",
        ),
        error_response(400, "Request_BadRequest", "Invalid object identifier."),
        error_response(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    ],
)
def test_apply_add_failure_raises(graph, response):
    graph.fail("POST", "$ref", response)
    plan = plan_changes([], requested(GRACE), "present")

    with pytest.raises(PartialChangeError) as caught:
        apply(graph, plan)

    assert caught.value.added == []
    assert caught.value.cause.status == response.status_code
    assert (
        f"add user Grace Hopper <grace@contoso.example> ({GRACE}) as internal sponsor of connected organization "
        "'Fabrikam'" in str(caught.value)
    )


def test_apply_nothing_to_do(graph):
    plan = plan_changes(objects(ADA), requested(ADA), "present")

    applied = apply(graph, plan)

    assert (applied.added, applied.removed) == ([], [])
    assert applied.sent == []


# diff and results


def test_diff_text():
    text = diff_text(objects(ADA, LEGAL) + [DirectoryObject(GRACE, "unknown")])

    assert text == (
        f"user Ada Lovelace <ada@contoso.example> ({ADA})\ngroup Legal ({LEGAL})\nunknown (no display name) ({GRACE})\n"
    )


def test_diff_text_empty():
    assert diff_text([]) == ""


def test_result_user():
    assert OBJECTS[ADA].to_result() == {
        "id": ADA,
        "type": "user",
        "display_name": "Ada Lovelace",
        "user_principal_name": "ada@contoso.example",
    }


def test_result_group():
    assert OBJECTS[LEGAL].to_result() == {"id": LEGAL, "type": "group", "display_name": "Legal"}


def test_apply_add_after_503_counted(graph):
    # The 503 stands for an attempt that Graph carried out before failing to respond:
    # the sponsor is already there when the retry arrives.
    graph.fail("POST", "$ref", error_response(503, "ServiceUnavailable", "Service unavailable."))
    graph.organizations[FABRIKAM]["internal"].append(GRACE)
    plan = plan_changes(objects(ADA), requested(ADA, GRACE), "present")

    applied = apply(graph, plan)

    assert applied.added == [GRACE]
    assert len(applied.sent) == 2
    assert "Counted as added" in applied.log[-1]


def test_apply_add_after_429_skipped(graph):
    # A throttled attempt was not carried out, so "already exist" on the retry means
    # someone else added the sponsor.
    graph.fail("POST", "$ref", error_response(429, "TooManyRequests", "Too many requests."))
    graph.organizations[FABRIKAM]["internal"].append(GRACE)
    plan = plan_changes(objects(ADA), requested(ADA, GRACE), "present")

    applied = apply(graph, plan)

    assert applied.added == []
    assert len(applied.sent) == 2


def test_apply_remove_after_504_counted(graph):
    graph.fail("DELETE", "$ref", error_response(504, "GatewayTimeout", "Gateway timeout."))
    graph.organizations[FABRIKAM]["internal"].remove(LEGAL)
    plan = plan_changes(objects(ADA, LEGAL), requested(LEGAL), "absent")

    applied = apply(graph, plan)

    assert applied.removed == [LEGAL]
    assert "Counted as removed" in applied.log[-1]
