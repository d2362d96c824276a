"""OData query options for the emulator: a $filter parser, $select, $top and page tokens.

The $filter grammar is the subset that directory clients use:

    expression := and_expr ("or" and_expr)*
    and_expr   := primary ("and" primary)*
    primary    := "(" expression ")"
                | "startswith" "(" property "," literal ")"
                | property "eq" literal
                | property "in" "(" literal ("," literal)* ")"
                | property "/any(" name ":" name "eq" literal ")"

Literals are single-quoted, with '' standing for one quote. String comparisons ignore case,
as Graph's directory queries do. Keywords and property names are case-sensitive.
"""

import base64
import binascii
import json
import re


class ODataError(Exception):
    """An invalid query option. ``str(error)`` is the message Graph would send."""


# Filterable properties by entity type. Keys are the names allowed in $filter.
FILTER_PROPERTIES = {
    "user": {"id", "displayName", "userPrincipalName", "mail", "givenName", "surname", "userType"},
    "group": {"id", "displayName", "mail", "mailNickname", "description"},
    "connectedOrganization": {"id", "displayName", "description", "state"},
}
# Collection-valued properties that support the any() lambda.
FILTER_COLLECTIONS = {
    "user": {"otherMails"},
    "group": set(),
    "connectedOrganization": set(),
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYMBOLS = "(),:/"


class _Token:
    __slots__ = ("kind", "value", "position")

    def __init__(self, kind, value, position):
        self.kind = kind  # "name", "string", a symbol character, or "end"
        self.value = value
        self.position = position


def _syntax_error(text, position):
    return ODataError("Invalid filter clause: Syntax error at position %d in '%s'." % (position, text))


def tokenize(text):
    """Split a $filter expression into tokens, raising ODataError on an invalid character."""
    tokens = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
            continue

        if char == "'":
            start = position
            position += 1
            pieces = []
            while True:
                end = text.find("'", position)
                if end < 0:
                    raise ODataError(
                        "Invalid filter clause: Syntax error: unterminated string literal at "
                        "position %d in '%s'." % (start, text)
                    )
                pieces.append(text[position:end])
                if text.startswith("''", end):
                    pieces.append("'")
                    position = end + 2
                    continue
                position = end + 1
                break
            tokens.append(_Token("string", "".join(pieces), start))
            continue

        if char in _SYMBOLS:
            tokens.append(_Token(char, char, position))
            position += 1
            continue

        match = _IDENTIFIER.match(text, position)
        if match is None:
            raise ODataError(
                "Invalid filter clause: Syntax error: character '%s' is not valid at position %d "
                "in '%s'." % (char, position, text)
            )
        tokens.append(_Token("name", match.group(), position))
        position = match.end()

    tokens.append(_Token("end", None, len(text)))
    return tokens


class _Parser:
    def __init__(self, text, entity_type):
        self.text = text
        self.entity_type = entity_type
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self):
        return self.tokens[self.index]

    def advance(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind, value=None):
        token = self.current
        if token.kind != kind or (value is not None and token.value != value):
            raise _syntax_error(self.text, token.position)
        return self.advance()

    def at_keyword(self, word):
        return self.current.kind == "name" and self.current.value == word

    def parse(self):
        predicate = self.expression()
        if self.current.kind != "end":
            raise _syntax_error(self.text, self.current.position)
        return predicate

    def expression(self):
        clauses = [self.and_expression()]
        while self.at_keyword("or"):
            self.advance()
            clauses.append(self.and_expression())
        if len(clauses) == 1:
            return clauses[0]
        return lambda item: any(clause(item) for clause in clauses)

    def and_expression(self):
        clauses = [self.primary()]
        while self.at_keyword("and"):
            self.advance()
            clauses.append(self.primary())
        if len(clauses) == 1:
            return clauses[0]
        return lambda item: all(clause(item) for clause in clauses)

    def primary(self):
        if self.current.kind == "(":
            self.advance()
            predicate = self.expression()
            self.expect(")")
            return predicate

        name_token = self.expect("name")
        if name_token.value == "startswith" and self.current.kind == "(":
            return self.startswith_call()

        if self.current.kind == "/":
            return self.any_lambda(name_token)

        prop = self.property_name(name_token)
        if self.at_keyword("eq"):
            self.advance()
            expected = _fold(self.expect("string").value)
            return lambda item: _fold(item.get(prop)) == expected
        if self.at_keyword("in"):
            self.advance()
            self.expect("(")
            values = {_fold(self.expect("string").value)}
            while self.current.kind == ",":
                self.advance()
                values.add(_fold(self.expect("string").value))
            self.expect(")")
            return lambda item: _fold(item.get(prop)) in values
        raise _syntax_error(self.text, self.current.position)

    def startswith_call(self):
        self.expect("(")
        prop = self.property_name(self.expect("name"))
        self.expect(",")
        prefix = _fold(self.expect("string").value)
        self.expect(")")
        return lambda item: (_fold(item.get(prop)) or "").startswith(prefix)

    def any_lambda(self, name_token):
        collection = name_token.value
        if collection not in FILTER_COLLECTIONS[self.entity_type]:
            raise _unknown_property(collection, self.entity_type)
        self.expect("/")
        self.expect("name", "any")
        self.expect("(")
        variable = self.expect("name").value
        self.expect(":")
        self.expect("name", variable)
        self.expect("name", "eq")
        expected = _fold(self.expect("string").value)
        self.expect(")")
        return lambda item: any(_fold(value) == expected for value in item.get(collection) or ())

    def property_name(self, token):
        if token.value not in FILTER_PROPERTIES[self.entity_type]:
            raise _unknown_property(token.value, self.entity_type)
        return token.value


def _unknown_property(name, entity_type):
    return ODataError(
        "Invalid filter clause: Could not find a property named '%s' on type "
        "'microsoft.graph.%s'." % (name, entity_type)
    )


def _fold(value):
    return value.casefold() if isinstance(value, str) else value


def parse_filter(text, entity_type):
    """Compile a $filter expression into a predicate over objects of ``entity_type``.

    ``entity_type`` is a key of FILTER_PROPERTIES. Raises ODataError with Graph's wording.
    """
    return _Parser(text, entity_type).parse()


def parse_top(value):
    """Return $top as an int, raising ODataError unless it is between 1 and 999."""
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,4}", value) or not 1 <= int(value) <= 999:
        raise ODataError("Invalid value '%s' for $top query option. Specify an integer between 1 and 999." % value)
    return int(value)


def parse_select(value):
    """Return the property names listed in $select, or None when $select is absent."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise ODataError("Invalid $select: the list of properties is empty.")
    return names


def apply_select(obj, names):
    """Return ``obj`` reduced to the properties in ``names``, keeping @odata.type and id."""
    if names is None:
        return dict(obj)
    selected = {key: obj[key] for key in ("@odata.type", "id") if key in obj}
    for name in names:
        if name in obj:
            selected[name] = obj[name]
    return selected


def encode_skiptoken(offset):
    """Return an opaque $skiptoken that resumes a listing at ``offset``."""
    raw = json.dumps({"offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token):
    """Return the offset stored in a $skiptoken, raising ODataError if it is not one of ours."""
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        offset = None
    if not isinstance(offset, int) or offset < 0:
        raise ODataError("The specified page token value has expired and can no longer be included in your request.")
    return offset
