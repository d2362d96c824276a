# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Property-based tests of names and URLs built from hostile input.

Every request goes through ``PreparingSession``, which prepares it with requests as a real
session would, so the assertions see the URL that would go on the wire, after requests'
own quoting and urllib3's dot-segment removal. ``LenientGraph`` matches names more
loosely than Graph does: it compares them after Unicode compatibility normalization, case
folding and a Cyrillic-to-Latin map, so the tests can check that the client side rejects
every lookalike that a server might return.
"""

import re
import unicodedata
import uuid
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
from ansible_collections.entra.governance.plugins.module_utils.directory import (
    GUID_PATTERN,
    MAX_REFERENCE_LENGTH,
    Directory,
    check_references,
)
from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError, InvalidInputError
from ansible_collections.entra.governance.plugins.module_utils.graph import _encode_query, odata_string, path_segment
from ansible_collections.entra.governance.tests.unit.fake_graph import (
    API_ROOT,
    GRAPH_URL,
    GROUP_TYPE,
    ORGANIZATIONS_URL,
    USER_TYPE,
    make_client,
    make_response,
)
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

GRAPH_HOST = "127.0.0.1"
GRAPH_PORT = 9443

# Characters that mean something in a URL, an OData literal, a shell or YAML.
SPECIAL_CHARACTERS = "'\"#/?%&+ =;,:@$\\[]{}<>|^`~!*().-_"

ODD_CHARACTERS = ["а", "е", "о", "ﬁ", "ß", "\u212a", "Ａ", "\u200b", "\u00a0", "🎾", "李", "\u0301"]

# Text with every special character, any Unicode letter, digit, symbol or emoji, and the
# odd ones in between. Surrogates are left out: they cannot be encoded as UTF-8, and
# neither YAML nor Graph can carry them.
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(SPECIAL_CHARACTERS),
        st.sampled_from(ODD_CHARACTERS),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=60,
)

# The same with lone surrogates, which an Ansible template can produce ('%c' % 55296).
any_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(SPECIAL_CHARACTERS),
        st.sampled_from(ODD_CHARACTERS),
        st.characters(exclude_categories=()),
    ),
    max_size=60,
)
SURROGATE = re.compile("[\ud800-\udfff]")

# Values that pass check_references for groups: anything but empty, blank, too long or
# with control characters.
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
group_names = hostile_text.filter(lambda text: text.strip() and not CONTROL_CHARACTER.search(text))

# Paths, URLs and encodings that must stay inside one OData literal or one path segment.
PATH_LIKE = [
    "../../users",
    "..",
    ".",
    "%2e%2e",
    "%2E%2E/%2e%2e",
    "https://evil.example/x",
    "//evil.example/x",
    "aaaa0001-0000-4000-8000-000000000001/../x",
    "users?$filter=id eq 'x'",
    "a&$select=*",
    "#EXT#",
    "\\\\evil.example\\share",
]

LOOKALIKE_PAIRS = [
    ("a", "\u0430"),  # Latin a, Cyrillic a
    ("e", "\u0435"),
    ("o", "\u043e"),
    ("p", "\u0440"),
    ("c", "\u0441"),
    ("A", "\u0410"),
    ("fi", "\ufb01"),  # the ligature
    ("ss", "\u00df"),  # sharp s
    ("k", "\u212a"),  # Kelvin sign
    ("A", "\uff21"),  # full-width A
    ("1", "\uff11"),  # full-width 1
    ("\u00e9", "e\u0301"),  # precomposed and decomposed e acute
]

CYRILLIC_TO_LATIN = str.maketrans("\u0430\u0435\u043e\u0440\u0441\u0410", "aeopcA")


def skeleton(text):
    """Fold ``text`` far more than Graph does, so that every lookalike pair above compares equal."""
    return unicodedata.normalize("NFKC", text).translate(CYRILLIC_TO_LATIN).casefold()


class PreparingSession:
    """A session that prepares each request with requests, records it and returns the handler's response."""

    def __init__(self, handler):
        self.handler = handler
        self.sent = []

    def request(self, method, url, **kwargs):
        prepared = requests.Request(method, url, headers=kwargs.get("headers"), data=kwargs.get("data")).prepare()
        self.sent.append(prepared)
        return self.handler(prepared)


def query_of(prepared):
    """Return the decoded query parameters of a prepared request, failing on duplicates or junk."""
    pairs = parse_qsl(urlsplit(prepared.url).query, keep_blank_values=True, strict_parsing=True, errors="strict")
    names = [name for name, _value in pairs]
    assert len(names) == len(set(names)), prepared.url
    return dict(pairs)


