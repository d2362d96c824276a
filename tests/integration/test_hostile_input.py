"""Hostile and odd input for entra.governance.connected_org_sponsor, through ansible-playbook.

The test adds users, groups and connected organizations with odd names to the emulator,
then runs one playbook with one task per case of ``build_cases``, each with ignore_errors.
Before each case, the playbook sends a marker request (``GET /hostile-marker/<index>``) to
the Graph listener, so the emulator's request log can be split by case. Each case either
resolves to exactly the intended objects (checked in the emulator's state) or fails with a
message that names the option and the value and sends no write. Every case must send
exactly the requests the table expects, all of them to Graph or login paths.
"""

import json
import re

import pytest
import requests
import yaml

import emulator_seed as seed  # tests/conftest.py puts tests/emulator on sys.path

pytestmark = pytest.mark.integration

MODULE = "entra.governance.connected_org_sponsor"
GRAPH_DEFAULTS_GROUP = "group/entra.governance.graph"

# msal reads the tenant's OpenID configuration, then requests a token: two login requests
# for each module run that sends anything to Graph.
LOGIN_REQUESTS_PER_RUN = 2

ORGANIZATIONS_PATH = "/v1.0/identityGovernance/entitlementManagement/connectedOrganizations"
GRAPH_PATH_PREFIXES = (ORGANIZATIONS_PATH, "/v1.0/users", "/v1.0/groups", "/v1.0/directoryObjects/")
MARKER_PATH = re.compile(r"/hostile-marker/(\d+)")
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)

# Every character that means something in a URL, an OData literal, YAML or a shell, but no
# Jinja delimiter: Ansible would template the task argument.
SPECIALS = "'\"#/?%&+ =;:@$\\[]{}<>|^`~!*()"

# Cyrillic letters that look like Latin ones, and characters that Unicode case folding
# turns into other letters.
CYRILLIC_A = "\u0430"
CYRILLIC_CAPITAL_A = "\u0410"
LIGATURE_FI = "\ufb01"
KELVIN_SIGN = "\u212a"
NEXT_LINE = "\x85"  # a C1 control character


def hostile_id(number):
    return "ffff%04x-0000-4000-8000-%012x" % (number, number)


def long_upn(length):
    domain = "@contoso.example"
    return "u" * (length - len(domain)) + domain


# Users and groups that the test adds: (id, fields). The emulator compares names with
# Unicode case folding, so it returns the lookalikes and the module must reject them.
HOSTILE_USERS = {
    "specials": (
        hostile_id(1),
        {"displayName": "Q " + SPECIALS, "userPrincipalName": "q'\"#/?%&+=$!~*^`{}|@contoso.example"},
    ),
    "unicode": (hostile_id(2), {"displayName": "李娜 🎾", "userPrincipalName": "李娜🎾.zoë@contoso.example"}),
    "latin": (hostile_id(3), {"displayName": "Ana Latin", "userPrincipalName": "ana@contoso.example"}),
    "cyrillic": (
        hostile_id(4),
        {"displayName": "Ana Cyrillic", "userPrincipalName": CYRILLIC_A + "na@contoso.example"},
    ),
    "ligature": (hostile_id(5), {"displayName": "Fiona", "userPrincipalName": LIGATURE_FI + "ona@contoso.example"}),
    "sharp_s": (hostile_id(6), {"displayName": "Strasse", "userPrincipalName": "stra\u00dfe@contoso.example"}),
    "long": (hostile_id(7), {"displayName": "Long", "userPrincipalName": long_upn(256)}),
}

