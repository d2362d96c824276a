# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import json
import types

import pytest
from ansible_collections.entra.governance.plugins.module_utils import auth, common, graph
from ansible_collections.entra.governance.plugins.modules import connected_org_sponsor
from ansible_collections.entra.governance.tests.unit import module_runner
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    GRAPH_URL,
    LOGIN_URL,
    FakeGraph,
    FakeSession,
    error_response,
    make_client,
    make_fake_msal_application,
)
from ansible_collections.entra.governance.tests.unit.module_runner import CONNECTION, SECRET, TENANT

ADA = "0c5c6c5e-2d8a-4c29-9d6e-5a1f8c0b7e11"
GRACE = "1d6d7d6f-3e9b-4d3a-8e7f-6b2a9d1c8f22"
LINUS = "2e7e8e70-4fac-4e4b-9f80-7c3bae2d9033"
LEGAL = "3f8f9f81-50bd-4f5c-a091-8d4cbf3ea144"
FABRIKAM = "6a4ee7ff-3c6e-4f36-9ab1-0e4c5a7f3c2d"

ADA_RESULT = {"id": ADA, "type": "user", "display_name": "Ada Lovelace", "user_principal_name": "ada@contoso.example"}
GRACE_RESULT = {
    "id": GRACE,
    "type": "user",
    "display_name": "Grace Hopper",
    "user_principal_name": "grace@contoso.example",
}


def new_graph():
    fake = FakeGraph()
    fake.add_user(ADA, "Ada Lovelace", "ada@contoso.example", "ada@contoso.example")
    fake.add_user(GRACE, "Grace Hopper", "grace@contoso.example", "grace@contoso.example")
    fake.add_user(LINUS, "Linus", "linus@contoso.example")
    fake.add_group(LEGAL, "Legal")
    fake.add_organization(FABRIKAM, "Fabrikam", internal=[ADA, LEGAL], external=[LINUS])
    return fake


def module_args(**options):
    args = dict(CONNECTION, connected_organization="Fabrikam")
    args.update(options)
    return args


def run_module(capsys, args, session=None):
    """Run the module's main() with these arguments and return a ModuleRun."""
    return module_runner.run_module(connected_org_sponsor.main, capsys, args, session)


@pytest.fixture
def fake_graph_client(monkeypatch):
    """Make GraphModule.graph_client() return a GraphClient over a FakeSession.

    Returns a function that installs a FakeGraph and returns that session.
    """

    def install(fake):
        session = FakeSession(handler=fake)
        monkeypatch.setattr(common.GraphModule, "graph_client", lambda module: make_client(session))
        return session

    return install


def run_on(capsys, install, fake, **options):
    """Run the module against the FakeGraph ``fake`` with module_args(**options)."""
    session = install(fake)
    return run_module(capsys, module_args(**options), session)


def without_invocation(result):
    return {key: value for key, value in result.items() if key != "invocation"}


# Successful runs


def test_adds_and_removes(capsys, fake_graph_client):
    fake = new_graph()

    run = run_on(capsys, fake_graph_client, fake, users=["grace@contoso.example", ADA], exclusive=True)

    assert run.exit_code == 0
    assert run.result["changed"] is True
    assert run.result["added"] == [GRACE]
    assert run.result["removed"] == [LEGAL]
    assert run.result["sponsors"] == [ADA_RESULT, GRACE_RESULT]
    assert run.result["connected_organization"] == {"id": FABRIKAM, "display_name": "Fabrikam"}
    assert run.result["sponsor_type"] == "internal"
    assert fake.sponsors(FABRIKAM) == sorted([ADA, GRACE])


def test_external_untouched(capsys, fake_graph_client):
    fake = new_graph()

    run_on(capsys, fake_graph_client, fake, users=[GRACE], exclusive=True)

    assert fake.sponsors(FABRIKAM, "external") == [LINUS]


def test_second_run_unchanged(capsys, fake_graph_client):
    fake = new_graph()
    run_on(capsys, fake_graph_client, fake, users=[GRACE])

    run = run_on(capsys, fake_graph_client, fake, users=[GRACE])

    assert run.result["changed"] is False
    assert run.result["added"] == []
    assert run.session.writes() == []


def test_absent_removes(capsys, fake_graph_client):
    fake = new_graph()

    run = run_on(capsys, fake_graph_client, fake, groups=["Legal"], state="absent")

    assert run.result["removed"] == [LEGAL]
    assert run.result["sponsors"] == [ADA_RESULT]
    assert fake.sponsors(FABRIKAM) == [ADA]


