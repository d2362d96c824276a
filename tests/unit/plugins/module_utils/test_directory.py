# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.entra.governance.plugins.module_utils import directory as directory_utils
from ansible_collections.entra.governance.plugins.module_utils.directory import Directory, check_references
from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError, InvalidInputError
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    API_ROOT,
    GROUP_TYPE,
    ORGANIZATIONS_URL,
    USER_TYPE,
    FakeGraph,
    FakeSession,
    error_response,
    make_client,
    make_response,
)

ADA = "0c5c6c5e-2d8a-4c29-9d6e-5a1f8c0b7e11"
GRACE = "1d6d7d6f-3e9b-4d3a-8e7f-6b2a9d1c8f22"
LINUS = "2e7e8e70-4fac-4e4b-9f80-7c3bae2d9033"
LEGAL = "3f8f9f81-50bd-4f5c-a091-8d4cbf3ea144"
PARTNERS = "4090a092-61ce-406d-b1a2-9e5dd04fb255"
ROBOT = "51a1b1a3-72df-417e-82b3-af6ee150c366"
FABRIKAM = "6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d"
WOODGROVE = "7b5ff800-4d7f-4047-8bc2-1f5d6b804d3e"


@pytest.fixture
def graph():
    fake = FakeGraph()
    fake.add_user(ADA, "Ada Lovelace", "ada@contoso.example", "ada@contoso.example")
    fake.add_user(GRACE, "Grace O'Brien", "o'brien@contoso.example", "grace@contoso.example")
    fake.add_user(LINUS, "Linus", "linus_fabrikam.example#EXT#@contoso.onmicrosoft.com", "linus@fabrikam.example")
    fake.add_group(LEGAL, "Legal")
    fake.add_group(PARTNERS, "Fabrikam Partner Managers")
    fake.add_service_principal(ROBOT, "deploy robot")
    fake.add_organization(FABRIKAM, "Fabrikam", internal=[ADA, LEGAL, GRACE], external=[LINUS])
    return fake


def directory_over(handler_or_responses):
    """Return a Directory over a fake session that responds through a handler or from a list of responses."""
    if callable(handler_or_responses):
        session = FakeSession(handler=handler_or_responses)
    else:
        session = FakeSession(handler_or_responses)
    return Directory(make_client(session))


def sent_requests(directory):
    return directory.client.session.sent


def invalid_input(call, *args):
    with pytest.raises(InvalidInputError) as caught:
        call(*args)
    return str(caught.value)


# check_references


@pytest.mark.parametrize(
    "option, references, expected",
    [
        ("users", [""], "Invalid users[0] '': the value is empty."),
        ("users", ["ada@contoso.example", "   "], "Invalid users[1] '   ': the value is empty."),
        ("groups", [None], "Invalid groups[0] '': the value is empty."),
        (
            "users",
            ["ada\x00@contoso.example"],
            ("Invalid users[0] 'ada\\x00@contoso.example': the value contains control characters."),
        ),
        ("groups", ["Legal\n"], "Invalid groups[0] 'Legal\\n': the value contains control characters."),
        ("groups", ["Le\tgal"], "Invalid groups[0] 'Le\\tgal': the value contains control characters."),
        ("groups", ["Legal\x7f"], "Invalid groups[0] 'Legal\\x7f': the value contains control characters."),
        (
            "users",
            ["ada"],
            ("Invalid users[0] 'ada': expected a user object id, a userPrincipalName or a mail address."),
        ),
        (
            "users",
            ["Ada Lovelace"],
            ("Invalid users[0] 'Ada Lovelace': expected a user object id, a userPrincipalName or a mail address."),
        ),
        (
            "users",
            ["ada lovelace@contoso.example"],
            (
                "Invalid users[0] 'ada lovelace@contoso.example': expected a "
                "user object id, a userPrincipalName or a mail address."
            ),
        ),
        (
            "users",
            [" ada@contoso.example"],
            (
                "Invalid users[0] ' ada@contoso.example': expected a user object id, a "
                "userPrincipalName or a mail address."
            ),
        ),
        (
            "users",
            [f"{{{ADA}}}"],
            (f"Invalid users[0] '{{{ADA}}}': expected a user object id, a userPrincipalName or a mail address."),
        ),
    ],
)
def test_check_references_rejects(option, references, expected):
    assert invalid_input(check_references, option, references) == expected