BRACED_RESEARCH = "{%s}" % seed.RESEARCH
HOSTILE_GROUPS = {
    "specials": (hostile_id(0x11), {"displayName": "G " + SPECIALS}),
    "unicode": (hostile_id(0x12), {"displayName": "李娜 🎾 Zoë – Ⅻ"}),
    "path": (hostile_id(0x13), {"displayName": "../../users"}),
    "url": (hostile_id(0x14), {"displayName": "https://evil.example/x"}),
    "percent": (hostile_id(0x15), {"displayName": "%2e%2e"}),
    "guid_path": (hostile_id(0x16), {"displayName": "%s/../x" % seed.ADA}),
    "padded": (hostile_id(0x17), {"displayName": " Padded "}),
    "unpadded": (hostile_id(0x18), {"displayName": "Padded"}),
    "braced": (hostile_id(0x19), {"displayName": BRACED_RESEARCH}),
    "ligature": (hostile_id(0x1A), {"displayName": LIGATURE_FI + "nance-team"}),
    "kelvin": (hostile_id(0x1B), {"displayName": KELVIN_SIGN + "-Team"}),
    "long": (hostile_id(0x1C), {"displayName": "g" * 256}),
}

# Connected organizations that the test adds, all without sponsors. Only success cases
# write, each to the organization it names. Failure cases name "Hostile failures", a
# lookalike of one of these, or an organization that does not exist.
HOSTILE_ORGANIZATIONS = {
    "specials": "O " + SPECIALS,
    "unicode": "组织 Zoë 🎾",
    "path": "../../connectedOrganizations",
    "url": "https://evil.example/org",
    "percent": "%2e%2e",
    "guid_path": "%s/../x" % seed.FABRIKAM,
    "padded": " Padded Org ",
    "unpadded": "Padded Org",
    "braced": "{%s}" % seed.TAILSPIN,
    "latin": "Ana",
    "cyrillic": CYRILLIC_CAPITAL_A + "na",
    "case": "Case Org",
    "long": "o" * 300,
    "by_id": "Looked up by id",
    "duplicates": "Duplicates",
    "ligature": LIGATURE_FI + "nance Org",
    "failures": "Hostile failures",
}


class Case:
    """One task of the playbook and what it must do.

    ``graph_requests`` counts the Graph requests of the task, writes included. A success
    case adds ``added`` to the internal sponsors of organization ``organization``; a failure
    case fails with a message that contains every string of ``message_parts``.
    """

    def __init__(
        self, name, args, graph_requests, organization=None, added=None, message_parts=None, through_template=False
    ):
        self.name = name
        self.args = args
        # Build each string with a template, not as YAML text. PyYAML writes a C1 control
        # character such as NEL raw and reads it back as a line break. Ansible rejects extra
        # variables with a lone surrogate, and Jinja does not decode \u escapes.
        self.through_template = through_template
        self.graph_requests = graph_requests
        self.organization = organization
        self.added = added or []
        self.message_parts = message_parts

    @property
    def should_fail(self):
        return self.message_parts is not None

    def filter_literals(self):
        """Return the strings that may appear as OData literals in this case's $filter values."""
        values = [self.args.get("connected_organization")]
        for option in ("users", "groups"):
            references = self.args.get(option) or []
            # Ansible splits a string at commas and turns numbers and booleans into strings.
            values += references.split(",") if isinstance(references, str) else references
        return set(str(value) for value in values if value is not None)


def succeeds(name, organization_key, organization_ids, graph_requests, added, **args):
    organization_id = organization_ids[organization_key]
    args.setdefault("connected_organization", HOSTILE_ORGANIZATIONS[organization_key])
    return Case(name, args, graph_requests, organization=organization_id, added=added)


def fails(name, graph_requests, message_parts, through_template=False, **args):
    args.setdefault("connected_organization", HOSTILE_ORGANIZATIONS["failures"])
    return Case(name, args, graph_requests, message_parts=message_parts, through_template=through_template)