@pytest.mark.parametrize(
    "options",
    [
        {"users": ["grace@contoso.example"], "exclusive": True},
        {"groups": ["Legal"], "users": [ADA], "state": "absent"},
        {"users": [ADA], "groups": ["Legal"]},
        {"exclusive": True, "allow_no_sponsors": True},
        {"users": [LINUS], "sponsor_type": "external", "exclusive": True},
    ],
)
def test_check_mode_matches_real_run(capsys, fake_graph_client, options):
    checked = new_graph()
    check_run = run_on(capsys, fake_graph_client, checked, _ansible_check_mode=True, **options)
    real_run = run_on(capsys, fake_graph_client, new_graph(), **options)

    assert check_run.session.writes() == []
    assert checked.organizations == new_graph().organizations
    assert without_invocation(check_run.result) == without_invocation(real_run.result)


def test_check_mode_reports_change(capsys, fake_graph_client):
    run = run_on(capsys, fake_graph_client, new_graph(), users=[GRACE], _ansible_check_mode=True)

    assert run.result["changed"] is True
    assert run.result["added"] == [GRACE]


def test_diff_output(capsys, fake_graph_client):
    run = run_on(capsys, fake_graph_client, new_graph(), users=[GRACE, ADA], exclusive=True, _ansible_diff=True)

    assert run.result["diff"] == {
        "before": f"user Ada Lovelace <ada@contoso.example> ({ADA})\ngroup Legal ({LEGAL})\n",
        "after": (
            f"user Ada Lovelace <ada@contoso.example> ({ADA})\nuser Grace Hopper <grace@contoso.example> ({GRACE})\n"
        ),
        "before_header": "internal sponsors of connected organization 'Fabrikam'",
        "after_header": "internal sponsors of connected organization 'Fabrikam'",
    }


def test_diff_in_check_mode(capsys, fake_graph_client):
    run = run_on(
        capsys,
        fake_graph_client,
        new_graph(),
        groups=["Legal"],
        state="absent",
        _ansible_diff=True,
        _ansible_check_mode=True,
    )

    assert run.result["diff"]["after"] == f"user Ada Lovelace <ada@contoso.example> ({ADA})\n"


def test_no_diff_by_default(capsys, fake_graph_client):
    run = run_on(capsys, fake_graph_client, new_graph(), users=[GRACE])

    assert "diff" not in run.result


# A sponsor list that another run changes while this one reads its pages


def torn_graph():
    """Return a Graph whose first sponsor listing skips GRACE, as another run removes ADA after page 1.

    The list is ADA, LEGAL, GRACE, LINUS in pages of 2: page 2 starts at the third sponsor of
    the shortened list, LINUS, so GRACE never shows although she stays a sponsor.
    """
    fake = new_graph()
    fake.organizations[FABRIKAM]["internal"] = [ADA, LEGAL, GRACE, LINUS]

    def another_run():
        if ADA in fake.organizations[FABRIKAM]["internal"]:
            fake.organizations[FABRIKAM]["internal"].remove(ADA)

    fake.after("GET", "internalSponsors", another_run)
    return fake


def sponsor_listings(session):
    return [sent for sent in session.sent if sent.method == "GET" and sent.segments[-1] == "internalSponsors"]


def test_torn_listing_absent_removes(capsys, fake_graph_client):
    fake = torn_graph()

    run = run_on(capsys, fake_graph_client, fake, users=[GRACE], state="absent")

    assert run.result["changed"] is True
    assert run.result["removed"] == [GRACE]
    assert fake.sponsors(FABRIKAM) == sorted([LEGAL, LINUS])
    # The torn listing, then two that agree: 2 pages each.
    assert len(sponsor_listings(run.session)) == 6


def test_torn_listing_check_mode(capsys, fake_graph_client):
    run = run_on(capsys, fake_graph_client, torn_graph(), users=[GRACE], state="absent", _ansible_check_mode=True)

    assert run.result["changed"] is True
    assert run.result["removed"] == [GRACE]
    assert run.session.writes() == []


def test_torn_listing_exclusive_removes(capsys, fake_graph_client):
    fake = torn_graph()

    run = run_on(capsys, fake_graph_client, fake, users=[LINUS], groups=["Legal"], exclusive=True)

    assert run.result["removed"] == [GRACE]
    assert run.result["added"] == []
    assert fake.sponsors(FABRIKAM) == sorted([LEGAL, LINUS])


