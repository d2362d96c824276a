# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.entra.governance.plugins.module_utils import organizations
from ansible_collections.entra.governance.plugins.module_utils.directory import Directory
from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError, InvalidInputError
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    ORGANIZATIONS_URL,
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
FABRIKAM = "6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d"
WOODGROVE = "7b5ff800-4d7f-4047-8bc2-1f5d6b804d3e"
NORTHWIND_EU = "8c6a0911-5e80-4158-9cd3-2a6e7c915e4f"
NORTHWIND_ASIA = "9d7b1a22-6f91-4269-8de4-3b7f8da26f50"
TAILSPIN = "ae8c2b33-70a2-437a-9ef5-4c80a9eb7061"

FABRIKAM_TENANT = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
TENANT_SOURCE = {
    "@odata.type": "#microsoft.graph.azureActiveDirectoryTenant",
    "tenantId": FABRIKAM_TENANT,
    "displayName": "Fabrikam",
}
DOMAIN_SOURCE = {
    "@odata.type": "#microsoft.graph.domainIdentitySource",
    "domainName": "woodgrove.example",
    "displayName": "Woodgrove Bank",
}
FEDERATION_SOURCE = {
    "@odata.type": "#microsoft.graph.externalDomainFederation",
    "domainName": "tailspintoys.example",
    "displayName": "Tailspin Toys",
    "issuerUri": "https://sts.tailspintoys.example/adfs/services/trust",
}


@pytest.fixture
def graph():
    fake = FakeGraph()
    fake.add_user(ADA, "Ada Lovelace", "ada@contoso.example", "ada@contoso.example")
    fake.add_user(GRACE, "Grace Hopper", "grace@contoso.example", "grace@contoso.example")
    fake.add_user(LINUS, "Linus", "linus_fabrikam.example#EXT#@contoso.example", "linus@fabrikam.example")
    fake.add_group(LEGAL, "Legal")
    fake.add_organization(
        WOODGROVE, "Woodgrove Bank", internal=[LEGAL, GRACE, ADA], external=[LINUS], source=DOMAIN_SOURCE
    )
    fake.add_organization(FABRIKAM, "Fabrikam", internal=[ADA], description="Fabrikam, Inc.", source=TENANT_SOURCE)
    # Added in the reverse order of their ids, which break the tie of their shared name.
    fake.add_organization(NORTHWIND_ASIA, "Northwind Traders", description="Asia", source=DOMAIN_SOURCE)
    fake.add_organization(NORTHWIND_EU, "Northwind Traders", description="Europe", source=DOMAIN_SOURCE)
    fake.add_organization(TAILSPIN, "Tailspin Toys", state="proposed", source=FEDERATION_SOURCE)
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


def writes(directory):
    return directory.client.session.writes()


def invalid_input(call, *args):
    with pytest.raises(InvalidInputError) as caught:
        call(*args)
    return str(caught.value)


def options(**values):
    """Return the connected_org module's parameters with every option unset but those given."""
    params = dict(id=None, display_name=None, description=None, org_state=None, identity_source=None, state="present")
    params.update(values)
    return params


def tenant_option(tenant_id=FABRIKAM_TENANT, display_name=None):
    return {"tenant_id": tenant_id, "domain_name": None, "display_name": display_name}


def domain_option(domain_name, display_name=None):
    return {"tenant_id": None, "domain_name": domain_name, "display_name": display_name}


# Result shapes