def build_cases(org):
    """Return the cases; ``org`` maps the keys of HOSTILE_ORGANIZATIONS to the ids the emulator gave them."""
    user = {key: object_id for key, (object_id, _fields) in HOSTILE_USERS.items()}
    upn = {key: fields["userPrincipalName"] for key, (_object_id, fields) in HOSTILE_USERS.items()}
    group = {key: object_id for key, (object_id, _fields) in HOSTILE_GROUPS.items()}
    name = {key: fields["displayName"] for key, (_object_id, fields) in HOSTILE_GROUPS.items()}
    long_group = name["long"]

    # Graph requests of a success case that adds one sponsor: organization look-up, one
    # look-up per reference, the sponsor list and the write. A JSON batch counts as its
    # sub-requests. The module checks every user and group value before it sends anything.
    # It then looks up the organization, the users and the groups in one batch, so a case
    # with a missing organization still counts the look-ups of its users and groups.
    one_add = 4
    return [
        # Names that resolve to exactly one object, and organizations with the same characters.
        succeeds("user with special characters", "specials", org, one_add, [user["specials"]], users=[upn["specials"]]),
        succeeds("user with CJK letters and emoji", "unicode", org, one_add, [user["unicode"]], users=[upn["unicode"]]),
        succeeds("Latin user, not the Cyrillic twin", "latin", org, one_add, [user["latin"]], users=[upn["latin"]]),
        succeeds(
            "Cyrillic user, not the Latin twin", "cyrillic", org, one_add, [user["cyrillic"]], users=[upn["cyrillic"]]
        ),
        succeeds("user of 256 characters", "long", org, one_add, [user["long"]], users=[upn["long"]]),
        succeeds(
            "group with special characters", "specials", org, one_add, [group["specials"]], groups=[name["specials"]]
        ),
        succeeds(
            "group with CJK letters and emoji", "unicode", org, one_add, [group["unicode"]], groups=[name["unicode"]]
        ),
        succeeds("group named like a path", "path", org, one_add, [group["path"]], groups=[name["path"]]),
        succeeds("group named like a URL", "url", org, one_add, [group["url"]], groups=[name["url"]]),
        succeeds("group named with escapes", "percent", org, one_add, [group["percent"]], groups=[name["percent"]]),
        succeeds(
            "group named like an id and a path",
            "guid_path",
            org,
            one_add,
            [group["guid_path"]],
            groups=[name["guid_path"]],
        ),
        succeeds("group with spaces around", "padded", org, one_add, [group["padded"]], groups=[name["padded"]]),
        succeeds("group without the spaces", "unpadded", org, one_add, [group["unpadded"]], groups=[name["unpadded"]]),
        # A display name in braces is a name, not an id: the look-up is by name.
        succeeds("group named like a braced id", "braced", org, one_add, [group["braced"]], groups=[BRACED_RESEARCH]),
        succeeds("group of 256 characters", "long", org, one_add, [group["long"]], groups=[long_group]),
        # Graph's eq ignores case, so another case of the same letters is the same name.
        succeeds(
            "names in another case",
            "case",
            org,
            one_add,
            [seed.LEGAL],
            connected_organization="CASE ORG",
            groups=["LEGAL"],
        ),
        succeeds(
            "organization by upper-case id",
            "by_id",
            org,
            one_add,
            [seed.GRACE],
            connected_organization=org["by_id"].upper(),
            users=[seed.GRACE.upper()],
        ),
        # One user four times: by id in both cases, by UPN in upper case and by mail.
        succeeds(
            "same user by id, UPN and mail",
            "duplicates",
            org,
            5,
            [seed.LINUS_GUEST],
            users=[
                seed.LINUS_GUEST.upper(),
                "LINUS_FABRIKAM.EXAMPLE#EXT#@CONTOSO.EXAMPLE",
                "linus@fabrikam.example",
                seed.LINUS_GUEST,
            ],
        ),
        # Empty lists ask for nothing: the module reads the organization and its sponsors only.
        succeeds("empty lists", "failures", org, 2, [], users=[], groups=[]),
        # Lookalikes that the emulator's case folding returns, and the module must reject.
        fails(
            "user twin by ligature",
            2,
            ["users[0]", "'fiona@contoso.example'", "no user"],
            users=["fiona@contoso.example"],
        ),
        fails(
            "user twin by sharp s",
            2,
            ["users[0]", "'STRASSE@contoso.example'", "no user"],
            users=["STRASSE@contoso.example"],
        ),
        fails("group twin by ligature", 2, ["groups[0]", "'finance-team'", "no group"], groups=["finance-team"]),
        fails("group twin by Kelvin sign", 2, ["groups[0]", "'K-Team'", "no group"], groups=["K-Team"]),
        fails(
            "organization twin by Cyrillic letter",
            2,
            ["Connected organization 'F%sbrikam' not found" % CYRILLIC_A],
            connected_organization="F%sbrikam" % CYRILLIC_A,
            users=["ada@contoso.example"],
        ),
        fails(
            "organization twin by ligature",
            2,
            ["Connected organization 'finance Org' not found"],
            connected_organization="finance Org",
            users=["ada@contoso.example"],
        ),
        # Users that cannot be an id, UPN or mail address: rejected before any user look-up.
        fails("user as a path", 0, ["users[0]", "'../../users'", "expected a user object id"], users=["../../users"]),
        fails("user as a URL", 0, ["users[0]", "'https://evil.example/x'"], users=["https://evil.example/x"]),
        fails("user as escapes", 0, ["users[0]", "'%2e%2e'"], users=["%2e%2e"]),
        fails("user as id and path", 0, ["users[0]", "'%s/../x'" % seed.ADA], users=["%s/../x" % seed.ADA]),
        fails("user as braced id", 0, ["users[0]", "'{%s}'" % seed.ADA], users=["{%s}" % seed.ADA]),
        fails(
            "user with leading space",
            0,
            ["users[1]", "' ada@contoso.example'"],
            users=["grace@contoso.example", " ada@contoso.example"],
        ),
        fails("user with trailing space", 0, ["users[0]", "'ada@contoso.example '"], users=["ada@contoso.example "]),
        fails("user id with spaces", 0, ["users[0]", "' %s '" % seed.ADA], users=[" %s " % seed.ADA]),
        fails("empty user", 0, ["users[0]", "''", "empty"], users=[""]),
        fails("blank user", 0, ["users[0]", "'   '", "empty"], users=["   "]),
        fails("null user", 0, ["users[1]", "''", "empty"], users=["ada@contoso.example", None]),
        fails("number and boolean users", 0, ["users[0]", "'1'"], users=[1, True]),
        fails(
            "comma-separated users string",
            0,
            ["users[1]", "' ada@contoso.example'"],
            users="grace@contoso.example, ada@contoso.example",
        ),
        fails(
            "user of 257 characters",
            0,
            ["users[0]", "'%s...'" % long_upn(257)[:40], "257 characters"],
            users=[long_upn(257)],
        ),
        fails(
            "user with C1 control",
            0,
            ["users[0]", repr("ada@contoso.example" + NEXT_LINE), "control"],
            users=["ada@contoso.example" + NEXT_LINE],
            through_template=True,
        ),
        fails("users null", 0, ["users", "NoneType"], users=None),
        # Ansible cannot carry a lone surrogate in module arguments. The task fails with
        # Ansible's own message, on the managed host or when Ansible reads back the module's
        # result, and the value is never looked up.
        fails(
            "user with lone surrogate",
            0,
            ["surrogates not allowed"],
            users=["ada\ud800@contoso.example"],
            through_template=True,
        ),
        fails(
            "group with lone surrogate",
            0,
            ["surrogates not allowed"],
            groups=["Legal\udfff"],
            through_template=True,
        ),
        fails(
            "organization with lone surrogate",
            0,
            ["surrogates not allowed"],
            connected_organization="Fabrikam\ud800",
            through_template=True,
        ),
        # Groups that name nothing, or the wrong kind of object.
        fails("group id in braces", 2, ["groups[0]", "'{%s}'" % seed.LEGAL, "no group"], groups=["{%s}" % seed.LEGAL]),
        fails("group as a number and boolean", 2, ["groups[0]", "'1'", "no group"], groups=[1, True]),
        fails("null group", 0, ["groups[0]", "''", "empty"], groups=[None]),
        fails(
            "group of 257 characters", 0, ["groups[0]", "'%s...'" % ("g" * 40), "257 characters"], groups=["g" * 257]
        ),
        fails(
            "group with C1 control",
            0,
            ["groups[0]", repr("Legal" + NEXT_LINE), "control"],
            groups=["Legal" + NEXT_LINE],
            through_template=True,
        ),
        fails(
            "user id listed as a group", 2, ["groups[0]", "'%s'" % seed.ADA, "list it under users"], groups=[seed.ADA]
        ),
        fails(
            "group after a good user",
            3,
            ["groups[0]", "'Nobody'", "no group"],
            users=["ada@contoso.example"],
            groups=["Nobody"],
        ),
        # Organizations that are not there, or not valid.
        fails(
            "organization as a path",
            2,
            ["Connected organization '../../users' not found"],
            connected_organization="../../users",
            users=["ada@contoso.example"],
        ),
        fails(
            "organization as a URL",
            2,
            ["Connected organization 'https://evil.example/x' not found"],
            connected_organization="https://evil.example/x",
            users=["ada@contoso.example"],
        ),
        fails(
            "organization as escapes",
            2,
            ["Connected organization '%2E%2E%2F' not found"],
            connected_organization="%2E%2E%2F",
            users=["ada@contoso.example"],
        ),
        fails(
            "organization as id and path",
            2,
            ["Connected organization '%s/../x' not found" % seed.WOODGROVE],
            connected_organization="%s/../x" % seed.WOODGROVE,
            users=["ada@contoso.example"],
        ),
        fails(
            "organization as braced id",
            2,
            ["Connected organization '{%s}' not found" % seed.FABRIKAM],
            connected_organization="{%s}" % seed.FABRIKAM,
            users=["ada@contoso.example"],
        ),
        fails(
            "organization with spaces around",
            2,
            ["Connected organization ' Fabrikam ' not found"],
            connected_organization=" Fabrikam ",
            users=["ada@contoso.example"],
        ),
        fails(
            "unknown organization id",
            4,
            ["Connected organization '%s' not found" % hostile_id(0xFF)],
            connected_organization=hostile_id(0xFF),
            users=["ada@contoso.example"],
        ),
        fails(
            "organization as a number",
            2,
            ["Connected organization '12345' not found"],
            connected_organization=12345,
            users=["ada@contoso.example"],
        ),
        fails(
            "organization of 5000 characters",
            2,
            ["Connected organization '%s" % ("x" * 40), "not found"],
            connected_organization="x" * 5000,
            users=["ada@contoso.example"],
        ),
        fails("empty organization", 0, ["connected_organization", "''", "empty"], connected_organization=""),
        fails("null organization", 0, ["connected_organization", "empty"], connected_organization=None),
        fails(
            "organization with C1 control",
            0,
            ["connected_organization", repr("Fabrikam" + NEXT_LINE), "control"],
            connected_organization="Fabrikam" + NEXT_LINE,
            through_template=True,
        ),
    ]


