"""Users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from wavedb_core.db.connection import Connection
from wavedb_core.errors import Conflict


@dataclass(frozen=True)
class User:
    id: UUID
    email: str
    name: str
    password_hash: str
    email_confirmed_at: datetime | None
    created_at: datetime

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


_COLUMNS = "id, email, name, password_hash, email_confirmed_at, created_at"


def insert_user(
    connection: Connection,
    *,
    user_id: UUID,
    email: str,
    name: str,
    password_hash: str,
    confirmed: bool,
) -> User:
    try:
        with connection.cursor(row_factory=class_row(User)) as cursor:
            cursor.execute(
                f"INSERT INTO users (id, email, name, password_hash, email_confirmed_at)"
                f" VALUES (%s, %s, %s, %s, CASE WHEN %s THEN now() END) RETURNING {_COLUMNS}",
                (user_id, email, name, password_hash, confirmed),
            )
            row = cursor.fetchone()
    except psycopg.errors.UniqueViolation as error:
        raise Conflict("an account with this e-mail address already exists") from error
    assert row is not None
    return row


def find_user_by_email(connection: Connection, email: str) -> User | None:
    with connection.cursor(row_factory=class_row(User)) as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM users WHERE lower(email) = lower(%s)", (email,))
        return cursor.fetchone()


def find_user(connection: Connection, user_id: UUID) -> User | None:
    with connection.cursor(row_factory=class_row(User)) as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM users WHERE id = %s", (user_id,))
        return cursor.fetchone()


def update_password_hash(connection: Connection, user_id: UUID, password_hash: str) -> None:
    connection.execute(
        "UPDATE users SET password_hash = %s, updated_at = now() WHERE id = %s",
        (password_hash, user_id),
    )


def mark_email_confirmed(connection: Connection, user_id: UUID) -> None:
    connection.execute(
        "UPDATE users SET email_confirmed_at = coalesce(email_confirmed_at, now()),"
        " updated_at = now() WHERE id = %s",
        (user_id,),
    )
