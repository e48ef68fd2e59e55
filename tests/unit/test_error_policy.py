"""One error policy, three body shapes: each failure answers the same status in every API,
worded in that API's shape."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from fastapi import APIRouter
from starlette.testclient import TestClient

from wavedb_core.errors import Conflict
from wavedb_core.http.app import OUR_ERRORS, ApiErrors, create_app
from wavedb_core.http.error_responses import ErrorShapes
from wavedb_core.models.base import ErrorBody

from tora_api.errors import TORA_ERROR_SHAPE
from wavedb_api.errors import WAVEDB_ERROR_SHAPE

FAILURES: dict[str, Exception] = {
    "unexpected": RuntimeError("boom: a secret detail"),
    "database": psycopg.OperationalError("connection refused"),
    "unstorable": psycopg.DataError("invalid byte sequence"),
    "conflict": Conflict("the name is taken"),
}
APIS = {
    "ours": OUR_ERRORS,
    "tora": ApiErrors(shape=TORA_ERROR_SHAPE, documented=ErrorShapes(default=ErrorBody)),
    "wavedb": ApiErrors(shape=WAVEDB_ERROR_SHAPE, documented=ErrorShapes(default=ErrorBody)),
}
EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("ours", "unexpected"): {
        "code": "internal_error",
        "message": "internal error; the request was not completed",
    },
    ("ours", "database"): {
        "code": "database_unavailable",
        "message": "the database cannot be reached; retry shortly",
    },
    ("ours", "unstorable"): {
        "code": "invalid_value",
        "message": "a value in the request cannot be stored",
    },
    ("ours", "conflict"): {"code": "conflict", "message": "the name is taken"},
    ("tora", "unexpected"): {
        "status": 500,
        "error": "INTERNAL_SERVER_ERROR",
        "message": "internal error; the request was not completed",
    },
    ("tora", "database"): {
        "status": 503,
        "error": "SERVICE_UNAVAILABLE",
        "message": "the database cannot be reached; retry shortly",
    },
    ("tora", "unstorable"): {
        "status": 400,
        "error": "BAD_REQUEST",
        "message": "a value in the request cannot be stored",
    },
    ("tora", "conflict"): {"status": 409, "error": "CONFLICT", "message": "the name is taken"},
    ("wavedb", "unexpected"): {"message": "internal error; the request was not completed"},
    ("wavedb", "database"): {
        "name": "ServiceUnavailable",
        "message": "the database cannot be reached; retry shortly",
    },
    ("wavedb", "unstorable"): {
        "name": "BadRequest",
        "message": "a value in the request cannot be stored",
    },
    ("wavedb", "conflict"): {"name": "Conflict", "message": "the name is taken"},
}
STATUS = {"unexpected": 500, "database": 503, "unstorable": 400, "conflict": 409}


def _client(errors: ApiErrors) -> TestClient:
    router = APIRouter()

    @router.get("/fail/{failure}")
    def fail(failure: str) -> None:
        raise FAILURES[failure]

    app = create_app(router, title="test", errors=errors)
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("api", sorted(APIS))
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_error_policy_failure_same_status_in_the_api_shape(api: str, failure: str) -> None:
    response = _client(APIS[api]).get(f"/fail/{failure}")

    assert response.status_code == STATUS[failure]
    assert response.json() == EXPECTED[(api, failure)]
    retry_after = response.headers.get("retry-after")
    assert retry_after == ("1" if failure == "database" else None)