def test_result_of_tenant_organization(graph):
    item = graph.organization_item(FABRIKAM)
    item["id"] = FABRIKAM.upper()

    result = organizations.organization_result(item)

    assert result == {
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


def test_result_of_federation_source():
    result = organizations.identity_source_result(FEDERATION_SOURCE)

    assert result == {
        "type": "externalDomainFederation",
        "domain_name": "tailspintoys.example",
        "display_name": "Tailspin Toys",
        "issuer_uri": "https://sts.tailspintoys.example/adfs/services/trust",
    }


def test_result_without_sources_or_id():
    result = organizations.organization_result({"id": None, "displayName": "New", "identitySources": None})

    assert result["id"] is None
    assert result["identity_sources"] == []
    assert result["created"] is None


def test_result_keeps_unknown_source_type():
    source = {"@odata.type": "#other.namespace.source", "someProperty": "x", "@odata.id": "ignored"}

    assert organizations.identity_source_result(source) == {"type": "#other.namespace.source", "some_property": "x"}


def test_diff_view_drops_timestamps(graph):
    result = organizations.organization_result(graph.organization_item(FABRIKAM))

    view = organizations.diff_view(result)

    assert sorted(view) == ["description", "display_name", "id", "identity_sources", "org_state"]
    assert organizations.diff_view(None) == {}


# Reading


def test_read_all_pages_sorted(graph):
    directory = directory_over(graph)

    items = organizations.read_organizations(directory)

    assert [item["id"] for item in items] == [FABRIKAM, NORTHWIND_EU, NORTHWIND_ASIA, TAILSPIN, WOODGROVE]
    # Five organizations at two per page: three requests, the later two through @odata.nextLink.
    pages = sent_requests(directory)
    assert len(pages) == 3
    assert [sent.query.get("$skiptoken") for sent in pages] == [None, "2", "4"]
    assert "$filter" not in pages[0].query


def test_read_by_id(graph):
    directory = directory_over(graph)

    items = organizations.read_organizations(directory, FABRIKAM.upper())

    assert [item["id"] for item in items] == [FABRIKAM]
    assert sent_requests(directory)[0].url == f"{ORGANIZATIONS_URL}/{FABRIKAM.upper()}"


def test_read_shared_name_returns_each(graph):
    directory = directory_over(graph)

    items = organizations.read_organizations(directory, "Northwind Traders")

    assert [item["description"] for item in items] == ["Europe", "Asia"]
    assert sent_requests(directory)[0].query == {"$filter": "displayName eq 'Northwind Traders'"}


def test_read_unknown_name_empty(graph):
    directory = directory_over(graph)

    assert organizations.read_organizations(directory, "Adventure Works") == []


def test_read_unknown_id_tries_name(graph):
    directory = directory_over(graph)
    unknown = "00000000-0000-4000-8000-000000000000"

    items = organizations.read_organizations(directory, unknown)

    assert items == []
    assert [sent.url.split("?")[0] for sent in sent_requests(directory)] == [
        f"{ORGANIZATIONS_URL}/{unknown}",
        ORGANIZATIONS_URL,
    ]


def test_read_reference_checked():
    directory = directory_over([])

    message = invalid_input(organizations.read_organizations, directory, " ")

    assert message == "Invalid connected_organization ' ': the value is empty."
    assert sent_requests(directory) == []


def test_sponsors_of_organization(graph):
    directory = directory_over(graph)

    result = organizations.organization_sponsors(directory, graph.organization_item(WOODGROVE))

    assert result == {
        "id": WOODGROVE,
        "display_name": "Woodgrove Bank",
        "internal_sponsors": [
            {"id": ADA, "type": "user", "display_name": "Ada Lovelace", "user_principal_name": "ada@contoso.example"},
            {
                "id": GRACE,
                "type": "user",
                "display_name": "Grace Hopper",
                "user_principal_name": "grace@contoso.example",
            },
            {"id": LEGAL, "type": "group", "display_name": "Legal"},
        ],
        "external_sponsors": [
            {
                "id": LINUS,
                "type": "user",
                "display_name": "Linus",
                "user_principal_name": "linus_fabrikam.example#EXT#@contoso.example",
            }
        ],
    }
    # Three internal sponsors at two per page: both pages were read.
    internal_reads = [sent for sent in sent_requests(directory) if sent.segments[-1] == "internalSponsors"]
    assert len(internal_reads) == 2


# The organization that connected_org manages


def test_find_by_id(graph):
    directory = directory_over(graph)

    item = organizations.find_for_update(directory, organization_id=FABRIKAM)

    assert item["displayName"] == "Fabrikam"
    assert len(sent_requests(directory)) == 1


def test_find_by_missing_id(graph):
    directory = directory_over(graph)

    assert organizations.find_for_update(directory, organization_id=GRACE, display_name="Fabrikam") is None
    # The display name is the new name then, not a second way to look the organization up.
    assert len(sent_requests(directory)) == 1


def test_find_by_id_refused():
    directory = directory_over([error_response(403, "UnAuthorized", "User is not authorized.")])

    with pytest.raises(GraphError) as caught:
        organizations.find_for_update(directory, organization_id=FABRIKAM)

    assert caught.value.status == 403


def test_find_by_name(graph):
    directory = directory_over(graph)

    item = organizations.find_for_update(directory, display_name="Woodgrove Bank")

    assert item["id"] == WOODGROVE


def test_find_by_missing_name(graph):
    directory = directory_over(graph)

    assert organizations.find_for_update(directory, display_name="Adventure Works") is None


def test_find_ambiguous_name(graph):
    directory = directory_over(graph)

    message = invalid_input(organizations.find_for_update, directory, None, "Northwind Traders")

    assert message == (
        "Connected organization 'Northwind Traders' is ambiguous: 2 connected organizations have this display name "
        f"(ids {NORTHWIND_EU}, {NORTHWIND_ASIA}); set id to choose one."
    )


def test_find_name_of_other_case(graph):
    directory = directory_over(graph)

    item = organizations.find_for_update(directory, display_name="FABRIKAM")

    assert item["id"] == FABRIKAM


# Options


@pytest.mark.parametrize(
    "values, expected",
    [
        (
            {"id": "Fabrikam"},
            "Invalid id 'Fabrikam': expected the object id of a connected organization, a GUID such as "
            "6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d.",
        ),
        ({"display_name": "  "}, "Invalid display_name '  ': the value is empty."),
        ({"display_name": "Fab\nrikam"}, "Invalid display_name 'Fab\\nrikam': the value contains control characters."),
        (
            {"display_name": "Fabrikam", "identity_source": tenant_option("fabrikam.com")},
            "Invalid identity_source.tenant_id 'fabrikam.com': expected the directory (tenant) id of the other "
            "organization's Microsoft Entra tenant, a GUID.",
        ),
        (
            {"display_name": "Fabrikam", "identity_source": domain_option("fabrikam com")},
            "Invalid identity_source.domain_name 'fabrikam com': expected a DNS domain name such as fabrikam.com.",
        ),
        (
            {"display_name": "Fabrikam", "identity_source": domain_option(" ")},
            "Invalid identity_source.domain_name ' ': expected a DNS domain name such as fabrikam.com.",
        ),
    ],
)
def test_invalid_options(values, expected):
    assert invalid_input(organizations.check_options, options(**values)) == expected


def test_valid_options_pass():
    organizations.check_options(
        options(id=FABRIKAM.upper(), display_name="Fabrikam", identity_source=domain_option("fabrikam.com"))
    )


def test_tenant_source_body():
    body = organizations.identity_source_body(tenant_option(display_name="Fabrikam"))

    assert body == TENANT_SOURCE


def test_domain_source_body_without_name():
    body = organizations.identity_source_body(domain_option(" woodgrove.example "))

    assert body == {"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "woodgrove.example"}


# Identity source of an existing organization


def test_same_source_other_case(graph):
    item = graph.organization_item(FABRIKAM)

    organizations.check_identity_source(item, tenant_option(FABRIKAM_TENANT.upper()))
    organizations.check_identity_source(item, tenant_option(display_name="Fabrikam"))


def test_source_name_compared_when_set(graph):
    item = graph.organization_item(FABRIKAM)

    message = invalid_input(organizations.check_identity_source, item, tenant_option(display_name="Fabrikam Ltd"))

    assert message.startswith(f"Invalid identity_source for connected organization 'Fabrikam' ({FABRIKAM}): ")
    assert "display_name Fabrikam Ltd" in message


def test_source_of_other_type_fails(graph):
    item = graph.organization_item(FABRIKAM)

    message = invalid_input(organizations.check_identity_source, item, domain_option("fabrikam.example"))

    assert message == (
        f"Invalid identity_source for connected organization 'Fabrikam' ({FABRIKAM}): the organization's identity "
        f"source is azureActiveDirectoryTenant (display_name Fabrikam, tenant_id {FABRIKAM_TENANT}), not "
        "domainIdentitySource (domain_name fabrikam.example). Graph cannot change the identity source of an existing "
        "organization: remove identity_source from the task, or delete the organization and create it again."
    )


def test_source_of_organization_without_sources():
    item = {"id": FABRIKAM, "displayName": "Fabrikam", "identitySources": []}

    message = invalid_input(organizations.check_identity_source, item, tenant_option())

    assert "the organization's identity source is none, not" in message


# Bodies


def test_creation_body_defaults():
    body = organizations.creation_body(options(display_name="Adatum", identity_source=domain_option("adatum.example")))

    assert body == {
        "displayName": "Adatum",
        "description": "",
        "identitySources": [{"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "adatum.example"}],
        "state": "configured",
    }


def test_creation_body_all_options():
    params = options(
        display_name="Fabrikam",
        description="Partner",
        org_state="proposed",
        identity_source=tenant_option(display_name="Fabrikam"),
    )

    body = organizations.creation_body(params)

    assert body == {
        "displayName": "Fabrikam",
        "description": "Partner",
        "identitySources": [TENANT_SOURCE],
        "state": "proposed",
    }


def test_creation_with_id_refused():
    message = invalid_input(organizations.creation_body, options(id=FABRIKAM, identity_source=tenant_option()))

    assert message == (
        f"Connected organization {FABRIKAM} not found, and it cannot be created with a given id: omit id and set "
        "display_name and identity_source to create it."
    )


def test_creation_needs_display_name_without_id():
    message = invalid_input(organizations.creation_body, options(identity_source=tenant_option()))

    assert message == "Invalid options: set display_name to create a connected organization."


def test_creation_needs_identity_source():
    message = invalid_input(organizations.creation_body, options(display_name="Adatum"))

    assert message == "Connected organization 'Adatum' not found: set identity_source to create it."


def test_update_body_only_differences(graph):
    item = graph.organization_item(FABRIKAM)

    body = organizations.update_body(
        item, options(display_name="Fabrikam", description="Partner", org_state="proposed")
    )

    assert body == {"description": "Partner", "state": "proposed"}


def test_update_body_unset_options_kept(graph):
    item = graph.organization_item(FABRIKAM)

    assert organizations.update_body(item, options(id=FABRIKAM)) == {}


def test_update_body_empty_description_equal(graph):
    item = graph.organization_item(TAILSPIN)

    assert item["description"] is None
    assert organizations.update_body(item, options(description="")) == {}


def test_update_body_renames(graph):
    item = graph.organization_item(FABRIKAM)

    assert organizations.update_body(item, options(id=FABRIKAM, display_name="FABRIKAM")) == {"displayName": "FABRIKAM"}


def test_planned_item(graph):
    item = graph.organization_item(FABRIKAM)

    planned = organizations.planned_item(item, {"state": "proposed"})

    assert planned["state"] == "proposed"
    assert planned["displayName"] == "Fabrikam"
    assert item["state"] == "configured"


# Writes


def test_create_sends_post(graph):
    directory = directory_over(graph)
    body = organizations.creation_body(options(display_name="Adatum", identity_source=domain_option("adatum.example")))

    created = organizations.create(directory.client, body)

    [sent] = writes(directory)
    assert sent.method == "POST"
    assert sent.url == ORGANIZATIONS_URL
    assert sent.body == body
    assert graph.organization_item(created["id"])["displayName"] == "Adatum"


def test_create_without_id_in_response():
    directory = directory_over([make_response(201, body={"displayName": "Adatum"})])

    with pytest.raises(GraphError) as caught:
        organizations.create(directory.client, {"displayName": "Adatum"})

    assert "unknown whether the organization was created" in str(caught.value)


@pytest.mark.parametrize("status", [202, 204])
def test_update_accepts_202_and_204(graph, status):
    graph.patch_status = status
    directory = directory_over(graph)
    item = graph.organization_item(FABRIKAM)

    organizations.update(directory.client, item, {"state": "proposed"})

    [sent] = writes(directory)
    assert sent.method == "PATCH"
    assert sent.url == f"{ORGANIZATIONS_URL}/{FABRIKAM}"
    assert sent.body == {"state": "proposed"}
    assert graph.organization_item(FABRIKAM)["state"] == "proposed"
    assert graph.sponsors(FABRIKAM) == [ADA]


def test_update_failure_names_organization(graph):
    graph.fail("PATCH", FABRIKAM, error_response(403, "UnAuthorized", "Not allowed.", request_id="r-patch"))
    directory = directory_over(graph)

    with pytest.raises(GraphError) as caught:
        organizations.update(directory.client, graph.organization_item(FABRIKAM), {"description": "x", "state": "y"})

    assert str(caught.value).startswith(
        f"Failed to update description, state of connected organization 'Fabrikam' ({FABRIKAM}): HTTP 403"
    )


def test_delete(graph):
    directory = directory_over(graph)

    deleted = organizations.delete(directory.client, graph.organization_item(FABRIKAM))

    assert deleted is True
    assert FABRIKAM not in graph.organizations
    assert [(sent.method, sent.url) for sent in writes(directory)] == [("DELETE", f"{ORGANIZATIONS_URL}/{FABRIKAM}")]


def test_delete_already_gone(graph):
    item = graph.organization_item(FABRIKAM)
    del graph.organizations[FABRIKAM]
    directory = directory_over(graph)

    assert organizations.delete(directory.client, item) is False
    assert "already deleted" in directory.client.log.calls[-1]


def test_delete_gone_after_retry_counts(graph):
    # The first attempt gets 503 and may have deleted the organization; the retry finds it gone.
    item = graph.organization_item(FABRIKAM)
    del graph.organizations[FABRIKAM]
    graph.fail("DELETE", FABRIKAM, error_response(503, "ServiceUnavailable", "Try again."))
    directory = directory_over(graph)

    assert organizations.delete(directory.client, item) is True
    assert [sent.method for sent in writes(directory)] == ["DELETE", "DELETE"]
    assert "Counted as deleted" in directory.client.log.calls[-1]


def test_delete_refused(graph):
    graph.fail("DELETE", FABRIKAM, error_response(403, "UnAuthorized", "Not allowed."))
    directory = directory_over(graph)

    with pytest.raises(GraphError) as caught:
        organizations.delete(directory.client, graph.organization_item(FABRIKAM))

    assert caught.value.status == 403
    assert FABRIKAM in graph.organizations
