"""E-mail confirmation tokens (stored as hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection


@dataclass(frozen=True)
class EmailConfirmationRow:
    id: UUID
    user_id: UUID
    token_hash: bytes
    expires_at: datetime
    used_at: datetime | None


def insert_email_confirmation(
    connection: Connection,
    *,
    confirmation_id: UUID,
    user_id: UUID,
    token_hash: bytes,
    expires_at: datetime,
) -> None:
    connection.execute(
        "INSERT INTO email_confirmations (id, user_id, token_hash, expires_at)"
        " VALUES (%s, %s, %s, %s)",
        (confirmation_id, user_id, token_hash, expires_at),
    )


def lock_email_confirmation(
    connection: Connection, confirmation_id: UUID
) -> EmailConfirmationRow | None:
    with connection.cursor(row_factory=class_row(EmailConfirmationRow)) as cursor:
        cursor.execute(
            "SELECT id, user_id, token_hash, expires_at, used_at FROM email_confirmations"
            " WHERE id = %s FOR UPDATE",
            (confirmation_id,),
        )
        return cursor.fetchone()


def mark_email_confirmation_used(connection: Connection, confirmation_id: UUID) -> None:
    connection.execute(
        "UPDATE email_confirmations SET used_at = now() WHERE id = %s", (confirmation_id,)
    )
