"""`wavedb sync`: send what offline runs (or runs that lost the API) kept on disk.

Every operation is idempotent on the server, and each file is deleted only once the server
has it, so syncing twice, or after an interrupted sync, sends nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from wavedb.api import ApiClient
from wavedb.errors import ApiError, ApiUnreachable, ConfigError
from wavedb.operations import Operation, perform
from wavedb.outbox import OUTBOX, RUN_FILE, Outbox, read_run_file
from wavedb.retrying import with_retries

ATTEMPTS = 4
# Reading never writes, so no bound applies to an outbox being synced.
UNBOUNDED = 1 << 62

Progress = Callable[[Path, int, int], None]


@dataclass
class RunSync:
    run_dir: Path
    run_id: str | None = None
    operations_sent: int = 0
    points_sent: int = 0
    rejected: list[str] = field(default_factory=list)
    error: str | None = None
    remaining: int = 0


@dataclass
class SyncReport:
    runs: list[RunSync] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(run.error is None and not run.rejected for run in self.runs)

    @property
    def operations_sent(self) -> int:
        return sum(run.operations_sent for run in self.runs)

    @property
    def points_sent(self) -> int:
        return sum(run.points_sent for run in self.runs)


def run_directories(path: Path) -> Iterator[Path]:
    """The run directories at `path`: itself, or those right under it (a WAVEDB_DIR)."""
    if (path / OUTBOX).is_dir() or (path / RUN_FILE).is_file():
        yield path
        return
    if not path.is_dir():
        raise ConfigError(f"{path} is not a run directory or a folder of runs")
    for child in sorted(path.iterdir()):
        if child.is_dir() and ((child / OUTBOX).is_dir() or (child / RUN_FILE).is_file()):
            yield child


def sync_path(path: Path | str, client: ApiClient, progress: Progress | None = None) -> SyncReport:
    report = SyncReport()
    for run_dir in run_directories(Path(path)):
        report.runs.append(sync_run(run_dir, client, progress))
    return report


def sync_run(run_dir: Path, client: ApiClient, progress: Progress | None = None) -> RunSync:
    outbox = Outbox(run_dir, UNBOUNDED)
    files = outbox.files()
    result = RunSync(run_dir, run_id=(read_run_file(run_dir) or {}).get("id"))
    for done, path in enumerate(files):
        if progress is not None:
            progress(run_dir, done, len(files))
        operation = outbox.load(path)
        result.run_id = result.run_id or operation.run_id
        try:
            _send(client, operation)
        except ApiError as error:
            if error.rejects_the_request:
                result.rejected.append(f"{operation.describe()}: {error}")
                outbox.reject(operation, str(error))
                outbox.remove(path)
                continue
            result.error = f"{operation.describe()}: {error}"
        except (ApiUnreachable, ConfigError) as error:
            result.error = f"{operation.describe()}: {error}"
        if result.error is not None:
            result.remaining = len(files) - done
            return result
        outbox.remove(path)
        result.operations_sent += 1
        result.points_sent += operation.point_count
    if progress is not None:
        progress(run_dir, len(files), len(files))
    return result


def _send(client: ApiClient, operation: Operation) -> None:
    """One operation, retried with backoff while the API is unreachable or busy."""
    with_retries(lambda: perform(client, operation), attempts=ATTEMPTS, ceiling=4.0)
