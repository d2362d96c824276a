# Copyright: Contributors to the entra.governance collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.entra.governance.plugins.module_utils.errors import (
    AuthError,
    GraphError,
    InvalidInputError,
    PartialChangeError,
)

URL = "https://127.0.0.1:9443/v1.0/users"


@pytest.mark.parametrize(
    "fields, expected",
    [
        pytest.param(
            {
                "status": 403,
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges.",
                "request_id": "r-1",
                "date": "2024-05-06T07:08:09",
            },
            "Failed to add user ada: HTTP 403 Authorization_RequestDenied: Insufficient privileges. "
            "(request-id r-1, date 2024-05-06T07:08:09)",
            id="envelope",
        ),
        pytest.param(
            {"status": 404, "code": "Request_ResourceNotFound", "request_id": "r-2"},
            "Failed to add user ada: HTTP 404 Request_ResourceNotFound (request-id r-2)",
            id="code-without-message",
        ),
        pytest.param(
            {
                "status": 502,
                "detail": "the server returned an HTML page (<h1>Bad gateway</h1>)",
                "date": "Mon, 06 May 2024 07:08:09 GMT",
            },
            "Failed to add user ada: HTTP 502: the server returned an HTML page (<h1>Bad gateway</h1>) "
            "(date Mon, 06 May 2024 07:08:09 GMT)",
            id="status-and-detail",
        ),
        pytest.param(
            {"detail": "could not connect to 127.0.0.1:9443 (refused)"},
            "Failed to add user ada: could not connect to 127.0.0.1:9443 (refused)",
            id="no-answer",
        ),
        pytest.param(
            {"code": "Ignored", "message": "without a status neither code nor message is shown"},
            "Failed to add user ada",
            id="code-without-status",
        ),
    ],
)
def test_graph_error_message(fields, expected):
    error = GraphError("add user ada", "POST", URL, **fields)

    assert str(error) == expected


def test_graph_error_to_result():
    error = GraphError(
        "read user",
        "GET",
        URL,
        status=403,
        code="Authorization_RequestDenied",
        message="Insufficient privileges.",
        request_id="r-1",
        date="d",
    )

    assert error.to_result() == {
        "http_status": 403,
        "error_code": "Authorization_RequestDenied",
        "request_id": "r-1",
        "method": "GET",
        "url": URL,
    }


@pytest.mark.parametrize("status, expected", [(404, True), (400, False), (None, False)])
def test_graph_error_is_not_found(status, expected):
    assert GraphError("read user", "GET", URL, status=status).is_not_found is expected


def test_auth_error_to_result():
    error = AuthError("Failed to get a token", code="AADSTS7000215", correlation_id="c-1")

    assert str(error) == "Failed to get a token"
    assert error.to_result() == {"error_code": "AADSTS7000215", "correlation_id": "c-1"}


def test_invalid_input_error_to_result_empty():
    assert InvalidInputError("Invalid users[0]").to_result() == {}


def test_partial_change_lists_changes():
    cause = GraphError("remove group g1", "DELETE", URL, status=403, code="UnAuthorized", request_id="r-9")

    error = PartialChangeError(cause, ["u1", "u2"], [])

    assert str(error) == (
        "Failed to remove group g1: HTTP 403 UnAuthorized (request-id r-9). Already changed before "
        "the failure: added u1, u2; removed none"
    )


def test_partial_change_lists_removals():
    cause = GraphError("remove group g2", "DELETE", URL, status=500)

    error = PartialChangeError(cause, [], ["g1"])

    assert str(error).endswith(". Already changed before the failure: added none; removed g1")


def test_partial_change_without_changes():
    cause = GraphError("add user u1", "POST", URL, status=403, code="UnAuthorized")

    error = PartialChangeError(cause, [], [])

    assert str(error) == str(cause)


def test_partial_change_to_result():
    cause = GraphError("remove group g2", "DELETE", URL, status=403, code="UnAuthorized", request_id="r-9")

    result = PartialChangeError(cause, ["u1"], ["g1"]).to_result()

    assert result == {
        "http_status": 403,
        "error_code": "UnAuthorized",
        "request_id": "r-9",
        "method": "DELETE",
        "url": URL,
        "added": ["u1"],
        "removed": ["g1"],
        "changed": True,
    }


def test_partial_change_unchanged_result():
    result = PartialChangeError(GraphError("add user u1", "POST", URL, status=403), [], []).to_result()

    assert result["changed"] is False


def test_partial_change_foreign_cause():
    result = PartialChangeError(ValueError("broken"), ["u1"], []).to_result()

    assert result == {"added": ["u1"], "removed": [], "changed": True}


def test_partial_change_copies_lists():
    added = ["u1"]

    error = PartialChangeError(GraphError("add user u2", "POST", URL), added, [])
    added.append("u2")

    assert error.added == ["u1"]