def test_check_references_too_long():
    value = "g" * 257

    message = invalid_input(check_references, "groups", [value])

    assert message.startswith("Invalid groups[0] '%s...': the value is 257 characters long" % ("g" * 40))


@pytest.mark.parametrize(
    "option, references",
    [
        ("users", []),
        ("users", [ADA, ADA.upper(), "Ada@Contoso.Example", "linus_fabrikam.example#EXT#@contoso.onmicrosoft.com"]),
        ("users", ["o'brien@contoso.example", "ada+test@contoso.example"]),
        ("groups", ["Fabrikam Partner Managers", "R&D", LEGAL.upper(), "g" * 256]),
        ("groups", ["Legal (EU)", "Zoë's team"]),
    ],
)
def test_check_references_accepts(option, references):
    check_references(option, references)


# Users and groups by object id


def test_user_by_id(graph):
    directory = directory_over(graph)

    resolved = directory.resolve([ADA.upper()], [])

    assert list(resolved) == [ADA]
    assert resolved[ADA].type == "user"
    assert resolved[ADA].display_name == "Ada Lovelace"
    assert resolved[ADA].user_principal_name == "ada@contoso.example"
    assert sent_requests(directory)[0].url == f"{API_ROOT}/directoryObjects/{ADA.upper()}"


def test_group_by_id(graph):
    directory = directory_over(graph)

    resolved = directory.resolve([], [LEGAL])

    assert resolved[LEGAL].type == "group"
    assert resolved[LEGAL].display_name == "Legal"


def test_group_listed_as_user(graph):
    directory = directory_over(graph)

    message = invalid_input(directory.resolve, [LEGAL], [])

    assert message == f"Invalid users[0] '{LEGAL}': this object is a group; list it under groups."


def test_user_listed_as_group(graph):
    directory = directory_over(graph)

    message = invalid_input(directory.resolve, [], ["Legal", ADA])

    assert message == f"Invalid groups[1] '{ADA}': this object is a user; list it under users."


def test_service_principal_rejected(graph):
    directory = directory_over(graph)

    message = invalid_input(directory.resolve, [ROBOT], [])

    assert message == (
        f"Invalid users[0] '{ROBOT}': this object is a servicePrincipal; sponsors must be users or groups."
    )


def test_unknown_id(graph):
    directory = directory_over(graph)
    missing = "99999999-9999-4999-8999-999999999999"

    message = invalid_input(directory.resolve, [], [missing])

    assert message == f"Invalid groups[0] '{missing}': no group has this object id."