@pytest.mark.parametrize("check_mode", [False, True])
def test_torn_listing_present_unchanged(capsys, fake_graph_client, check_mode):
    fake = torn_graph()

    run = run_on(capsys, fake_graph_client, fake, users=[GRACE], _ansible_check_mode=check_mode, _ansible_diff=True)

    assert run.result["changed"] is False
    assert run.result["added"] == []
    assert run.result["diff"]["before"] == run.result["diff"]["after"]
    assert run.session.writes() == []
    assert fake.sponsors(FABRIKAM) == sorted([LEGAL, GRACE, LINUS])


@pytest.mark.parametrize("options", [{"groups": ["Legal"], "state": "absent"}, {"users": [LINUS]}])
def test_listed_sponsors_found_read_once(capsys, fake_graph_client, options):
    run = run_on(capsys, fake_graph_client, torn_graph(), **options)

    assert len(sponsor_listings(run.session)) == 2


# Failures


def test_graph_failure_fields(capsys, fake_graph_client):
    fake = new_graph()
    fake.fail(
        "POST",
        "$ref",
        error_response(403, "UnAuthorized", "User is not authorized to perform the operation.", request_id="r-403"),
    )

    run = run_on(capsys, fake_graph_client, fake, users=[GRACE])

    assert run.exit_code == 1
    assert run.result["failed"] is True
    assert run.result["changed"] is False
    assert run.result["http_status"] == 403
    assert run.result["error_code"] == "UnAuthorized"
    assert run.result["request_id"] == "r-403"
    assert run.result["added"] == []
    assert run.result["removed"] == []
    assert run.result["msg"].startswith(
        f"Failed to add user Grace Hopper <grace@contoso.example> ({GRACE}) as internal "
        "sponsor of connected organization 'Fabrikam': HTTP 403 UnAuthorized"
    )
    assert "request-id r-403" in run.result["msg"]


def test_partial_failure_reports_added(capsys, fake_graph_client):
    fake = new_graph()
    fake.fail("DELETE", "$ref", error_response(403, "UnAuthorized", "Not allowed.", request_id="r-del"))

    run = run_on(capsys, fake_graph_client, fake, users=[ADA, GRACE], exclusive=True)

    assert run.exit_code == 1
    assert run.result["changed"] is True
    assert run.result["added"] == [GRACE]
    assert run.result["removed"] == []
    assert run.result["request_id"] == "r-del"


def test_read_failure(capsys, fake_graph_client):
    fake = new_graph()
    fake.fail("GET", "internalSponsors", error_response(403, "UnAuthorized", "Not allowed.", request_id="r-get"))

    run = run_on(capsys, fake_graph_client, fake, users=[GRACE])

    assert run.result["failed"] is True
    assert run.result["http_status"] == 403
    assert run.result["request_id"] == "r-get"
    assert run.session.writes() == []


def test_unknown_user_fails_before_writes(capsys, fake_graph_client):
    run = run_on(capsys, fake_graph_client, new_graph(), users=[GRACE, "nobody@contoso.example"])

    assert run.result["failed"] is True
    assert run.result["msg"] == (
        "Invalid users[1] 'nobody@contoso.example': no user has this userPrincipalName or mail address."
    )
    assert run.result["added"] == []
    assert run.session.writes() == []


def test_exclusive_absent_fails(capsys, fake_graph_client):
    run = run_on(capsys, fake_graph_client, new_graph(), users=[ADA], state="absent", exclusive=True)

    assert run.result["failed"] is True
    assert "exclusive=true works only with state=present" in run.result["msg"]
    assert run.session.writes() == []


def test_exclusive_empty_fails(capsys, fake_graph_client):
    fake = new_graph()

    run = run_on(capsys, fake_graph_client, fake, exclusive=True)

    assert run.result["failed"] is True
    assert run.result["msg"].startswith("Refusing to remove all 2 sponsors")
    assert fake.sponsors(FABRIKAM) == sorted([ADA, LEGAL])


def test_unknown_organization_fails(capsys, fake_graph_client):
    run = run_on(capsys, fake_graph_client, new_graph(), connected_organization="Contoso", users=[ADA])

    assert run.result["msg"].startswith("Connected organization 'Contoso' not found")


# The real graph_client(), with msal and the session faked


@pytest.fixture
def fake_connection(monkeypatch):
    """Fake msal and the HTTP session under the real GraphModule.graph_client().

    Returns a namespace: ``msal`` is the stand-in application class, ``graph`` the FakeGraph,
    ``session`` the session, ``session_options`` the build_session() arguments and
    ``logged`` the module's log messages.
    """
    connection = types.SimpleNamespace(
        msal=make_fake_msal_application(), graph=new_graph(), session_options=[], logged=[]
    )
    connection.session = FakeSession(handler=connection.graph)

    def build_session(ca_path=None, validate_certs=True, timeout=None):
        connection.session_options.append((ca_path, validate_certs, timeout))
        return connection.session

    def log(module, message, log_args=None):
        connection.logged.append(message)

    monkeypatch.setattr(auth.msal_library(), "ConfidentialClientApplication", connection.msal)
    monkeypatch.setattr(graph, "build_session", build_session)
    monkeypatch.setattr(common.GraphModule, "log", log)
    return connection


