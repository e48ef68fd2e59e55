"""The API holds one database connection per execution environment, however many requests
it serves and however many threads they hop across: PostgreSQL's connection limit is never
the thing that fails under load."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.support.accounts import sign_up
from wavedb_local.stack import LocalStack


def _api_connections(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'wavedb-%'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_many_requests_reuse_a_bounded_number_of_connections(
    api: Any, local_stack: LocalStack, database_url: str
) -> None:
    bearer = sign_up(api).bearer
    for index in range(150):
        if index % 3 == 0:
            assert api.get("/v1/me", headers=bearer).status_code == 200
        elif index % 3 == 1:
            assert api.post("/v1/auth/login", json={"email": "x"}).status_code == 422
        else:
            assert api.get("/v1/api-keys", headers={"x-api-key": "wdk_bad"}).status_code == 401

    # One per execution environment (the gateway's workers) plus this test's own thread.
    assert _api_connections(database_url) <= local_stack.config.workers + 1