LITERAL = r"'((?:[^']|'')*)'"


def literals_of(filter_text, template):
    """Return the OData string literals of ``filter_text``, which must have the form ``template``."""
    pattern = re.escape(template).replace(re.escape("{}"), LITERAL)
    match = re.fullmatch(pattern, filter_text, flags=re.DOTALL)
    assert match, filter_text
    return [group.replace("''", "'") for group in match.groups()]


class LenientGraph:
    """A Graph that matches names by ``skeleton``, so it returns lookalikes of the requested name too."""

    def __init__(self):
        self.users = []
        self.groups = []
        self.organizations = []
        self.filters = []

    def add_user(self, upn, mail=None):
        item = {
            "@odata.type": USER_TYPE,
            "id": str(uuid.uuid4()),
            "displayName": upn,
            "userPrincipalName": upn,
            "mail": mail,
        }
        self.users.append(item)
        return item["id"]

    def add_group(self, name):
        item = {"@odata.type": GROUP_TYPE, "id": str(uuid.uuid4()), "displayName": name}
        self.groups.append(item)
        return item["id"]

    def add_organization(self, name):
        item = {"id": str(uuid.uuid4()), "displayName": name}
        self.organizations.append(item)
        return item["id"]

    def __call__(self, prepared):
        assert prepared.method == "GET", prepared.url
        path = urlsplit(prepared.url).path
        query = query_of(prepared)
        self.filters.append(query["$filter"])
        if path == "/v1.0/users":
            (upn, mail) = literals_of(query["$filter"], "userPrincipalName eq {} or mail eq {}")
            found = [
                item
                for item in self.users
                if skeleton(item["userPrincipalName"]) == skeleton(upn)
                or skeleton(item["mail"] or "") == skeleton(mail)
            ]
        elif path == "/v1.0/groups":
            (name,) = literals_of(query["$filter"], "displayName eq {}")
            found = [item for item in self.groups if skeleton(item["displayName"]) == skeleton(name)]
        elif path == "/v1.0/identityGovernance/entitlementManagement/connectedOrganizations":
            (name,) = literals_of(query["$filter"], "displayName eq {}")
            found = [item for item in self.organizations if skeleton(item["displayName"]) == skeleton(name)]
        else:
            raise AssertionError("unexpected request %s" % prepared.url)
        return make_response(200, body={"value": found})


def directory_over(handler):
    return Directory(make_client(PreparingSession(handler)))


def assert_sent_to_graph(prepared, root=API_ROOT):
    """Assert that a prepared request goes to the configured Graph host, under ``root``."""
    assert prepared.url.startswith(root + "/"), prepared.url
    parsed = parse_url(prepared.url)
    assert (parsed.scheme, parsed.host, parsed.port) == ("https", GRAPH_HOST, GRAPH_PORT), prepared.url
    split = urlsplit(prepared.url)
    assert (split.scheme, split.hostname, split.port) == ("https", GRAPH_HOST, GRAPH_PORT), prepared.url


# Quoting and encoding


@given(hostile_text)
@example("../..")
@example("a/b?c#d")
@example("%2e%2e")
@example("李娜 (Li Na) 🎾")
def test_path_segment_round_trip(value):
    encoded = path_segment(value)

    assert unquote(encoded, errors="strict") == value
    assert re.fullmatch(r"[A-Za-z0-9._~%-]*", encoded), encoded


@given(hostile_text)
@example("O'Neil")
@example("''")
@example("'")
def test_odata_string_round_trip(value):
    literal = odata_string(value)

    assert literals_of(literal, "{}") == [value]


@given(hostile_text, hostile_text)
@example("displayName eq 'R&D / Research'", "id,displayName")
@example("userPrincipalName eq 'ada+test@contoso.example'", "a=b&c=d")
@example("x#EXT#@y", "% %25 %%")
def test_encode_query_round_trip(filter_value, select_value):
    query = _encode_query({"$filter": filter_value, "$select": select_value})

    assert query.startswith("?")
    pairs = parse_qsl(query[1:], keep_blank_values=True, strict_parsing=True, errors="strict")
    assert pairs == [("$filter", filter_value), ("$select", select_value)]
    # Nothing but unreserved characters, escapes and the separators of the two parameters.
    assert re.fullmatch(r"[A-Za-z0-9._~%$-]*=[A-Za-z0-9._~%-]*&[A-Za-z0-9._~%$-]*=[A-Za-z0-9._~%-]*", query[1:])


