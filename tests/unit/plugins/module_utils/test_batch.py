# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""JSON batching: chunks of 20, retries of throttled sub-requests only, batched writes and reads."""

import re
from urllib.parse import quote

import pytest
from ansible_collections.entra.governance.plugins.module_utils.batch import SubRequest, send_batch
from ansible_collections.entra.governance.plugins.module_utils.directory import (
    MAX_FILTER_LENGTH,
    Directory,
    DirectoryObject,
    _filter_chunks,
    _user_filter,
)
from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError, InvalidInputError
from ansible_collections.entra.governance.plugins.module_utils.sponsors import (
    SponsorWriteError,
    apply_plan,
    plan_changes,
)
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    USER_TYPE,
    FakeGraph,
    FakeSession,
    error_response,
    make_client,
    make_response,
)

FABRIKAM = "6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d"
ORGANIZATION = {"id": FABRIKAM, "display_name": "Fabrikam"}
SPONSORS_PATH = "/identityGovernance/entitlementManagement/connectedOrganizations/%s/internalSponsors" % FABRIKAM

_LITERAL = r"'((?:[^']|'')*)'"


def user_id(number):
    return "aaaa%04x-0000-4000-8000-%012x" % (number, number)


def literals(text):
    return [value.replace("''", "'") for value in re.findall(_LITERAL, text)]


class BatchGraph(FakeGraph):
    """FakeGraph that also serves the ``in`` filters of batched name look-ups."""

    def _find_users(self, sent):
        names = set(name.lower() for name in literals(sent.query["$filter"]))
        found = [
            item
            for item in self.objects.values()
            if item["@odata.type"] == USER_TYPE
            and ((item["userPrincipalName"] or "").lower() in names or (item["mail"] or "").lower() in names)
        ]
        return self._page(sent, found)

    def _find_groups(self, sent):
        names = set(name.lower() for name in literals(sent.query["$filter"]))
        found = [
            item
            for item in self.objects.values()
            if item["@odata.type"] != USER_TYPE and "displayName" in item and item["displayName"].lower() in names
        ]
        return self._page(sent, found)


def new_graph(users=5, sponsors=(), page_size=100):
    graph = BatchGraph(page_size=page_size, full_sponsors=True)
    for number in range(users):
        graph.add_user(user_id(number), "User %d" % number, "user%d@contoso.example" % number)
    graph.add_group("bbbb0001-0000-4000-8000-000000000001", "Legal")
    graph.add_service_principal("dddd0001-0000-4000-8000-000000000001", "App")
    graph.add_organization(FABRIKAM, "Fabrikam", internal=list(sponsors))
    return graph


def client_for(graph):
    return make_client(FakeSession(handler=graph))


def user(number):
    return DirectoryObject(user_id(number), "user", "User %d" % number, "user%d@contoso.example" % number)


# send_batch


def test_batch_splits_at_twenty():
    graph = new_graph(users=0)
    client = client_for(graph)
    subs = [SubRequest("GET", SPONSORS_PATH, "list sponsors %d" % number) for number in range(45)]

    answers = send_batch(client, subs, "list sponsors")

    assert [len(batch.body["requests"]) for batch in client.session.batches] == [20, 20, 5]
    assert all(answer.status == 200 for answer in answers)
    assert client.request_count == 3


def test_batch_urls_are_relative():
    graph = new_graph(users=0)
    client = client_for(graph)

    send_batch(client, [SubRequest("GET", "/users", "look up", params={"$filter": "mail eq 'a+b@x'"})], "look up")

    sent = client.session.batches[0].body["requests"][0]
    assert sent["url"] == "/users?$filter=%s" % quote("mail eq 'a+b@x'", safe="")
    assert client.session.batches[0].url.endswith("/v1.0/$batch")


def test_batch_retries_only_throttled():
    graph = new_graph(users=0)
    client = client_for(graph)
    throttled = {"1": "2.5", "3": "1"}
    calls = {"count": 0}

    def handler(sent):
        if getattr(sent, "batch_id", None) in throttled and calls["count"] < 2:
            calls["count"] += 1
            return error_response(
                429, "TooManyRequests", "Slow down.", headers={"Retry-After": throttled[sent.batch_id]}
            )
        return graph(sent)

    client.session.handler = handler
    subs = [SubRequest("GET", SPONSORS_PATH, "list sponsors %d" % number) for number in range(5)]

    answers = send_batch(client, subs, "list sponsors")

    first, second = client.session.batches
    assert [item["id"] for item in first.body["requests"]] == ["0", "1", "2", "3", "4"]
    assert [item["id"] for item in second.body["requests"]] == ["1", "3"]
    assert client.sleep.calls == [2.5]
    assert [answer.status for answer in answers] == [200] * 5
    assert not any(answer.ambiguous for answer in answers)


