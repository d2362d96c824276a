# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A small Microsoft Graph client: requests, retries, paging and error translation.

For use by this collection only; not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import json
import math
import random
import time
import traceback
from urllib.parse import quote, urlsplit

REQUESTS_IMPORT_ERROR = None
try:
    import requests
except ImportError:  # pragma: no cover - reported by the module through missing_required_lib()
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError

# Statuses worth retrying, all of which Graph documents as temporary. 429 Too Many
# Requests is throttling and comes with Retry-After. 503 Service Unavailable and 504
# Gateway Timeout mean that the service is busy or a back end timed out; they sometimes
# come with Retry-After.
# https://learn.microsoft.com/graph/throttling and https://learn.microsoft.com/graph/errors
# 502 Bad Gateway is retried as well: Graph does not document it, but proxies and load
# balancers in front of Graph return it, often with an HTML page, when a back end is
# briefly unreachable. 500 is not retried, because Graph uses it for lasting faults too.
RETRYABLE_STATUSES = frozenset([429, 502, 503, 504])
# After these statuses, and after a connection error or a timeout, the service may have
# carried out the request although the client got no success response. 429 means that the
# request was rejected before it was carried out.
AMBIGUOUS_STATUSES = frozenset([502, 503, 504])

DEFAULT_MAX_RETRIES = 5
# Upper bound for one wait, whatever Retry-After requests, in seconds.
MAX_RETRY_DELAY = 60.0
# Default upper bound, in seconds, for the time that the retries of one request may take:
# the waits plus the failed attempts after the first.
MAX_TOTAL_RETRY_DELAY = 180.0


def odata_string(value):
    """Quote ``value`` as an OData string literal: ``O'Neil`` becomes ``'O''Neil'``."""
    return "'%s'" % value.replace("'", "''")


def path_segment(value):
    """Percent-encode ``value`` for use as one URL path segment (``/``, ``#`` and ``?`` included)."""
    return quote(value, safe="")


def parse_retry_after(value, now=None):
    """Return the delay in seconds that a ``Retry-After`` header requests, or None.

    Graph sends seconds, sometimes fractional (``2.128``); HTTP also allows a date.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        parsed = email.utils.parsedate_tz(text)
        if parsed is None:
            return None
        now = time.time() if now is None else now
        seconds = email.utils.mktime_tz(parsed) - now
    if math.isnan(seconds) or seconds < 0:  # a date in the past
        return 0.0
    return seconds


class CaPinnedSession(requests.Session if requests else object):
    """A ``requests.Session`` whose ``verify`` setting wins over the environment.

    requests fills a request's ``verify`` from ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``
    before it looks at ``Session.verify``, so a CA file set on the session is silently
    ignored wherever those variables are set (execution environments often set them).
    This session puts its own ``verify`` back after that merge when it is a CA path or
    False, unless the caller passed one for the request. With the default ``True`` the
    environment still decides, as it does for any requests user.
    """

    # msal sends its requests through this session without a timeout, so the session
    # supplies one (seconds) to every request that has none.
    default_timeout = None

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super(CaPinnedSession, self).request(method, url, **kwargs)

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        explicit = verify is not None
        settings = super(CaPinnedSession, self).merge_environment_settings(url, proxies, stream, verify, cert)
        if not explicit and self.verify is not True:
            settings["verify"] = self.verify
        return settings


def build_session(ca_path=None, validate_certs=True, timeout=None):
    session = CaPinnedSession()
    session.default_timeout = timeout
    if not validate_certs:
        session.verify = False
    elif ca_path:
        session.verify = ca_path
    else:
        session.verify = True
    return session


def _error_from_response(operation, method, url, response):
    """Build a GraphError from a failed response, reading Graph's error envelope if there is one."""
    code = message = request_id = date = detail = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        code = error.get("code")
        message = error.get("message")
        inner = error.get("innerError") or error.get("innererror") or {}
        if isinstance(inner, dict):
            request_id = inner.get("request-id")
            date = inner.get("date")
    else:
        text = (response.text or "").strip()
        content_type = response.headers.get("Content-Type", "")
        if text:
            kind = "an HTML page" if "html" in content_type.lower() else "a body that is not Graph's JSON error"
            detail = "the server returned %s (%s)" % (kind, _shorten(text, 200))
        else:
            detail = response.reason or None
    request_id = request_id or response.headers.get("request-id")
    date = date or response.headers.get("Date")
    return GraphError(
        operation,
        method,
        url,
        status=response.status_code,
        code=code,
        message=message,
        request_id=request_id,
        date=date,
        detail=detail,
    )