def test_secret_option_masked(capsys, fake_connection):
    fake_connection.graph.fail("POST", "$ref", error_response(400, "Request_BadRequest", f"Invalid value '{SECRET}'."))

    run = run_module(capsys, module_args(users=[GRACE]))

    assert run.result["failed"] is True
    assert fake_connection.msal.created[0].kwargs["client_credential"] == SECRET
    assert SECRET not in run.output


def test_env_secret_masked(capsys, fake_connection, monkeypatch):
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    fake_connection.graph.fail("POST", "$ref", error_response(400, "Request_BadRequest", f"Invalid value '{SECRET}'."))
    args = module_args(users=[GRACE])
    del args["client_secret"]

    run = run_module(capsys, args)

    assert run.result["failed"] is True
    assert fake_connection.msal.created[0].kwargs["client_credential"] == SECRET
    assert SECRET not in run.output


def test_secret_not_in_success(capsys, fake_connection):
    run = run_module(capsys, module_args(users=[GRACE], _ansible_diff=True))

    assert run.result["changed"] is True
    assert SECRET not in run.output
    assert not any(SECRET in message for message in fake_connection.logged)


def test_token_sent_to_graph(capsys, fake_connection):
    run_module(capsys, module_args(users=[GRACE]))

    application = fake_connection.msal.created[0]
    assert application.kwargs["authority"] == f"{LOGIN_URL}/{TENANT}"
    assert application.kwargs["instance_discovery"] is False
    assert application.scopes[0] == [GRAPH_URL + "/.default"]
    assert fake_connection.session.batches[0].headers["Authorization"] == "Bearer issued-token"


def test_session_options(capsys, fake_connection):
    run_module(capsys, module_args(users=[GRACE], ca_path="/tmp/emulator-ca.pem", timeout=12))

    assert fake_connection.session_options == [("/tmp/emulator-ca.pem", True, 12)]


def test_token_failure_fields(capsys, fake_connection):
    fake_connection.msal.token_result = {
        "error": "invalid_client",
        "error_codes": [7000215],
        "correlation_id": "c-1",
        "error_description": "AADSTS7000215: Invalid client secret provided.",
    }

    run = run_module(capsys, module_args(users=[GRACE]))

    assert run.result["failed"] is True
    assert run.result["error_code"] == "AADSTS7000215"
    assert run.result["correlation_id"] == "c-1"
    assert SECRET not in run.output


def test_tenant_from_awx_variable(capsys, fake_connection, monkeypatch):
    monkeypatch.setenv("AZURE_TENANT", "awx-tenant")
    args = module_args(users=[GRACE])
    del args["tenant_id"]

    run_module(capsys, args)

    assert fake_connection.msal.created[0].kwargs["authority"] == f"{LOGIN_URL}/awx-tenant"


def test_missing_credentials_fails(capsys, fake_connection):
    args = module_args(users=[GRACE])
    del args["client_secret"]

    run = run_module(capsys, args)

    assert run.result["failed"] is True
    assert run.result["msg"].startswith("Missing credentials")
    assert fake_connection.session.sent == []


def test_invalid_timeout_fails(capsys, fake_connection):
    run = run_module(capsys, module_args(users=[GRACE], timeout=0))

    assert run.result["msg"] == "Invalid timeout '0': expected a positive number of seconds."


def test_http_endpoint_fails(capsys, fake_connection):
    run = run_module(capsys, module_args(users=[GRACE], graph_endpoint="http://127.0.0.1:9443"))

    assert run.result["failed"] is True
    assert "only https:// URLs are accepted" in run.result["msg"]
    assert fake_connection.session.sent == []


def test_validate_certs_warns(capsys, fake_connection):
    run = run_module(capsys, module_args(users=[GRACE], validate_certs=False))

    assert fake_connection.session_options == [(None, False, 30)]
    assert "validate_certs is false" in json.dumps(run.result["warnings"])


def test_token_and_secret_exclusive(capsys, fake_connection):
    run = run_module(capsys, module_args(users=[GRACE], access_token="given-token"))

    assert run.result["failed"] is True
    assert "mutually exclusive" in run.result["msg"]
    assert "given-token" not in run.output
    assert SECRET not in run.output