def test_batch_gives_up_after_max_retries():
    graph = new_graph(users=0)
    client = make_client(FakeSession(handler=graph), max_retries=2)

    def handler(sent):
        if getattr(sent, "batch_id", None) == "0":
            return error_response(429, "TooManyRequests", "Slow down.", headers={"Retry-After": "1"})
        return graph(sent)

    client.session.handler = handler

    answers = send_batch(client, [SubRequest("GET", SPONSORS_PATH, "list sponsors")], "list sponsors")

    assert answers[0].status == 429
    assert len(client.session.batches) == 3
    assert client.sleep.calls == [1.0, 1.0]


def test_batch_marks_503_retry_ambiguous():
    graph = new_graph(users=0)
    client = client_for(graph)
    answered = []

    def handler(sent):
        if not answered:
            answered.append(sent)
            return error_response(503, "ServiceUnavailable", "Busy.", headers={"Retry-After": "0"})
        return graph(sent)

    client.session.handler = handler

    answers = send_batch(client, [SubRequest("GET", SPONSORS_PATH, "list sponsors")], "list sponsors")

    assert answers[0].status == 200
    assert answers[0].ambiguous is True


# apply_plan


def test_apply_batches_adds_before_removes():
    current = [user(number) for number in range(40, 45)]
    graph = new_graph(users=45, sponsors=[item.id for item in current])
    client = client_for(graph)
    plan = plan_changes(current, dict((user(n).id, user(n)) for n in range(25)), "present", exclusive=True)

    added, removed = apply_plan(client, ORGANIZATION, "internal", plan)

    assert sorted(added) == sorted(user(n).id for n in range(25))
    assert sorted(removed) == sorted(item.id for item in current)
    methods = [set(item["method"] for item in batch.body["requests"]) for batch in client.session.batches]
    assert methods == [{"POST"}, {"POST"}, {"DELETE"}]
    assert graph.sponsors(FABRIKAM) == sorted(user(n).id for n in range(25))


def test_apply_reports_failed_and_not_attempted():
    graph = new_graph(users=30)
    client = client_for(graph)
    plan = plan_changes([], dict((user(n).id, user(n)) for n in range(30)), "present")
    # The plan sorts by display name: "User 0", "User 1", "User 10", ...
    failing = plan.to_add[3].id

    def handler(sent):
        if sent.method == "POST" and sent.body and sent.body.get("@odata.id", "").endswith(failing):
            return error_response(403, "Authorization_RequestDenied", "Insufficient privileges.")
        return graph(sent)

    client.session.handler = handler

    with pytest.raises(SponsorWriteError) as caught:
        apply_plan(client, ORGANIZATION, "internal", plan)

    error = caught.value
    first_batch = [sponsor.id for sponsor in plan.to_add[:20]]
    assert error.failed == [failing]
    assert sorted(error.added) == sorted(set(first_batch) - {failing})
    assert error.not_attempted == [sponsor.id for sponsor in plan.to_add[20:]]
    assert error.cause.status == 403
    assert "Not attempted: %s" % ", ".join(error.not_attempted) in str(error)
    assert len(client.session.batches) == 1


def test_apply_counts_retried_add_after_503():
    graph = new_graph(users=1)
    client = client_for(graph)
    plan = plan_changes([], {user(0).id: user(0)}, "present")
    answered = []

    def handler(sent):
        response = graph(sent)
        if not answered:
            # Graph carried out the add but returned 503; the retry then finds the sponsor.
            answered.append(sent)
            return error_response(503, "ServiceUnavailable", "Busy.", headers={"Retry-After": "0"})
        return response

    client.session.handler = handler

    added, removed = apply_plan(client, ORGANIZATION, "internal", plan)

    assert added == [user(0).id]
    assert removed == []


# read_sponsor_task


def test_read_by_id_is_one_request():
    graph = new_graph(users=3, sponsors=[user_id(0), user_id(1)])
    client = client_for(graph)

    organization, current, requested = Directory(client).read_sponsor_task(
        FABRIKAM, "internal", [user_id(0), user_id(1)], []
    )

    assert organization == {"id": FABRIKAM, "display_name": "Fabrikam"}
    assert sorted(sponsor.id for sponsor in current) == [user_id(0), user_id(1)]
    assert sorted(requested) == [user_id(0), user_id(1)]
    assert client.request_count == 1


def test_read_follows_sponsor_pages():
    graph = new_graph(users=5, sponsors=[user_id(n) for n in range(5)], page_size=2)
    client = client_for(graph)

    _organization, current, _requested = Directory(client).read_sponsor_task(FABRIKAM, "internal", [user_id(0)], [])

    assert len(current) == 5
    assert client.request_count == 3


