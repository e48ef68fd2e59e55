"""Keeping the media bucket and the media rows in step, on a schedule:

- a grant that ran out (plus the grace an upload begun in time may need) without an
  upload marks its item `rejected`;
- objects whose items are gone (deleted media, runs, projects, workspaces) are deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from wavedb_core.db.connection import transaction
from wavedb_core.repositories import media as repository
from wavedb_core.services.media import purge_objects
from wavedb_core.settings import get_settings

logger = Logger(child=True)

ABANDONED_REASON = "no upload arrived before the grant expired"
PURGE_BATCH = 1_000


@dataclass(frozen=True)
class SweepReport:
    abandoned: int
    purged: int


def sweep(now: datetime | None = None, *, max_batches: int = 10) -> SweepReport:
    """One pass: reject abandoned grants, delete orphaned objects (up to `max_batches`
    thousands of them; the next pass takes the rest)."""
    moment = now or datetime.now(UTC)
    grace = timedelta(seconds=get_settings().media_upload_grace_seconds)
    with transaction() as connection:
        abandoned = repository.expire_abandoned_grants(connection, moment - grace, ABANDONED_REASON)
    purged = 0
    for _ in range(max_batches):
        with transaction() as connection:
            keys = repository.orphaned_keys(connection, PURGE_BATCH)
        if not keys:
            break
        deleted = purge_objects(keys)
        purged += deleted
        if deleted < len(keys):
            break  # storage trouble: leave the rest for the next pass
    report = SweepReport(abandoned=abandoned, purged=purged)
    logger.info("media sweep", extra={"abandoned": report.abandoned, "purged": report.purged})
    return report