def add_objects(emulator):
    """Add the hostile users, groups and organizations; return the organization ids by key."""
    control_url = emulator.info["control_url"]
    ca_path = emulator.info["ca_path"]
    for kind, objects in (("users", HOSTILE_USERS), ("groups", HOSTILE_GROUPS)):
        for object_id, fields in objects.values():
            response = requests.post(
                "%s/%s" % (control_url, kind), json=dict(fields, id=object_id), verify=ca_path, timeout=10
            )
            assert response.status_code == 201, response.text
    organization_ids = {}
    for key, display_name in HOSTILE_ORGANIZATIONS.items():
        # The control API cannot add organizations, so the test adds them to the state directly.
        created = emulator.tenant.create_organization(
            {
                "displayName": display_name,
                "description": None,
                "state": "configured",
                "identitySources": [
                    {
                        "@odata.type": "#microsoft.graph.domainIdentitySource",
                        "domainName": "hostile.example",
                        "displayName": "hostile.example",
                    }
                ],
            }
        )
        organization_ids[key] = created["id"]
    return organization_ids


def write_playbook(path, cases):
    """Write a playbook that runs each case after its marker request, with ignore_errors."""
    tasks = []
    for index, case in enumerate(cases):
        args = case.args
        if case.through_template:
            args = {option: jinja_literal(value) for option, value in case.args.items()}
        tasks.append(
            {
                "name": "Marker %d" % index,
                # A lookup on the controller is faster than the uri module. The emulator
                # returns 404 for a path outside /v1.0 and /beta, and errors=ignore drops it.
                "ansible.builtin.debug": {
                    "msg": "{{ lookup('ansible.builtin.url', emulator_graph_url ~ '/hostile-marker/%d', "
                    "ca_path=emulator_ca_path, errors='ignore') }}" % index,
                },
            }
        )
        tasks.append(
            {
                "name": "Case %d: %s" % (index, case.name),
                MODULE: args,
                "register": "case_result",
                "ignore_errors": True,
            }
        )
    play = {
        "name": "Hostile input for connected_org_sponsor",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {
            GRAPH_DEFAULTS_GROUP: {
                "tenant_id": "{{ emulator_tenant_id }}",
                "client_id": "{{ emulator_client_id }}",
                "client_secret": "{{ emulator_client_secret }}",
                "authority_host": "{{ emulator_login_url }}",
                "graph_endpoint": "{{ emulator_graph_url }}",
                "ca_path": "{{ emulator_ca_path }}",
            }
        },
        "tasks": tasks,
    }
    path.write_text(yaml.safe_dump([play], sort_keys=False, allow_unicode=True, width=1000))
    return path