@given(hostile_text)
@example("O'Neil & Sons #1 + 100% ?")
def test_filter_survives_request_preparation(value):
    """The literal that requests puts on the wire decodes to the input, with nothing cut at '#' or '&'."""
    filter_text = "displayName eq %s" % odata_string(value)
    url = "%s/groups%s" % (API_ROOT, _encode_query({"$filter": filter_text}))

    prepared = requests.Request("GET", url).prepare()

    assert_sent_to_graph(prepared)
    assert urlsplit(prepared.url).path == "/v1.0/groups"
    assert literals_of(query_of(prepared)["$filter"], "displayName eq {}") == [value]


# check_references


@given(st.sampled_from(["users", "groups"]), st.lists(st.one_of(st.none(), any_text), max_size=4))
@example("users", ["ada\ud800@contoso.example"])
@example("groups", ["Legal\udfff"])
@example("users", ["ada@contoso.example", "ada@contoso.example\x85"])
@example("groups", ["\u3000"])
@example("groups", ["g" * (MAX_REFERENCE_LENGTH + 1)])
def test_check_references_accepts_only_usable(option, references):
    try:
        check_references(option, references)
    except InvalidInputError as error:
        assert re.match(r"Invalid %s\[\d+\] " % option, str(error)), str(error)
        return

    for reference in references:
        assert reference is not None
        assert reference.strip()
        assert not CONTROL_CHARACTER.search(reference), repr(reference)
        assert not SURROGATE.search(reference), repr(reference)
        assert len(reference) <= MAX_REFERENCE_LENGTH
        if option == "users" and not GUID_PATTERN.match(reference):
            assert "@" in reference
            assert " " not in reference
            assert reference == reference.strip()


@given(
    st.sampled_from(["users", "groups"]),
    st.lists(st.just("ada@contoso.example"), max_size=3),
    hostile_text,
    st.characters(categories=("Cc",)),
    st.data(),
)
def test_check_references_rejects_control_characters(option, valid_before, text, control, data):
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    value = text[:position] + control + text[position:]
    assume(len(value) <= MAX_REFERENCE_LENGTH and value.strip())

    with pytest.raises(InvalidInputError) as caught:
        check_references(option, valid_before + [value, "ada@contoso.example"])

    message = str(caught.value)
    assert message.startswith("Invalid %s[%d] " % (option, len(valid_before))), message
    assert "control characters" in message
    assert repr(value) in message


@given(st.sampled_from(["users", "groups"]), st.text(alphabet=" \t\u00a0\u2003\u3000", max_size=5))
def test_check_references_rejects_blank(option, blank):
    assume(not CONTROL_CHARACTER.search(blank))

    with pytest.raises(InvalidInputError) as caught:
        check_references(option, ["Legal@x", blank])

    assert str(caught.value) == "Invalid %s[1] '%s': the value is empty." % (option, blank)


# Resolution through a Graph that returns more than Graph would


@settings(deadline=None)
@given(group_names, st.lists(group_names, max_size=3))
@example("R&D / Research", ["r&d / research", "R&D / Research "])
@example("Straße", ["STRASSE", "strasse"])
@example("Аda", ["Ada"])
def test_group_resolves_to_exact_name(name, other_names):
    assume(not GUID_PATTERN.match(name) and len(name) <= MAX_REFERENCE_LENGTH)
    assume(name not in other_names)
    graph = LenientGraph()
    intended = graph.add_group(name)
    for other in other_names:
        graph.add_group(other)
    directory = directory_over(graph)

    resolved = directory.resolve([], [name])

    assert list(resolved) == [intended]
    sent = directory.client.session.sent
    assert len(sent) == 1
    assert_sent_to_graph(sent[0])
    assert urlsplit(sent[0].url).path == "/v1.0/groups"
    assert literals_of(query_of(sent[0])["$filter"], "displayName eq {}") == [name]


@st.composite
def lookalike_names(draw):
    """Draw ``(name, twin)``: two names that differ in one lookalike character or sequence."""
    prefix = draw(st.text(alphabet="xyz -_'&#", max_size=5))
    suffix = draw(st.text(alphabet="xyz -_'&#", max_size=5))
    plain, lookalike = draw(st.sampled_from(LOOKALIKE_PAIRS))
    name = "grp" + prefix + plain + suffix
    twin = "grp" + prefix + lookalike + suffix
    if draw(st.booleans()):
        name, twin = twin, name
    return name, twin


@settings(deadline=None)
@given(lookalike_names())
@example(("Finance", "\ufb01nance"))
@example(("K-Team", "\u212a-team"))
@example(("Ada", "\u0410da"))
def test_group_lookalike_rejected(names):
    name, twin = names
    graph = LenientGraph()
    graph.add_group(twin)
    directory = directory_over(graph)

    with pytest.raises(InvalidInputError) as caught:
        directory.resolve([], [name])

    assert str(caught.value) == "Invalid groups[0] '%s': no group has this display name." % name
    assert len(directory.client.session.sent) == 1