def test_id_lookup_refused():
    denied = error_response(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    directory = directory_over([denied])

    with pytest.raises(GraphError) as caught:
        directory.resolve([ADA], [])

    assert caught.value.status == 403
    assert caught.value.operation == f"read directory object {ADA}"


# Users by UPN or mail


def test_user_filter_quotes(graph):
    directory = directory_over(graph)

    resolved = directory.resolve(["o'brien@contoso.example"], [])

    assert list(resolved) == [GRACE]
    assert sent_requests(directory)[0].query["$filter"] == (
        "userPrincipalName eq 'o''brien@contoso.example' or mail eq 'o''brien@contoso.example'"
    )
    assert sent_requests(directory)[0].query["$select"] == "id,displayName,userPrincipalName,mail"


def test_user_filter_encoded(graph):
    directory = directory_over(graph)

    directory.resolve(["o'brien@contoso.example"], [])

    assert sent_requests(directory)[0].url == (
        API_ROOT + "/users?$filter=userPrincipalName%20eq%20%27o%27%27brien%40contoso.example%27%20or%20mail%20eq"
        "%20%27o%27%27brien%40contoso.example%27&$select=id%2CdisplayName%2CuserPrincipalName%2Cmail"
    )


def test_guest_upn(graph):
    directory = directory_over(graph)

    resolved = directory.resolve(["linus_fabrikam.example#EXT#@contoso.onmicrosoft.com"], [])

    assert list(resolved) == [LINUS]
    assert "%23EXT%23" in sent_requests(directory)[0].raw_query


def test_user_by_mail(graph):
    directory = directory_over(graph)

    resolved = directory.resolve(["grace@contoso.example"], [])

    assert list(resolved) == [GRACE]


def test_user_not_found(graph):
    directory = directory_over(graph)

    message = invalid_input(directory.resolve, ["nobody@contoso.example"], [])

    assert message == "Invalid users[0] 'nobody@contoso.example': no user has this userPrincipalName or mail address."


def user(object_id, upn, mail):
    return {"@odata.type": USER_TYPE, "id": object_id, "displayName": upn, "userPrincipalName": upn, "mail": mail}


def test_user_mail_ambiguous():
    answer = make_response(
        200,
        body={
            "value": [
                user(GRACE, "g1@contoso.example", "team@contoso.example"),
                user(ADA, "g2@contoso.example", "team@contoso.example"),
            ]
        },
    )
    directory = directory_over([answer])

    message = invalid_input(directory.resolve, ["team@contoso.example"], [])

    assert message == (
        f"Invalid users[0] 'team@contoso.example': 2 users have this mail address (ids {ADA}, {GRACE}); use the "
        "object id or userPrincipalName instead."
    )


def test_user_upn_beats_mail():
    answer = make_response(
        200,
        body={
            "value": [
                user(GRACE, "grace@contoso.example", "ada@contoso.example"),
                user(ADA, "Ada@Contoso.Example", "ada.l@contoso.example"),
            ]
        },
    )
    directory = directory_over([answer])

    resolved = directory.resolve(["ada@contoso.example"], [])

    assert list(resolved) == [ADA]


# Groups by display name


def group(object_id, name):
    return {"@odata.type": GROUP_TYPE, "id": object_id, "displayName": name}


def test_group_by_name(graph):
    directory = directory_over(graph)

    resolved = directory.resolve([], ["Fabrikam Partner Managers"])

    assert list(resolved) == [PARTNERS]
    assert sent_requests(directory)[0].query == {
        "$filter": "displayName eq 'Fabrikam Partner Managers'",
        "$select": "id,displayName",
    }


def test_group_exact_case_preferred():
    answer = make_response(200, body={"value": [group(LEGAL, "Legal"), group(PARTNERS, "legal")]})
    directory = directory_over([answer])

    resolved = directory.resolve([], ["legal"])

    assert list(resolved) == [PARTNERS]


def test_group_other_case_accepted():
    directory = directory_over([make_response(200, body={"value": [group(LEGAL, "Legal")]})])

    resolved = directory.resolve([], ["LEGAL"])

    assert list(resolved) == [LEGAL]


def test_group_ambiguous():
    answer = make_response(200, body={"value": [group(PARTNERS, "Legal"), group(LEGAL, "Legal")]})
    directory = directory_over([answer])

    message = invalid_input(directory.resolve, [], ["Legal"])

    assert message == (
        f"Invalid groups[0] 'Legal': 2 groups have this display name (ids {LEGAL}, {PARTNERS}); use the object id "
        "instead."
    )


def test_group_not_found(graph):
    directory = directory_over(graph)

    message = invalid_input(directory.resolve, [], ["Accounting"])

    assert message == "Invalid groups[0] 'Accounting': no group has this display name."


def test_duplicates_kept_once(graph):
    directory = directory_over(graph)

    resolved = directory.resolve([ADA, "ada@contoso.example", ADA.upper()], ["Legal", LEGAL])

    assert sorted(resolved) == sorted([ADA, LEGAL])


def test_references_checked_first(graph):
    directory = directory_over(graph)

    invalid_input(directory.resolve, ["ada@contoso.example"], ["bad\x01name"])

    assert sent_requests(directory) == []


# Connected organizations


def test_organization_by_id(graph):
    directory = directory_over(graph)

    organization = directory.find_connected_organization(FABRIKAM.upper())

    assert organization == {"id": FABRIKAM, "display_name": "Fabrikam"}
    assert sent_requests(directory)[0].url == f"{ORGANIZATIONS_URL}/{FABRIKAM.upper()}"


def test_organization_by_name(graph):
    directory = directory_over(graph)

    organization = directory.find_connected_organization("Fabrikam")

    assert organization == {"id": FABRIKAM, "display_name": "Fabrikam"}
    assert sent_requests(directory)[0].query == {"$filter": "displayName eq 'Fabrikam'"}


def test_organization_name_quoted(graph):
    graph.add_organization(WOODGROVE, "O'Neil Partners")
    directory = directory_over(graph)

    organization = directory.find_connected_organization("O'Neil Partners")

    assert organization["id"] == WOODGROVE
    assert sent_requests(directory)[0].query == {"$filter": "displayName eq 'O''Neil Partners'"}


def test_organization_id_falls_back_to_name(graph):
    graph.add_organization(WOODGROVE, ADA)
    directory = directory_over(graph)

    organization = directory.find_connected_organization(ADA)

    assert organization == {"id": WOODGROVE, "display_name": ADA}
    assert [sent.url.split("?")[0] for sent in sent_requests(directory)] == [
        f"{ORGANIZATIONS_URL}/{ADA}",
        ORGANIZATIONS_URL,
    ]


def test_organization_not_found(graph):
    directory = directory_over(graph)

    message = invalid_input(directory.find_connected_organization, WOODGROVE)

    assert message == (
        f"Connected organization '{WOODGROVE}' not found: no connected organization has this object id or display name."
    )


def test_organization_id_refused():
    denied = error_response(403, "UnAuthorized", "User is not authorized to perform the operation.")
    directory = directory_over([denied])

    with pytest.raises(GraphError) as caught:
        directory.find_connected_organization(FABRIKAM)

    assert caught.value.code == "UnAuthorized"
    assert len(sent_requests(directory)) == 1


def test_organization_ambiguous():
    answer = make_response(
        200, body={"value": [{"id": WOODGROVE, "displayName": "Fabrikam"}, {"id": FABRIKAM, "displayName": "Fabrikam"}]}
    )
    directory = directory_over([answer])

    message = invalid_input(directory.find_connected_organization, "Fabrikam")

    assert message == (
        "Connected organization 'Fabrikam' is ambiguous: 2 connected organizations have this display "
        f"name (ids {FABRIKAM}, {WOODGROVE}); use the object id instead."
    )


def test_organization_exact_case_preferred():
    answer = make_response(
        200, body={"value": [{"id": WOODGROVE, "displayName": "FABRIKAM"}, {"id": FABRIKAM, "displayName": "Fabrikam"}]}
    )
    directory = directory_over([answer])

    assert directory.find_connected_organization("Fabrikam")["id"] == FABRIKAM


@pytest.mark.parametrize(
    "reference, expected",
    [
        ("", "Invalid connected_organization '': the value is empty."),
        ("  ", "Invalid connected_organization '  ': the value is empty."),
        ("Fab\nrikam", "Invalid connected_organization 'Fab\\nrikam': the value contains control characters."),
    ],
)
def test_organization_reference_checked(reference, expected):
    directory = directory_over([])

    message = invalid_input(directory.find_connected_organization, reference)

    assert message == expected
    assert sent_requests(directory) == []


# Current sponsors


def test_sponsors_names_filled(graph):
    directory = directory_over(graph)

    sponsors = directory.list_sponsors(FABRIKAM, "internal")

    assert [(s.id, s.type, s.display_name) for s in sponsors] == [
        (ADA, "user", "Ada Lovelace"),
        (LEGAL, "group", "Legal"),
        (GRACE, "user", "Grace O'Brien"),
    ]
    assert sponsors[0].user_principal_name == "ada@contoso.example"


def test_sponsors_pages_and_lookup(graph):
    directory = directory_over(graph)

    directory.list_sponsors(FABRIKAM, "internal")

    assert [(sent.method, sent.segments[-1]) for sent in sent_requests(directory)] == [
        ("GET", "internalSponsors"),
        ("GET", "internalSponsors"),
        ("POST", "getByIds"),
    ]
    assert sent_requests(directory)[2].body == {"ids": [ADA, LEGAL, GRACE], "types": ["user", "group"]}


def test_sponsors_named_no_lookup(graph):
    graph.full_sponsors = True
    directory = directory_over(graph)

    sponsors = directory.list_sponsors(FABRIKAM, "internal")

    assert [sent.method for sent in sent_requests(directory)] == ["GET", "GET"]
    assert [s.display_name for s in sponsors] == ["Ada Lovelace", "Legal", "Grace O'Brien"]


def test_sponsors_lookup_only_missing():
    listing = make_response(
        200,
        body={
            "value": [
                {"@odata.type": USER_TYPE, "id": ADA, "displayName": "Ada Lovelace"},
                {"id": LEGAL},
            ]
        },
    )
    names = make_response(200, body={"value": [group(LEGAL, "Legal")]})
    directory = directory_over([listing, names])

    sponsors = directory.list_sponsors(FABRIKAM, "external")

    assert sent_requests(directory)[0].url == f"{ORGANIZATIONS_URL}/{FABRIKAM}/externalSponsors"
    assert sent_requests(directory)[1].body["ids"] == [LEGAL]
    assert [(s.type, s.display_name) for s in sponsors] == [("user", "Ada Lovelace"), ("group", "Legal")]


def test_sponsors_lookup_chunked(graph, monkeypatch):
    monkeypatch.setattr(directory_utils, "GET_BY_IDS_CHUNK", 2)
    directory = directory_over(graph)

    directory.list_sponsors(FABRIKAM, "internal")

    lookups = [sent.body["ids"] for sent in sent_requests(directory) if sent.method == "POST"]
    assert lookups == [[ADA, LEGAL], [GRACE]]


def test_sponsors_empty(graph):
    graph.add_organization(WOODGROVE, "Woodgrove")
    directory = directory_over(graph)

    assert directory.list_sponsors(WOODGROVE, "internal") == []
    assert len(sent_requests(directory)) == 1


# Sponsor listings that another client changes between two pages

KATHERINE = "62b2c2b4-83e0-428f-93c4-b07ff261d477"
EDSGER = "73c3d3c5-94f1-4390-a4d5-c180a372e588"


def sponsor_reads(directory):
    return [sent for sent in sent_requests(directory) if sent.segments[-1] == "internalSponsors"]


def remove_once(graph, object_id):
    """Return an action that removes one internal sponsor of Fabrikam the first time it is called."""

    def action():
        if object_id in graph.organizations[FABRIKAM]["internal"]:
            graph.organizations[FABRIKAM]["internal"].remove(object_id)

    return action


@pytest.fixture
def five_sponsors(graph):
    graph.add_user(KATHERINE, "Katherine Johnson", "katherine@contoso.example")
    graph.add_user(EDSGER, "Edsger Dijkstra", "edsger@contoso.example")
    graph.organizations[FABRIKAM]["internal"] = [ADA, LEGAL, GRACE, KATHERINE, EDSGER]
    graph.full_sponsors = True
    return graph


def test_torn_listing_skips_sponsor(five_sponsors):
    # Why settle_sponsors exists: a removal between pages 1 and 2 shifts the later sponsors
    # forward by one, so the listing never shows GRACE although she stays a sponsor.
    five_sponsors.after("GET", "internalSponsors", remove_once(five_sponsors, ADA))
    directory = directory_over(five_sponsors)

    sponsors = directory.list_sponsors(FABRIKAM, "internal")

    assert [sponsor.id for sponsor in sponsors] == [ADA, LEGAL, KATHERINE, EDSGER]
    assert directory.sponsor_pages == 2


def test_settle_reads_until_two_agree(five_sponsors):
    five_sponsors.after("GET", "internalSponsors", remove_once(five_sponsors, ADA))
    directory = directory_over(five_sponsors)
    first = directory.list_sponsors(FABRIKAM, "internal")

    settled = directory.settle_sponsors(FABRIKAM, "internal", first)

    assert [sponsor.id for sponsor in settled] == [LEGAL, GRACE, KATHERINE, EDSGER]
    # 2 pages for the torn listing, then two listings of 2 pages that agree.
    assert len(sponsor_reads(directory)) == 2 + 2 + 2
    assert directory.client.log.calls == [
        "The internal sponsor list of connected organization %s took 2 pages, so another run may have "
        "changed it between them: reading it again to confirm (read 1 of at most 3)." % FABRIKAM,
        "The internal sponsor list of connected organization %s took 2 pages, so another run may have "
        "changed it between them: reading it again to confirm (read 2 of at most 3)." % FABRIKAM,
    ]


def test_settle_sees_removed_and_added_back(graph):
    # Two torn reads with the same set of ids: ADA is removed during the first read and
    # added back at the end after it, then GRACE is removed during the second read. Both
    # reads skip LEGAL, but ADA's new place makes them differ.
    graph.add_user(KATHERINE, "Katherine Johnson", "katherine@contoso.example")
    graph.organizations[FABRIKAM]["internal"] = [ADA, GRACE, LEGAL, KATHERINE]
    graph.full_sponsors = True
    graph.page_size = 1
    listing = graph.organizations[FABRIKAM]["internal"]
    pages_served = []
    changes = {2: lambda: listing.remove(ADA), 3: lambda: listing.append(ADA), 4: lambda: listing.remove(GRACE)}

    def other_runs():
        pages_served.append(1)
        change = changes.get(len(pages_served))
        if change:
            change()

    graph.after("GET", "internalSponsors", other_runs)
    directory = directory_over(graph)
    first = directory.list_sponsors(FABRIKAM, "internal")

    settled = directory.settle_sponsors(FABRIKAM, "internal", first)

    assert [sponsor.id for sponsor in first] == [ADA, GRACE, KATHERINE]
    assert [sponsor.id for sponsor in settled] == [LEGAL, KATHERINE, ADA]


def test_settle_unchanged_list_reads_once(five_sponsors):
    directory = directory_over(five_sponsors)
    first = directory.list_sponsors(FABRIKAM, "internal")

    settled = directory.settle_sponsors(FABRIKAM, "internal", first)

    assert [sponsor.id for sponsor in settled] == [ADA, LEGAL, GRACE, KATHERINE, EDSGER]
    assert len(sponsor_reads(directory)) == 3 + 3


def test_settle_trusts_single_page(five_sponsors):
    five_sponsors.after("GET", "internalSponsors", remove_once(five_sponsors, ADA))
    five_sponsors.page_size = 4
    directory = directory_over(five_sponsors)
    first = directory.list_sponsors(FABRIKAM, "internal")

    settled = directory.settle_sponsors(FABRIKAM, "internal", first)

    # The first listing took 2 pages; the second fits on one page and is therefore whole.
    assert [sponsor.id for sponsor in settled] == [LEGAL, GRACE, KATHERINE, EDSGER]
    assert len(sponsor_reads(directory)) == 2 + 1


def test_settle_gives_union_of_changing_reads(five_sponsors, monkeypatch):
    monkeypatch.setattr(directory_utils, "MAX_SETTLE_READS", 2)
    listing = five_sponsors.organizations[FABRIKAM]["internal"]
    newcomers = []

    def another_run():
        # Another run replaces the first sponsor with a new user after every page of every read.
        newcomer = "%08x-0000-4000-8000-000000000000" % len(newcomers)
        five_sponsors.add_user(newcomer, "Newcomer %d" % len(newcomers), "new%d@contoso.example" % len(newcomers))
        newcomers.append(newcomer)
        listing.pop(0)
        listing.append(newcomer)

    five_sponsors.after("GET", "internalSponsors", another_run)
    directory = directory_over(five_sponsors)
    first = directory.list_sponsors(FABRIKAM, "internal")
    last_read = []
    original_list = directory.list_sponsors

    def list_and_keep(*args):
        last_read[:] = original_list(*args)
        return last_read

    monkeypatch.setattr(directory, "list_sponsors", list_and_keep)

    settled = directory.settle_sponsors(FABRIKAM, "internal", first)

    settled_ids = [sponsor.id for sponsor in settled]
    assert len(settled_ids) == len(set(settled_ids))
    assert set(sponsor.id for sponsor in first) | set(sponsor.id for sponsor in last_read) <= set(settled_ids)
    assert set(settled_ids) <= {ADA, LEGAL, GRACE, KATHERINE, EDSGER} | set(newcomers)
    assert directory.client.log.calls[-1] == (
        "The internal sponsor list of connected organization %s changed between each of 3 reads: planning with "
        "every sponsor seen in any of them." % FABRIKAM
    )
