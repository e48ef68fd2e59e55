"""Migrations applied to a database that already holds data from earlier versions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support.postgres import apply_migrations_before, scratch_database
from wavedb_core.db.migrations import apply_migrations


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    """An empty database of its own on the tests' PostgreSQL server."""
    with scratch_database(database_url, prefix="wavedb_migrations") as url:
        yield url


def test_invitation_migration_auto_confirmed_addresses_lose_their_proof(scratch_url: str) -> None:
    """Sign-up once marked every address confirmed when confirmation was off; such an account
    proved nothing, so only an address confirmed through its link keeps the mark."""
    with psycopg.connect(scratch_url, autocommit=True, row_factory=dict_row) as connection:
        apply_migrations_before(connection, "0007")
        signed_up, confirmed_by_link = uuid.uuid4(), uuid.uuid4()
        for user_id, email in ((signed_up, "NEWHIRE@example.com"), (confirmed_by_link, "a@x.io")):
            connection.execute(
                "INSERT INTO users (id, email, name, password_hash, email_confirmed_at)"
                " VALUES (%s, %s, 'n', 'h', now())",
                (user_id, email),
            )
        connection.execute(
            "INSERT INTO email_confirmations (id, user_id, token_hash, expires_at, used_at)"
            " VALUES (%s, %s, '\\x00', now(), now())",
            (uuid.uuid4(), confirmed_by_link),
        )

        applied = apply_migrations(connection)

        assert "0007_invitation_tokens_and_login_sources" in applied
        rows = connection.execute("SELECT id, email_confirmed_at FROM users").fetchall()
        confirmed = {row["id"]: row["email_confirmed_at"] is not None for row in rows}
        assert confirmed == {signed_up: False, confirmed_by_link: True}


def test_rollup_sum_migration_moves_large_sums_to_the_scaled_part(scratch_url: str) -> None:
    with psycopg.connect(scratch_url, autocommit=True, row_factory=dict_row) as connection:
        apply_migrations_before(connection, "0009")
        for bucket, total in enumerate((1e300, -1e300, 12.5, None)):
            connection.execute(
                "INSERT INTO metric_rollups (metric_id, level, bucket, count, finite_count, sum,"
                " last_step, last_value) VALUES (1, 1, %s, 2, 2, %s, 0, 0)",
                (bucket, total),
            )

        apply_migrations(connection)

        rows = connection.execute(
            "SELECT sum, large_sum_scaled FROM metric_rollups ORDER BY bucket"
        ).fetchall()
    scale = 2.0**-64
    assert [(row["sum"], row["large_sum_scaled"]) for row in rows] == [
        (None, 1e300 * scale),
        (None, -1e300 * scale),
        (12.5, None),
        (None, None),
    ]