def test_read_batches_names():
    graph = new_graph(users=60)
    client = client_for(graph)
    names = ["user%d@contoso.example" % n for n in range(60)]

    _organization, _current, requested = Directory(client).read_sponsor_task(FABRIKAM, "internal", names, ["Legal"])

    assert sorted(requested) == sorted([user_id(n) for n in range(60)] + ["bbbb0001-0000-4000-8000-000000000001"])
    assert client.request_count == 1
    lookups = [sent for sent in client.session.sent if sent.segments[-1] == "users"]
    assert 1 < len(lookups) < 60
    assert all(len(quote(sent.query["$filter"], safe="")) <= MAX_FILTER_LENGTH for sent in lookups)


def test_read_unknown_id_names_option():
    graph = new_graph(users=2)
    client = client_for(graph)
    missing = user_id(99)

    with pytest.raises(InvalidInputError) as caught:
        Directory(client).read_sponsor_task(FABRIKAM, "internal", [user_id(0), missing], [])

    assert str(caught.value) == "Invalid users[1] '%s': no user has this object id." % missing


def test_read_service_principal_rejected():
    graph = new_graph(users=0)
    client = client_for(graph)

    with pytest.raises(InvalidInputError) as caught:
        Directory(client).read_sponsor_task(FABRIKAM, "internal", [], ["dddd0001-0000-4000-8000-000000000001"])

    assert "this object is a servicePrincipal; sponsors must be users or groups" in str(caught.value)


def test_read_user_id_under_groups():
    graph = new_graph(users=1)
    client = client_for(graph)

    with pytest.raises(InvalidInputError) as caught:
        Directory(client).read_sponsor_task(FABRIKAM, "internal", [], [user_id(0)])

    assert str(caught.value) == "Invalid groups[0] '%s': this object is a user; list it under users." % user_id(0)


def test_read_guid_display_name_fallback():
    graph = new_graph(users=1)
    named = "9f9f9f9f-0000-4000-8000-000000000001"
    graph.add_organization("7b7b7b7b-0000-4000-8000-000000000001", named, internal=[user_id(0)])
    client = client_for(graph)

    organization, current, _requested = Directory(client).read_sponsor_task(named, "internal", [], [])

    assert organization["id"] == "7b7b7b7b-0000-4000-8000-000000000001"
    assert [sponsor.id for sponsor in current] == [user_id(0)]


def test_read_organization_error_raised():
    graph = new_graph(users=0)
    graph.fail("GET", FABRIKAM, error_response(403, "UnAuthorized", "Denied."))
    client = client_for(graph)

    with pytest.raises(GraphError) as caught:
        Directory(client).read_sponsor_task(FABRIKAM, "internal", [], [])

    assert caught.value.status == 403
    assert "read connected organization %s" % FABRIKAM in str(caught.value)


def test_read_unnamed_sponsors_get_names():
    graph = new_graph(users=2, sponsors=[user_id(0), user_id(1)])
    graph.full_sponsors = False
    client = client_for(graph)

    _organization, current, _requested = Directory(client).read_sponsor_task(FABRIKAM, "internal", [], [])

    assert sorted(sponsor.display_name for sponsor in current) == ["User 0", "User 1"]
    assert client.request_count == 2


# name filters


def test_filter_chunks_cover_names_once():
    names = ["o'neil.%03d@contoso.example" % n for n in range(200)] + [
        "\u674e\u5a1c%d@contoso.example" % n for n in range(50)
    ]

    chunks = _filter_chunks(names)

    assert [name for chunk in chunks for name in chunk] == names
    assert all(len(quote(_user_filter(chunk), safe="")) <= MAX_FILTER_LENGTH for chunk in chunks)


def test_user_filter_single_name_uses_eq():
    assert _user_filter(["o'brien@contoso.example"]) == (
        "userPrincipalName eq 'o''brien@contoso.example' or mail eq 'o''brien@contoso.example'"
    )


def test_user_filter_literals_round_trip():
    names = ["o'brien@contoso.example", "a'',b@contoso.example"]

    assert literals(_user_filter(names)) == names + names


def test_subresponse_error_has_request_id():
    graph = new_graph(users=0)
    client = client_for(graph)
    graph.fail("GET", "internalSponsors", error_response(404, "ResourceNotFound", "Gone.", request_id="rid-1"))

    answers = send_batch(client, [SubRequest("GET", SPONSORS_PATH, "list sponsors")], "list sponsors")
    error = answers[0].error(client, SubRequest("GET", SPONSORS_PATH, "list sponsors"))

    assert error.status == 404
    assert error.request_id == "rid-1"
    assert error.url.endswith(SPONSORS_PATH)


def test_batch_missing_answer_raises():
    client = make_client(FakeSession(responses=[make_response(200, body={"responses": []})]))

    with pytest.raises(GraphError) as caught:
        send_batch(client, [SubRequest("GET", SPONSORS_PATH, "list sponsors")], "list sponsors")

    assert "no answer for 1 of its 1 requests" in str(caught.value)
