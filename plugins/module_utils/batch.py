# -*- coding: utf-8 -*-
# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""JSON batching: several Graph requests in one HTTP round trip.

For use by this collection only; not a public API.

Graph runs the sub-requests of ``POST /$batch`` independently, possibly in parallel, and
returns a status for each, so one batch can partly fail. Sub-requests that Graph throttled (429) or
found unavailable (502, 503, 504) are sent again in a later batch, after the longest
``Retry-After`` among them. The other responses are final.
https://learn.microsoft.com/graph/json-batching
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.entra.governance.plugins.module_utils.errors import GraphError
from ansible_collections.entra.governance.plugins.module_utils.graph import (
    AMBIGUOUS_STATUSES,
    MAX_RETRY_DELAY,
    RETRYABLE_STATUSES,
    _encode_query,
    parse_retry_after,
)

# Graph accepts at most 20 sub-requests in one batch.
MAX_BATCH_REQUESTS = 20


class SubRequest(object):
    """One request of a batch. ``path`` is relative to the API version, such as ``/users``."""

    def __init__(self, method, path, operation, params=None, body=None):
        self.method = method
        self.path = path
        self.operation = operation
        self.params = params
        self.body = body

    def relative_url(self):
        return self.path + _encode_query(self.params) if self.params else self.path

    def to_json(self, request_id):
        item = {"id": request_id, "method": self.method, "url": self.relative_url()}
        if self.body is not None:
            item["body"] = self.body
            item["headers"] = {"Content-Type": "application/json"}
        return item


class SubResponse(object):
    """Graph's response to one sub-request.

    ``ambiguous`` is true when an earlier attempt of this sub-request got 502, 503 or 504,
    or the batch that carried it did: the service may have carried out that attempt anyway.
    """

    def __init__(self, status, headers, body, ambiguous):
        self.status = status
        self.headers = headers
        self.body = body
        self.ambiguous = ambiguous

    @property
    def ok(self):
        return 200 <= self.status < 300

    def json_object(self, client, sub_request):
        """Return the body as a dict; raise GraphError if the sub-request failed or the body is not an object."""
        if not self.ok:
            raise self.error(client, sub_request)
        if not isinstance(self.body, dict):
            raise GraphError(
                sub_request.operation,
                sub_request.method,
                client.endpoints.api_root + sub_request.relative_url(),
                status=self.status,
                detail="the batch response of this request is not a JSON object",
            )
        return self.body

    def error(self, client, sub_request):
        """Build the GraphError for a failed sub-request, from Graph's error envelope if there is one."""
        code = message = request_id = date = detail = None
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict):
            code = error.get("code")
            message = error.get("message")
            inner = error.get("innerError") or error.get("innererror") or {}
            if isinstance(inner, dict):
                request_id = inner.get("request-id")
                date = inner.get("date")
        else:
            detail = "the batch response of this request has no Graph error"
        return GraphError(
            sub_request.operation,
            sub_request.method,
            client.endpoints.api_root + sub_request.relative_url(),
            status=self.status,
            code=code,
            message=message,
            request_id=request_id or _header(self.headers, "request-id"),
            date=date,
            detail=detail,
        )


def _header(headers, name):
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def send_batch(client, sub_requests, operation):
    """Send ``sub_requests`` in batches of at most 20 and return one SubResponse per sub-request, in order.

    A sub-request that got 429, 502, 503 or 504 is sent again, in a batch of only such
    sub-requests, after the longest ``Retry-After`` they carry (or exponential back-off),
    within the GraphClient's ``max_retries`` and ``max_retry_time``. When those run out, its last response is
    returned. A failure of a whole batch raises GraphError.
    """
    responses = [None] * len(sub_requests)
    for start in range(0, len(sub_requests), MAX_BATCH_REQUESTS):
        indexes = list(range(start, min(start + MAX_BATCH_REQUESTS, len(sub_requests))))
        _send_with_retries(client, sub_requests, indexes, responses, operation)
    return responses


def _send_with_retries(client, sub_requests, indexes, responses, operation):
    ambiguous = set()
    attempt = 0
    waited = 0.0
    url = client.endpoints.api_root + "/$batch"
    while True:
        payload = {"requests": [sub_requests[index].to_json(str(index)) for index in indexes]}
        body = client.post_json(url, "%s (JSON batch of %d requests)" % (operation, len(indexes)), payload) or {}
        if client.last_request_ambiguous:
            ambiguous.update(indexes)
        answers = body.get("responses") if isinstance(body, dict) else None
        by_id = dict((str(item.get("id")), item) for item in answers or [] if isinstance(item, dict))
        missing = [index for index in indexes if str(index) not in by_id]
        if missing:
            raise GraphError(
                operation,
                "POST",
                url,
                detail="the batch response has no answer for %d of its %d requests" % (len(missing), len(indexes)),
            )

        retry = []
        delays = []
        for index in indexes:
            item = by_id[str(index)]
            status = int(item.get("status") or 0)
            headers = item.get("headers") or {}
            responses[index] = SubResponse(status, headers, item.get("body"), index in ambiguous)
            if status in RETRYABLE_STATUSES:
                retry.append(index)
                delays.append(parse_retry_after(_header(headers, "retry-after"), now=client.clock()))
                if status in AMBIGUOUS_STATUSES:
                    ambiguous.add(index)
        if not retry or attempt >= client.max_retries:
            return

        known = [delay for delay in delays if delay is not None]
        delay = max(known) if known else (2**attempt) * (1.0 + client.jitter())
        delay = min(delay, MAX_RETRY_DELAY)
        if waited + delay > client.max_retry_time:
            return
        attempt += 1
        waited += delay
        client.retry_count += 1
        client.log(
            "Graph answered %d of %d batch requests with HTTP %s; retry %d of %d of those in %.2f s."
            % (
                len(retry),
                len(indexes),
                "/".join(sorted(set(str(responses[index].status) for index in retry))),
                attempt,
                client.max_retries,
                delay,
            )
        )
        client.sleep(delay)
        indexes = retry