def jinja_literal(value):
    """Return ``value`` with each string as a template that evaluates to it.

    Characters outside printable ASCII become ``%c`` conversions, so ``"a\x85"`` becomes
    ``{{ 'a%c' % (133,) }}``.
    """
    if isinstance(value, list):
        return [jinja_literal(item) for item in value]
    if all(" " <= character <= "~" for character in value):
        return value
    assert "'" not in value, value
    assert "\\" not in value, value
    template = ""
    codes = []
    for character in value:
        if " " <= character <= "~":
            template += "%%" if character == "%" else character
        else:
            template += "%c"
            codes.append(str(ord(character)))
    return "{{ '%s' %% (%s,) }}" % (template, ", ".join(codes))


def split_log(entries):
    """Return the request log split at the marker requests: {case index: [entries]}."""
    segments = {}
    current = None
    for entry in entries:
        marker = MARKER_PATH.fullmatch(entry["path"])
        if entry["listener"] == "graph" and marker:
            current = int(marker.group(1))
            segments[current] = []
            continue
        assert current is not None, "request before the first marker: %r" % entry
        segments[current].append(entry)
    return segments


def filter_literals(filter_text):
    return [literal.replace("''", "'") for literal in re.findall(r"'((?:[^']|'')*)'", filter_text)]


