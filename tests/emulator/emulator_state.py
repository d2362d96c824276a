"""State shared by the emulator's listeners: directory, switches, faults, tokens, request log.

Every public method takes the lock, so the HTTP handler threads can call them directly.
Methods that return state return deep copies.
"""

import base64
import copy
import json
import re
import secrets
import threading
import time
import uuid

import emulator_seed as seed

# Switches and their defaults. POST /_emulator/config and Emulator.configure() change them.
DEFAULT_SWITCHES = {
    "latency": 0.0,
    "page_size": 3,
    "sponsor_detail": "full",
    "duplicate_add": "bad_request",
    "missing_remove": "not_found",
    "patch_status": 202,
    "org_not_found_code": "ResourceNotFound",
    "token_lifetime": 3600,
    "app_roles": list(seed.DEFAULT_APP_ROLES),
    # The cloud that the tenant's OpenID metadata names. "emulator" names the emulator's own
    # Graph host. The others name a national cloud, as Entra ID does for a tenant there.
    "tenant_cloud": "emulator",
}

_SWITCH_CHOICES = {
    "sponsor_detail": ("full", "minimal"),
    "duplicate_add": ("bad_request", "no_content", "conflict"),
    "missing_remove": ("not_found", "bad_request", "no_content"),
    "patch_status": (202, 204),
    "org_not_found_code": ("ResourceNotFound", "Request_ResourceNotFound"),
    "tenant_cloud": ("emulator", "public", "usgov", "usgov_dod", "china"),
}

FAULT_ACTIONS = ("respond", "reset", "delay")
FAULT_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "*")
_FAULT_KEYS = {
    "method",
    "path",
    "listener",
    "count",
    "status",
    "retry_after",
    "code",
    "message",
    "body",
    "content_type",
    "action",
    "seconds",
}

SPONSOR_KINDS = ("internalSponsors", "externalSponsors")

# Oldest entries are dropped past this size, so a long-running demo cannot grow without bound.
MAX_LOG_ENTRIES = 10000


class StateError(ValueError):
    """Invalid control input, such as an unknown switch. The message names the value."""


