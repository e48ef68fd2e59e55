"""Media rows against the bucket: a ready item whose object is gone becomes `missing`.

In AWS an accepted object stays until its item is deleted. An emulator's bucket can lose
objects (a state file deleted or written by another version, a crash right after an
upload), and an item shown as ready with a link that answers 403 is worse than one that
says what happened. Uploading the item again (same `media_id`, same fields) repairs it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from wavedb_core import storage
from wavedb_core.db.connection import transaction
from wavedb_core.repositories import media as repository

logger = Logger(child=True)

MISSING_REASON = (
    "its bytes are no longer in the media bucket; upload the item again (the same media_id"
    " and fields) to restore it"
)
MEDIA_PREFIX = "runs/"
PAGE = 1_000


def mark_missing_objects() -> int:
    """Mark every ready item whose stored version is not in the bucket `missing`; answers
    how many. Items that become ready while this runs are left alone."""
    started = datetime.now(UTC)
    stored = storage.stored_versions(MEDIA_PREFIX)
    marked = 0
    after = None
    while True:
        with transaction() as connection:
            rows = repository.ready_stored_media(
                connection, ready_before=started, after=after, limit=PAGE
            )
            gone = [row.id for row in rows if (row.object_key, row.object_version) not in stored]
            if gone:
                marked += repository.mark_missing(connection, gone, MISSING_REASON)
        if len(rows) < PAGE:
            break
        after = rows[-1].id
    if marked:
        logger.warning("media whose objects are gone marked missing", extra={"count": marked})
    return marked