@pytest.fixture
def hostile_run(run_playbook, emulator, tmp_path):
    organization_ids = add_objects(emulator)
    cases = build_cases(organization_ids)
    emulator.clear_requests()
    playbook = write_playbook(tmp_path / "hostile.yml", cases)

    run = run_playbook(playbook)

    return run, cases, organization_ids


def test_hostile_input(hostile_run, emulator):
    run, cases, organization_ids = hostile_run
    assert run.rc == 0, run.describe()
    segments = split_log(emulator.requests())
    assert sorted(segments) == list(range(len(cases)))
    problems = []

    for index, case in enumerate(cases):
        label = "case %d (%s)" % (index, case.name)
        (task,) = run.task_results("Case %d: %s" % (index, case.name))
        result = task["result"]
        log = segments[index]
        # A JSON batch counts as its sub-requests, which the log lists one by one with their query.
        graph = [entry for entry in log if entry["listener"] == "graph" and entry["path"] != "/v1.0/$batch"]
        login = [entry for entry in log if entry["listener"] == "login"]
        writes = [entry for entry in graph if entry["method"] != "GET" and not entry["path"].endswith("/getByIds")]
        literals = set()

        if len(graph) != case.graph_requests:
            problems.append(
                "%s: %d Graph requests, expected %d: %s"
                % (label, len(graph), case.graph_requests, [(e["method"], e["path"]) for e in graph])
            )
        if len(login) != (LOGIN_REQUESTS_PER_RUN if graph else 0):
            problems.append("%s: %d login requests" % (label, len(login)))
        for entry in login:
            if not entry["path"].startswith("/%s/" % seed.TENANT_ID):
                problems.append("%s: login request to %s" % (label, entry["path"]))
        for entry in graph:
            if not entry["path"].startswith(GRAPH_PATH_PREFIXES):
                problems.append("%s: Graph request to %s" % (label, entry["path"]))
            if entry["status"] is None or entry["status"] >= 500:
                problems.append("%s: %s %s got %s" % (label, entry["method"], entry["path"], entry["status"]))
            literals.update(filter_literals(entry["query"].get("$filter", "")))
        unknown = literals - case.filter_literals()
        if unknown:
            problems.append("%s: $filter with literals %r that the task did not pass" % (label, unknown))

        if case.should_fail:
            message = result.get("msg", "")
            if task["status"] != "ignored":
                problems.append("%s: %s, expected a failure: %s" % (label, task["status"], json.dumps(result)[:400]))
            for part in case.message_parts:
                if part not in message:
                    problems.append("%s: message %r lacks %r" % (label, message, part))
            if writes:
                problems.append("%s: failed but wrote %s" % (label, [(e["method"], e["path"]) for e in writes]))
            continue

        if task["status"] != "ok":
            problems.append("%s: %s: %s" % (label, task["status"], result.get("msg")))
            continue
        if result["connected_organization"]["id"] != case.organization:
            problems.append("%s: resolved organization %r" % (label, result["connected_organization"]))
        if sorted(result["added"]) != sorted(case.added):
            problems.append("%s: added %r, expected %r" % (label, result["added"], case.added))
        if len(writes) != len(case.added):
            problems.append("%s: %d writes for %d additions" % (label, len(writes), len(case.added)))
        # Every name was looked up with itself as the literal, and every id without a filter.
        names = set(value for value in case.filter_literals() if not GUID.fullmatch(value))
        if literals != names:
            problems.append("%s: $filter literals %r, expected %r" % (label, literals, names))

    # Each organization ends with exactly the sponsors its cases added, whatever failed.
    expected_sponsors = {organization_id: [] for organization_id in organization_ids.values()}
    for case in cases:
        if not case.should_fail:
            expected_sponsors[case.organization] += case.added
    for organization_id, expected in expected_sponsors.items():
        state = emulator.organization(organization_id)
        if sorted(state["internalSponsors"]) != sorted(expected) or state["externalSponsors"]:
            problems.append(
                "organization %s (%r): internal %r, external %r, expected internal %r"
                % (
                    organization_id,
                    state["displayName"],
                    state["internalSponsors"],
                    state["externalSponsors"],
                    expected,
                )
            )
    # The seeded organizations that failure cases name stay as they were.
    assert emulator.organization(seed.FABRIKAM)["internalSponsors"] == [seed.ADA]
    assert emulator.organization(seed.TAILSPIN)["internalSponsors"] == []

    assert problems == [], "\n".join(problems)