def unsigned_jwt(claims):
    """Encode ``claims`` as a JWT with ``alg: none`` and an empty signature."""

    def encode(value):
        raw = json.dumps(value, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    return "%s.%s." % (encode({"alg": "none", "typ": "JWT"}), encode(claims))


def validate_switches(changes):
    """Return ``changes`` with values normalized.

    Raises StateError on an unknown switch or value.
    """
    normalized = {}
    for name, value in changes.items():
        if name not in DEFAULT_SWITCHES:
            raise StateError("unknown switch %r; known switches: %s" % (name, ", ".join(sorted(DEFAULT_SWITCHES))))
        if name in _SWITCH_CHOICES:
            if value not in _SWITCH_CHOICES[name]:
                raise StateError(
                    "invalid value %r for switch %r; expected one of %s"
                    % (value, name, ", ".join(repr(c) for c in _SWITCH_CHOICES[name]))
                )
        elif name == "latency":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise StateError("invalid value %r for switch 'latency'; expected seconds >= 0" % (value,))
            value = float(value)
        elif name in ("page_size", "token_lifetime"):
            minimum = 1 if name == "page_size" else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise StateError("invalid value %r for switch %r; expected an integer >= %d" % (value, name, minimum))
        elif name == "app_roles":
            if not isinstance(value, list) or not all(isinstance(role, str) for role in value):
                raise StateError("invalid value %r for switch 'app_roles'; expected a list of role names" % (value,))
            value = list(value)
        normalized[name] = value
    return normalized


def validate_fault(spec):
    """Return a fault record built from ``spec``, raising StateError on invalid input."""
    if not isinstance(spec, dict):
        raise StateError("a fault must be a JSON object")
    unknown = set(spec) - _FAULT_KEYS
    if unknown:
        raise StateError("unknown fault field(s): %s" % ", ".join(sorted(unknown)))

    method = str(spec.get("method", "*")).upper()
    if method not in FAULT_METHODS:
        raise StateError("invalid fault method %r; expected one of %s" % (spec.get("method"), ", ".join(FAULT_METHODS)))
    path = spec.get("path", "")
    try:
        pattern = re.compile(path)
    except (re.error, TypeError) as exc:
        raise StateError("invalid fault path regex %r: %s" % (path, exc)) from None
    listener = spec.get("listener", "graph")
    if listener not in ("graph", "login"):
        raise StateError("invalid fault listener %r; expected 'graph' or 'login'" % (listener,))
    count = spec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise StateError("invalid fault count %r; expected an integer >= 1" % (count,))
    action = spec.get("action", "respond")
    if action not in FAULT_ACTIONS:
        raise StateError("invalid fault action %r; expected one of %s" % (action, ", ".join(FAULT_ACTIONS)))
    status = spec.get("status", 429)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise StateError("invalid fault status %r; expected an HTTP status code" % (status,))
    seconds = spec.get("seconds", 1.0)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise StateError("invalid fault seconds %r; expected a number >= 0" % (seconds,))
    retry_after = spec.get("retry_after")
    if retry_after is not None:
        if isinstance(retry_after, bool) or not isinstance(retry_after, (str, int, float)):
            raise StateError("invalid fault retry_after %r; expected a string, a number or null" % (retry_after,))
        retry_after = str(retry_after)
    for key in ("code", "message", "body", "content_type"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            raise StateError("invalid fault %s %r; expected a string" % (key, spec[key]))

    return {
        "id": str(uuid.uuid4()),
        "method": method,
        "path": path,
        "pattern": pattern,
        "listener": listener,
        "remaining": count,
        "fired": 0,
        "status": status,
        "retry_after": retry_after,
        "code": spec.get("code"),
        "message": spec.get("message"),
        "body": spec.get("body"),
        "content_type": spec.get("content_type"),
        "action": action,
        "seconds": float(seconds),
    }


def now_iso():
    """Return the current UTC time in Graph's format, such as 2024-03-01T09:00:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class TenantState:
    """The emulated tenant plus the emulator's switches, faults, tokens and request log."""

    def __init__(self):
        self._lock = threading.RLock()
        self.reset()

    # -- whole state ----------------------------------------------------------------------

    def reset(self):
        """Restore the seed and clear switches, faults, tokens and the request log."""
        with self._lock:
            self.users = {user["id"]: copy.deepcopy(user) for user in seed.USERS}
            self.groups = {group["id"]: copy.deepcopy(group) for group in seed.GROUPS}
            self.service_principals = {
                principal["id"]: copy.deepcopy(principal) for principal in seed.SERVICE_PRINCIPALS
            }
            self.devices = {device["id"]: copy.deepcopy(device) for device in seed.DEVICES}
            self.organizations = {org["id"]: copy.deepcopy(org) for org in seed.CONNECTED_ORGANIZATIONS}
            self.switches = copy.deepcopy(DEFAULT_SWITCHES)
            self.faults = []
            self.tokens = {}
            self.log = []

    def snapshot(self):
        """Return the JSON-ready state served by GET /_emulator/state."""
        with self._lock:
            return copy.deepcopy(
                {
                    "connectedOrganizations": list(self.organizations.values()),
                    "users": list(self.users.values()),
                    "groups": list(self.groups.values()),
                    "servicePrincipals": list(self.service_principals.values()),
                    "devices": list(self.devices.values()),
                }
            )

    # -- switches -------------------------------------------------------------------------

    def configure(self, changes):
        """Apply switch changes, all or none, and return the switches now in force."""
        normalized = validate_switches(changes)
        with self._lock:
            self.switches.update(normalized)
            return copy.deepcopy(self.switches)

    def switch(self, name):
        with self._lock:
            return copy.deepcopy(self.switches[name])

    def get_switches(self):
        with self._lock:
            return copy.deepcopy(self.switches)

    # -- faults ---------------------------------------------------------------------------

    def add_fault(self, spec):
        """Validate and append a fault. Returns its public description."""
        fault = validate_fault(spec)
        with self._lock:
            self.faults.append(fault)
            return _public_fault(fault)

    def clear_faults(self):
        with self._lock:
            self.faults = []

    def list_faults(self):
        with self._lock:
            return [_public_fault(fault) for fault in self.faults]

    def take_fault(self, listener, method, path):
        """Return a copy of the first matching fault and use up one of its firings, or None."""
        with self._lock:
            for fault in self.faults:
                if fault["listener"] != listener:
                    continue
                if fault["method"] not in ("*", method.upper()):
                    continue
                if not fault["pattern"].search(path):
                    continue
                fault["remaining"] -= 1
                fault["fired"] += 1
                if fault["remaining"] <= 0:
                    self.faults.remove(fault)
                return dict(fault)
            return None

    # -- request log ----------------------------------------------------------------------

    def record(self, entry):
        with self._lock:
            self.log.append(entry)
            if len(self.log) > MAX_LOG_ENTRIES:
                del self.log[: len(self.log) - MAX_LOG_ENTRIES]

    def requests(self):
        with self._lock:
            return copy.deepcopy(self.log)

    def clear_requests(self):
        with self._lock:
            self.log = []

    # -- tokens ---------------------------------------------------------------------------

    def issue_token(self, tenant_id, client_id, audience):
        """Create an access token and return it with its lifetime in seconds.

        The token has the shape of a JWT with the claims Entra ID puts in an app-only token
        (``aud``, ``tid``, ``appid``, ``roles``, ``exp``). It is unsigned (``alg`` is ``none``),
        because the emulator checks a token by looking it up and clients may only decode it.
        """
        with self._lock:
            lifetime = self.switches["token_lifetime"]
            token = unsigned_jwt(
                {
                    "aud": audience,
                    "iss": "https://sts.windows.net/%s/" % tenant_id,
                    "tid": tenant_id,
                    "appid": client_id,
                    "idtyp": "app",
                    "roles": list(self.switches["app_roles"]),
                    "iat": int(time.time()),
                    "exp": int(time.time() + lifetime),
                    "uti": secrets.token_urlsafe(24),
                }
            )
            self.tokens[token] = {
                "tenant_id": tenant_id,
                "client_id": client_id,
                "audience": audience,
                "expires_at": time.time() + lifetime,
                "roles": list(self.switches["app_roles"]),
            }
            return token, lifetime

    def lookup_token(self, token):
        with self._lock:
            record = self.tokens.get(token)
            return dict(record) if record else None

    def expire_tokens(self):
        """Mark every issued token as expired. Returns how many there were."""
        with self._lock:
            for record in self.tokens.values():
                record["expires_at"] = 0.0
            return len(self.tokens)

    # -- directory ------------------------------------------------------------------------

    def find_directory_object(self, object_id):
        """Return (kind, object copy) for an id of any kind, or (None, None)."""
        key = object_id.lower()
        with self._lock:
            for kind, table in (
                ("user", self.users),
                ("group", self.groups),
                ("servicePrincipal", self.service_principals),
                ("device", self.devices),
            ):
                if key in table:
                    return kind, copy.deepcopy(table[key])
            return None, None

    def find_user(self, id_or_upn):
        """Return a copy of the user with this id or userPrincipalName (any case), or None."""
        folded = id_or_upn.casefold()
        with self._lock:
            user = self.users.get(id_or_upn.lower())
            if user is None:
                user = next((u for u in self.users.values() if u["userPrincipalName"].casefold() == folded), None)
            return copy.deepcopy(user)

    def find_group(self, group_id):
        with self._lock:
            return copy.deepcopy(self.groups.get(group_id.lower()))

    def list_users(self):
        with self._lock:
            return copy.deepcopy(list(self.users.values()))

    def list_groups(self):
        with self._lock:
            return copy.deepcopy(list(self.groups.values()))

    def add_user(self, fields):
        """Add a user for test set-up. ``fields`` needs displayName and userPrincipalName."""
        return self._add_object(self.users, fields, "user", ("displayName", "userPrincipalName"))

    def add_group(self, fields):
        """Add a group for test set-up. ``fields`` needs displayName."""
        return self._add_object(self.groups, fields, "group", ("displayName",))

    def _add_object(self, table, fields, kind, required):
        if not isinstance(fields, dict):
            raise StateError("a %s must be a JSON object" % kind)
        for name in required:
            if not isinstance(fields.get(name), str) or not fields[name]:
                raise StateError("missing or invalid %s %r" % (kind, name))
        obj = copy.deepcopy(fields)
        obj["id"] = str(obj.get("id") or uuid.uuid4()).lower()
        if kind == "user":
            defaults = {
                "givenName": None,
                "surname": None,
                "mail": None,
                "jobTitle": None,
                "userType": "Member",
                "accountEnabled": True,
                "otherMails": [],
                "businessPhones": [],
            }
        else:
            defaults = {
                "description": None,
                "mail": None,
                "mailEnabled": False,
                "mailNickname": obj["displayName"].lower().replace(" ", "-"),
                "securityEnabled": True,
                "groupTypes": [],
            }
        obj = {**defaults, **obj}
        with self._lock:
            kind_found, _existing = self.find_directory_object(obj["id"])
            if kind_found is not None:
                raise StateError("an object with id %r already exists" % obj["id"])
            if kind == "user" and any(
                u["userPrincipalName"].casefold() == obj["userPrincipalName"].casefold() for u in self.users.values()
            ):
                raise StateError("a user with userPrincipalName %r already exists" % obj["userPrincipalName"])
            table[obj["id"]] = obj
            return copy.deepcopy(obj)

    # -- connected organizations ----------------------------------------------------------

    def list_organizations(self):
        with self._lock:
            return copy.deepcopy(list(self.organizations.values()))

    def get_organization(self, org_id):
        with self._lock:
            return copy.deepcopy(self.organizations.get(org_id.lower()))

    def create_organization(self, fields):
        org_id = str(uuid.uuid4())
        stamp = now_iso()
        org = {
            "id": org_id,
            **fields,
            "createdDateTime": stamp,
            "modifiedDateTime": stamp,
            "internalSponsors": [],
            "externalSponsors": [],
        }
        with self._lock:
            self.organizations[org_id] = org
            return copy.deepcopy(org)

    def update_organization(self, org_id, fields):
        """Apply ``fields`` and return the updated copy, or None for an unknown id."""
        with self._lock:
            org = self.organizations.get(org_id.lower())
            if org is None:
                return None
            org.update(fields)
            org["modifiedDateTime"] = now_iso()
            return copy.deepcopy(org)

    def delete_organization(self, org_id):
        with self._lock:
            return self.organizations.pop(org_id.lower(), None) is not None

    def add_sponsor(self, org_id, kind, object_id):
        """Append a sponsor id. Returns False if it was already there (and changes nothing)."""
        with self._lock:
            sponsors = self.organizations[org_id.lower()][kind]
            if object_id.lower() in sponsors:
                return False
            sponsors.append(object_id.lower())
            return True

    def remove_sponsor(self, org_id, kind, object_id):
        """Remove a sponsor id. Returns False if it was not a sponsor."""
        with self._lock:
            sponsors = self.organizations[org_id.lower()][kind]
            if object_id.lower() not in sponsors:
                return False
            sponsors.remove(object_id.lower())
            return True

    def set_sponsors(self, org_id, kind, ids):
        """Replace a sponsor list for test set-up. Every id must name a directory object."""
        if kind not in SPONSOR_KINDS:
            raise StateError("invalid sponsor kind %r; expected one of %s" % (kind, ", ".join(SPONSOR_KINDS)))
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise StateError("'ids' must be a list of object id strings")
        with self._lock:
            org = self.organizations.get(org_id.lower())
            if org is None:
                raise LookupError("connected organization %r not found" % org_id)
            unknown = [i for i in ids if self.find_directory_object(i)[0] is None]
            if unknown:
                raise StateError("no directory object with id(s): %s" % ", ".join(unknown))
            org[kind] = list(dict.fromkeys(i.lower() for i in ids))
            return copy.deepcopy(org)


def _public_fault(fault):
    return {key: value for key, value in fault.items() if key != "pattern"}
