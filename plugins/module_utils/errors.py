# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Exceptions shared by the collection's modules.

For use by this collection only; not a public API.

Code anywhere below a module raises one of these, and the module turns it into
``fail_json`` once, so every failure carries the same facts: what was attempted, on
which object, and how Graph or Entra ID responded.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class EntraGovernanceError(Exception):
    """Base class of the collection's errors; ``str()`` is the message for the user."""

    def to_result(self):
        """Return extra keys for ``fail_json`` (besides ``msg``)."""
        return {}


class InvalidInputError(EntraGovernanceError):
    """An option value that cannot work, found before anything was sent or written."""


class GraphError(EntraGovernanceError):
    """A Microsoft Graph request that failed.

    ``operation`` is a phrase such as "add user 'ada@contoso.example' as internal sponsor
    of 'Fabrikam'"; the rest comes from the HTTP response and Graph's error envelope
    ``{"error": {"code", "message", "innerError": {"request-id", "date"}}}``.
    """

    def __init__(
        self, operation, method, url, status=None, code=None, message=None, request_id=None, date=None, detail=None
    ):
        self.operation = operation
        self.method = method
        self.url = url
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.date = date
        self.detail = detail
        super(GraphError, self).__init__(self._format())

    def _format(self):
        text = "Failed to %s" % self.operation
        if self.status is not None:
            text += ": HTTP %s" % self.status
            if self.code:
                text += " %s" % self.code
            if self.message:
                text += ": %s" % self.message
        if self.detail:
            text += ": %s" % self.detail
        ids = []
        if self.request_id:
            ids.append("request-id %s" % self.request_id)
        if self.date:
            ids.append("date %s" % self.date)
        if ids:
            text += " (%s)" % ", ".join(ids)
        return text

    @property
    def is_not_found(self):
        return self.status == 404

    def to_result(self):
        return {
            "http_status": self.status,
            "error_code": self.code,
            "request_id": self.request_id,
            "method": self.method,
            "url": self.url,
        }


class AuthError(EntraGovernanceError):
    """Entra ID refused to issue a token, or could not be reached to ask for one.

    ``code`` is Entra's ``AADSTS…`` code when the token endpoint returned one.
    """

    def __init__(self, message, code=None, correlation_id=None):
        self.code = code
        self.correlation_id = correlation_id
        super(AuthError, self).__init__(message)

    def to_result(self):
        return {"error_code": self.code, "correlation_id": self.correlation_id}


class PartialChangeError(EntraGovernanceError):
    """A write failed after earlier writes of the same task had succeeded.

    Carries what was already changed so the failure can report it.
    """

    def __init__(self, cause, added, removed):
        self.cause = cause
        self.added = list(added)
        self.removed = list(removed)
        message = str(cause)
        if self.added or self.removed:
            message += ". Already changed before the failure: added %s; removed %s" % (
                ", ".join(self.added) or "none",
                ", ".join(self.removed) or "none",
            )
        super(PartialChangeError, self).__init__(message)

    def to_result(self):
        result = self.cause.to_result() if isinstance(self.cause, EntraGovernanceError) else {}
        result.update({"added": self.added, "removed": self.removed, "changed": bool(self.added or self.removed)})
        return result