def _shorten(text, limit):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


class GraphClient(object):
    """Sends requests to one Graph endpoint with a bearer token.

    ``token_provider`` is an object with ``get_token()`` and ``invalidate()``. When Graph
    reports an expired token, the client requests a new one once. ``sleep``, ``clock`` (wall
    time in seconds since the epoch, for a ``Retry-After`` date) and
    ``jitter`` are injectable so retry timing can be tested without waiting.
    """

    def __init__(
        self,
        endpoints,
        token_provider,
        session,
        timeout=30,
        log=None,
        max_retries=DEFAULT_MAX_RETRIES,
        sleep=time.sleep,
        clock=time.time,
        jitter=random.random,
        max_retry_time=MAX_TOTAL_RETRY_DELAY,
        monotonic=time.monotonic,
    ):
        self.endpoints = endpoints
        self.token_provider = token_provider
        self.session = session
        self.timeout = timeout
        self.log = log or (lambda message: None)
        self.max_retries = max_retries
        self.max_retry_time = max_retry_time
        self.monotonic = monotonic
        self.sleep = sleep
        self.clock = clock
        self.jitter = jitter
        self.request_count = 0
        # True when an earlier attempt of the last request() got 502, 503 or 504, a connection
        # error or a timeout. The service may have carried out such an attempt anyway, so
        # "already done" on the retry of a write is not proof that someone else made the
        # change. A 429 attempt was not carried out.
        self.last_request_ambiguous = False
        # Retries of all requests so far, for tests and callers that report them.
        self.retry_count = 0

    def url(self, *segments):
        """Build an absolute Graph URL from raw path segments, each percent-encoded."""
        return "%s/%s" % (self.endpoints.api_root, "/".join(path_segment(segment) for segment in segments))

    def request(self, method, url, operation, params=None, body=None):
        """Send one request, retrying throttling, temporary unavailability and transport failures.

        Returns the ``requests.Response`` of a 2xx response; raises GraphError otherwise.
        ``operation`` names what is being done for the error message. Retries stop after
        ``max_retries``, or earlier when the next wait would take the time spent on retries
        (waits and the attempts after the first) past ``max_retry_time`` seconds.
        """
        self._check_same_host(url, operation, method)
        full_url = url + _encode_query(params) if params else url
        retry_time = 0.0
        attempt = 0
        renewed_token = False
        self.last_request_ambiguous = False
        while True:
            started = self.monotonic()
            response = None
            try:
                response = self._send(method, full_url, body, operation)
            except _TransportError as failure:
                error = failure.error
            if attempt:
                retry_time += self.monotonic() - started

            if response is not None:
                # A 3xx is a failure too: redirects are not followed, so nothing was done.
                if response.status_code < 300:
                    return response
                error = _error_from_response(operation, method, full_url, response)
                if response.status_code == 401 and not renewed_token and _is_expired_token(error):
                    self.log(
                        "Graph reported that the access token expired; requesting a new one and sending %s %s again."
                        % (method, url)
                    )
                    self.token_provider.invalidate()
                    renewed_token = True
                    continue
                if response.status_code not in RETRYABLE_STATUSES:
                    raise error
                delay = self._retry_delay(response, attempt)
                reason = "Graph answered HTTP %s to %s %s (request-id %s)" % (
                    response.status_code,
                    method,
                    url,
                    error.request_id,
                )
                ambiguous = response.status_code in AMBIGUOUS_STATUSES
            else:
                delay = self._backoff(attempt)
                reason = "%s %s failed: %s" % (method, url, error.detail)
                ambiguous = True

            if attempt >= self.max_retries or retry_time + delay > self.max_retry_time:
                raise error
            attempt += 1
            retry_time += delay
            self.retry_count += 1
            if ambiguous:
                self.last_request_ambiguous = True
            self.log("%s; retry %d of %d in %.2f s." % (reason, attempt, self.max_retries, delay))
            self.sleep(delay)

    def _send(self, method, url, body, operation):
        headers = {
            "Authorization": "Bearer %s" % self.token_provider.get_token(),
            "Accept": "application/json",
        }
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        self.request_count += 1
        try:
            # Redirects are not followed: requests would send the Authorization header along
            # to whichever host the redirect names, within the same site.
            return self.session.request(
                method, url, headers=headers, data=data, timeout=self.timeout, allow_redirects=False
            )
        except requests.exceptions.SSLError as exc:
            raise GraphError(
                operation,
                method,
                url,
                detail="TLS verification of %s failed (%s); set ca_path to the "
                "CA that signed its certificate" % (self.endpoints.graph_host, _shorten(str(exc), 300)),
            )
        except requests.exceptions.Timeout as exc:
            raise _TransportError(
                GraphError(operation, method, url, detail="timed out after %s s (%s)" % (self.timeout, exc))
            )
        except requests.exceptions.ConnectionError as exc:
            raise _TransportError(
                GraphError(
                    operation,
                    method,
                    url,
                    detail="could not connect to %s (%s)" % (self.endpoints.graph_host, _shorten(str(exc), 300)),
                )
            )
        except requests.exceptions.RequestException as exc:
            raise GraphError(
                operation,
                method,
                url,
                detail="could not connect to %s (%s)" % (self.endpoints.graph_host, _shorten(str(exc), 300)),
            )

    def _retry_delay(self, response, attempt):
        delay = parse_retry_after(response.headers.get("Retry-After"), now=self.clock())
        if delay is None:
            return self._backoff(attempt)
        return min(delay, MAX_RETRY_DELAY)

    def _backoff(self, attempt):
        # No hint from Graph: exponential back-off from 1 s, with jitter so that parallel
        # jobs throttled together do not come back together.
        return min((2**attempt) * (1.0 + self.jitter()), MAX_RETRY_DELAY)

    def _check_same_host(self, url, operation, method):
        # Links that Graph returns (@odata.nextLink) are followed only on the configured
        # Graph endpoint, so the bearer token never goes anywhere else.
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            # urlsplit raises ValueError for an unbalanced '[' or ']' in the host part.
            raise GraphError(operation, method, url, detail="the URL is invalid (%s), so the token was not sent" % exc)
        expected = urlsplit(self.endpoints.graph_url)
        if parts.scheme != "https" or parts.netloc.lower() != expected.netloc.lower():
            raise GraphError(
                operation,
                method,
                url,
                detail="refusing to send the token to %s://%s, which is not "
                "the configured Graph endpoint %s" % (parts.scheme, parts.netloc, self.endpoints.graph_url),
            )

    def get_json(self, url, operation, params=None):
        response = self.request("GET", url, operation, params=params)
        return _json_body(response, operation, "GET", url)

    def list_all(self, url, operation, params=None):
        """Return every item of a collection, following ``@odata.nextLink`` to the last page."""
        return [item for page in self.list_pages(url, operation, params=params) for item in page]

    def list_pages(self, url, operation, params=None, first_page=None):
        """Yield the ``value`` list of each page of a collection, following ``@odata.nextLink``.

        ``first_page`` is the parsed response to the first request when a JSON batch already
        sent it. Only the pages after it are then requested.
        """
        page = self.get_json(url, operation, params=params) if first_page is None else first_page
        followed = set()
        while True:
            value = page.get("value")
            if not isinstance(value, list):
                raise GraphError(operation, "GET", url, detail="the response has no 'value' list")
            yield value
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return
            if next_link in followed:
                # A listing that links back to a page already read would never end.
                raise GraphError(
                    operation, "GET", next_link, detail="@odata.nextLink points to a page that was already read"
                )
            followed.add(next_link)
            page = self.get_json(next_link, operation)

    def post_json(self, url, operation, body):
        response = self.request("POST", url, operation, body=body)
        if response.status_code == 204 or not response.content:
            return None
        return _json_body(response, operation, "POST", url)

    def delete(self, url, operation):
        self.request("DELETE", url, operation)


def _json_body(response, operation, method, url):
    try:
        body = response.json()
    except ValueError:
        raise GraphError(
            operation,
            method,
            url,
            status=response.status_code,
            request_id=response.headers.get("request-id"),
            detail="the response is not JSON (%s)" % _shorten(response.text or "", 200),
        )
    if not isinstance(body, dict):
        raise GraphError(
            operation,
            method,
            url,
            status=response.status_code,
            request_id=response.headers.get("request-id"),
            detail="the response is not a JSON object",
        )
    return body


class _TransportError(Exception):
    """A request that got no HTTP response because of a connection error or a timeout; worth retrying."""

    def __init__(self, error):
        super(_TransportError, self).__init__(str(error))
        self.error = error


def _is_expired_token(error):
    return error.code == "InvalidAuthenticationToken" and "expired" in (error.message or "").lower()


def _encode_query(params):
    # Values are percent-encoded completely, so that a '+' in a UPN is not read as a space.
    # Names such as $filter stay as they are.
    return "?" + "&".join("%s=%s" % (name, quote(str(value), safe="")) for name, value in params.items())