@settings(deadline=None)
@given(lookalike_names(), st.sampled_from(["upn", "mail"]))
@example(("fiona", "\ufb01ona"), "upn")
@example(("strasse", "stra\u00dfe"), "mail")
def test_user_lookalike_rejected(names, field):
    local, twin_local = names
    local = local.replace(" ", "").replace("#", "") or "x"
    twin_local = twin_local.replace(" ", "").replace("#", "") or "x"
    assume(local != twin_local)
    reference = local + "@contoso.example"
    twin = twin_local + "@contoso.example"
    graph = LenientGraph()
    if field == "upn":
        graph.add_user(twin)
    else:
        graph.add_user("someone@contoso.example", mail=twin)
    directory = directory_over(graph)

    with pytest.raises(InvalidInputError) as caught:
        directory.resolve([reference], [])

    assert str(caught.value) == (
        "Invalid users[0] '%s': no user has this userPrincipalName or mail address." % reference
    )


@settings(deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-'+", min_size=1, max_size=20), st.data())
def test_user_other_case_accepted(local, data):
    upn = local + "@contoso.example"
    other_case = "".join(character.upper() if data.draw(st.booleans()) else character for character in upn)
    graph = LenientGraph()
    intended = graph.add_user(upn)
    directory = directory_over(graph)

    resolved = directory.resolve([other_case], [])

    assert list(resolved) == [intended]
    sent = directory.client.session.sent
    assert len(sent) == 1
    assert_sent_to_graph(sent[0])
    literals = literals_of(query_of(sent[0])["$filter"], "userPrincipalName eq {} or mail eq {}")
    assert literals == [other_case, other_case]


@settings(deadline=None)
@given(group_names)
@example("../../users")
@example("https://evil.example/x")
@example("O'Neil & Sons")
def test_organization_filter_literal(name):
    assume(not GUID_PATTERN.match(name))
    graph = LenientGraph()
    intended = graph.add_organization(name)
    directory = directory_over(graph)

    organization = directory.find_connected_organization(name)

    assert organization == {"id": intended, "display_name": name}
    sent = directory.client.session.sent
    assert len(sent) == 1
    assert_sent_to_graph(sent[0])
    assert sent[0].url.startswith(ORGANIZATIONS_URL + "?")
    assert literals_of(query_of(sent[0])["$filter"], "displayName eq {}") == [name]


@pytest.mark.parametrize("name", PATH_LIKE)
def test_path_like_group_stays_in_filter(name):
    graph = LenientGraph()
    directory = directory_over(graph)

    with pytest.raises(InvalidInputError):
        directory.resolve([], [name])

    (sent,) = directory.client.session.sent
    assert_sent_to_graph(sent)
    assert urlsplit(sent.url).path == "/v1.0/groups"
    assert graph.filters == ["displayName eq %s" % odata_string(name)]


@pytest.mark.parametrize("name", PATH_LIKE)
def test_path_like_user_rejected_before_request(name):
    directory = directory_over(LenientGraph())

    with pytest.raises(InvalidInputError) as caught:
        directory.resolve([name], [])

    assert str(caught.value).startswith("Invalid users[0] '%s': expected a user object id" % name)
    assert directory.client.session.sent == []


# Object ids


def random_case(data, text):
    return "".join(character.upper() if data.draw(st.booleans()) else character for character in text)


@settings(deadline=None)
@given(st.uuids(), st.sampled_from(["users", "groups"]), st.data())
def test_guid_in_any_case_read_by_id(object_id, option, data):
    reference = random_case(data, str(object_id))
    object_type = USER_TYPE if option == "users" else GROUP_TYPE

    def handler(prepared):
        return make_response(200, body={"@odata.type": object_type, "id": str(object_id), "displayName": "x"})

    directory = directory_over(handler)

    resolved = directory.resolve([reference] if option == "users" else [], [reference] if option == "groups" else [])

    assert list(resolved) == [str(object_id)]
    (sent,) = directory.client.session.sent
    assert_sent_to_graph(sent)
    assert sent.url == "%s/directoryObjects/%s" % (API_ROOT, reference)


@settings(deadline=None)
@given(st.uuids(), st.sampled_from(["{%s}", " %s", "%s ", "(%s)", "urn:uuid:%s", "%s/../x", "%s%%00"]))
def test_wrapped_guid_not_read_by_id(object_id, wrapper):
    reference = wrapper % object_id
    graph = LenientGraph()
    graph.add_group(str(object_id))
    directory = directory_over(graph)

    with pytest.raises(InvalidInputError) as caught:
        directory.resolve([], [reference])

    assert "Invalid groups[0] '%s'" % reference in str(caught.value)
    (sent,) = directory.client.session.sent
    assert urlsplit(sent.url).path == "/v1.0/groups"


@settings(deadline=None)
@given(st.uuids(), st.data())
def test_same_user_listed_three_ways(object_id, data):
    upn = "ada.%s@contoso.example" % str(object_id)[:8]
    mail = "ada.mail.%s@contoso.example" % str(object_id)[:8]
    user = {
        "@odata.type": USER_TYPE,
        "id": str(object_id),
        "displayName": "Ada",
        "userPrincipalName": upn,
        "mail": mail,
    }

    def handler(prepared):
        if urlsplit(prepared.url).path == "/v1.0/users":
            return make_response(200, body={"value": [user]})
        return make_response(200, body=user)

    directory = directory_over(handler)
    references = [random_case(data, str(object_id)), random_case(data, upn), random_case(data, mail)]

    resolved = directory.resolve(data.draw(st.permutations(references)), [])

    assert list(resolved) == [str(object_id)]
    assert len(directory.client.session.sent) == 3


# Links that Graph returns


URL_PIECES = [
    "https://",
    "http://",
    "HTTPS://",
    "//",
    "https:\\\\",
    "127.0.0.1:9443",
    "127.0.0.1",
    ":9443",
    ":443",
    "evil.example",
    "@",
    "\\",
    "/",
    "#",
    "?",
    "%40",
    "%2F",
    "..",
    " ",
    "\t",
    "v1.0/users",
    "user:pass",
    "[::1]",
]

hostile_urls = st.one_of(
    st.lists(st.sampled_from(URL_PIECES), max_size=8).map("".join),
    hostile_text.map(lambda suffix: GRAPH_URL + suffix),
    hostile_text,
)


@settings(deadline=None)
@given(hostile_urls)
@example("https://evil.example/v1.0/users")
@example("https://127.0.0.1:9443@evil.example/v1.0/users")
@example("https://127.0.0.1:9443\\@evil.example/v1.0/users")
@example("https://evil.example\\@127.0.0.1:9443/v1.0/users")
@example("https://127.0.0.1:9443\t@evil.example/")
@example("https://127.0.0.1:9443.evil.example/")
@example("http://127.0.0.1:9443/v1.0/users")
@example("//127.0.0.1:9443/v1.0/users")
@example("https://127.0.0.1:9443]/v1.0/users")
@example("https://[127.0.0.1:9443/v1.0/users")
def test_next_link_never_leaves_graph(next_link):
    pages = [{"value": [], "@odata.nextLink": next_link}, {"value": []}]

    def handler(prepared):
        return make_response(200, body=pages.pop(0))

    client = make_client(PreparingSession(handler))

    try:
        client.list_all(API_ROOT + "/users", "list users")
    except GraphError:
        pass

    sent = client.session.sent
    assert 1 <= len(sent) <= 2
    for prepared in sent:
        assert_sent_to_graph(prepared, root=GRAPH_URL)


@settings(deadline=None, max_examples=200)
@given(
    st.lists(st.one_of(any_text, st.sampled_from(PATH_LIKE), st.uuids().map(str)), max_size=3),
    st.lists(st.one_of(any_text, st.sampled_from(PATH_LIKE), st.uuids().map(str)), max_size=3),
    st.one_of(any_text, st.sampled_from(PATH_LIKE), st.uuids().map(str)),
)
@example(["ada\ud800@contoso.example"], [], "Fabrikam")
@example([], ["Legal\udfff"], "Fabrikam")
@example([], [], "Fabrikam\ud800")
def test_any_input_stays_on_graph(users, groups, organization):
    """Whatever the task passes, look-ups raise only InvalidInputError and send requests only to the Graph API root."""

    def handler(prepared):
        path = urlsplit(prepared.url).path
        read_by_id = "/directoryObjects/" in path or path.startswith(urlsplit(ORGANIZATIONS_URL).path + "/")
        if read_by_id:
            return make_response(404, body={"error": {"code": "Request_ResourceNotFound", "message": "not found"}})
        return make_response(200, body={"value": []})

    directory = directory_over(handler)

    with pytest.raises(InvalidInputError):
        directory.find_connected_organization(organization)
    if users or groups:
        with pytest.raises(InvalidInputError):
            directory.resolve(users, groups)

    for prepared in directory.client.session.sent:
        assert_sent_to_graph(prepared)
