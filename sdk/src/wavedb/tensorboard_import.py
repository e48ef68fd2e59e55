"""Import TensorBoard logs: one run per directory of event files, its scalars as metrics,
its images, text and histograms as media, its hparams as the run's config; the run starts
at its first event and ends at its last.

Importing the same logs again changes nothing, and importing them after training went on
adds only what is new: the run ids, batch ids and media ids are derived from the project,
the run's name and the data's place in the logs, and the server stores each id once.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from wavedb.api import ApiClient
from wavedb.errors import ApiError, ConfigError
from wavedb.retrying import with_retries
from wavedb.tensorboard_events import (
    EventRun,
    HistogramSample,
    ImageSample,
    ScalarPoint,
    TensorBoardMissing,
    TextSample,
    find_run_directories,
    read_event_run,
)

__all__ = [
    "ImportProgress",
    "ImportReport",
    "RunImport",
    "TensorBoardMissing",
    "import_tensorboard",
    "run_id_for",
    "run_name_for",
]

# Fixed for good: changing it would give every imported run a new id.
_RUN_ID_NAMESPACE = uuid.UUID("0a2a014b-0be5-4df7-b349-c30b9cbd2f95")
_MAX_BATCH_POINTS = 10_000
_MAX_BATCH_BYTES = 900_000  # under the API's 1 MiB body limit
_MAX_STEP = 2**53
_MAX_INLINE_TEXT_BYTES = 64 * 1024
_MAX_NAME_LENGTH = 256
_UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w\-./: ]")
_TEXT_CONTENT_TYPE = "text/markdown"
_ATTEMPTS = 5

_Answer = TypeVar("_Answer")


@dataclass
class RunImport:
    """What the import did for one directory."""

    name: str
    run_id: str
    directory: Path
    points: int = 0  # scalar points in the logs
    points_sent: int = 0  # of those, sent now (the rest was there already)
    images: int = 0
    images_uploaded: int = 0
    texts: int = 0
    histograms: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    error: str | None = None


@dataclass
class ImportReport:
    project_id: str
    project_name: str
    runs: list[RunImport] = field(default_factory=list)

    @property
    def failed(self) -> list[RunImport]:
        return [run for run in self.runs if run.error is not None]


class ImportProgress(Protocol):
    """Told how the import goes (the CLI shows it as progress bars)."""

    def runs_found(self, count: int) -> None:
        """`count` directories hold event files: one run each."""

    def run_started(self, name: str) -> None:
        """Reading the event files of run `name` begins."""

    def run_loaded(self, total: int) -> None:
        """The run's event files are read: `total` points and media items to send."""

    def advanced(self, count: int) -> None:
        """`count` more points or media items are done."""

    def run_done(self, result: RunImport) -> None:
        """The run is imported (or failed: `result.error`)."""


class _Silent:
    def runs_found(self, count: int) -> None:
        pass

    def run_started(self, name: str) -> None:
        pass

    def run_loaded(self, total: int) -> None:
        pass

    def advanced(self, count: int) -> None:
        pass

    def run_done(self, result: RunImport) -> None:
        pass


def run_name_for(logdir: Path, directory: Path) -> str:
    """A run's name: its directory relative to the log directory ("." is the log
    directory's own name)."""
    relative = directory.resolve().relative_to(logdir.resolve()).as_posix()
    return logdir.resolve().name if relative == "." else relative


def run_id_for(workspace_id: str, project_id: str, name: str) -> str:
    """The id of the run that holds the logs of `name` in that project: the same logs
    imported again land in the same run."""
    return str(uuid.uuid5(_RUN_ID_NAMESPACE, f"{workspace_id}/{project_id}/{name}"))


def metric_name(tag: str) -> str:
    """A TensorBoard tag as a WaveDB name (letters, digits, spaces and _ - . / : only)."""
    return _UNSAFE_NAME_CHARACTERS.sub("_", tag)[:_MAX_NAME_LENGTH] or "_"


def _batch_id(run_id: str, tag: str, chunk: int, segment: int) -> str:
    digest = hashlib.sha256(f"{run_id}\0{tag}\0{chunk}\0{segment}".encode()).hexdigest()
    return f"tb-{digest[:40]}"


def _media_id(run_id: str, kind: str, tag: str, step: int, index: int) -> str:
    return str(uuid.uuid5(uuid.UUID(run_id), f"{kind}\0{tag}\0{step}\0{index}"))


def _retried(call: Callable[[], _Answer]) -> _Answer:
    """The call, tried again after rate limits, server failures and network trouble."""
    return with_retries(call, attempts=_ATTEMPTS, ceiling=8.0)


def _step_in_range(step: int) -> bool:
    return 0 <= step <= _MAX_STEP


def _encoded_point(name: str, point: ScalarPoint) -> bytes:
    timestamp = datetime.fromtimestamp(point.wall_time, UTC).isoformat()
    # NaN and ±Infinity go as JSON's NaN/Infinity, which the API accepts.
    return json.dumps(
        {"name": name, "value": point.value, "step": point.step, "timestamp": timestamp},
        separators=(",", ":"),
    ).encode()


def _chunks(encoded: Sequence[bytes]) -> Iterator[list[bytes]]:
    """Points in batches under the API's limits. A chunk depends only on the points before
    it, so logs that grew keep their earlier chunks."""
    chunk: list[bytes] = []
    size = 2
    for point in encoded:
        if chunk and (len(chunk) == _MAX_BATCH_POINTS or size + len(point) + 1 > _MAX_BATCH_BYTES):
            yield chunk
            chunk, size = [], 2
        chunk.append(point)
        size += len(point) + 1
    if chunk:
        yield chunk


class _RunImporter:
    def __init__(self, client: ApiClient, result: RunImport, progress: ImportProgress) -> None:
        self.client = client
        self.result = result
        self.run_id = result.run_id
        self.progress = progress

    def send(self, run: EventRun) -> None:
        for tag, points in run.scalars.items():
            self._send_scalars(tag, points)
        for image in run.images:
            self._send_image(image)
            self.progress.advanced(1)
        for text in run.texts:
            self._send_text(text)
            self.progress.advanced(1)
        for histogram in run.histograms:
            self._send_histogram(histogram)
            self.progress.advanced(1)

    # ------------------------------------------------------------------ scalars
    def _send_scalars(self, tag: str, points: list[ScalarPoint]) -> None:
        name = metric_name(tag)
        kept = [point for point in points if _step_in_range(point.step)]
        if dropped := len(points) - len(kept):
            self.result.skipped["points with a step below 0 or above 2^53"] += dropped
            self.progress.advanced(dropped)
        encoded = [_encoded_point(name, point) for point in kept]
        for number, chunk in enumerate(_chunks(encoded)):
            self._send_chunk(tag, number, chunk)
            self.progress.advanced(len(chunk))

    def _send_chunk(self, tag: str, number: int, chunk: list[bytes]) -> None:
        """Send what the server lacks of one chunk. A chunk that grew since an earlier import
        goes in segments: the part sent before keeps its batch id (and is not sent again),
        the rest gets the next segment's id."""
        offset, segment = 0, 0
        while offset < len(chunk):
            batch_id = _batch_id(self.run_id, tag, number, segment)
            part = chunk[offset:]
            body = b"[" + b",".join(part) + b"]"
            try:
                answer = _retried(
                    partial(self.client.send_batch, self.run_id, batch_id, encoded_points=body)
                )
            except ApiError as error:
                if error.code != "batch_id_reused":
                    raise
                receipt = _retried(partial(self.client.batch_status, self.run_id, batch_id))
                offset += int(receipt["point_count"])
                segment += 1
                continue
            status = answer.get("status")
            if status == "queued":
                self.result.points_sent += len(part)
            elif status == "failed":  # an earlier import's batch that could not be written
                self.result.skipped["points the API failed to write"] += len(part)
            return

    # ------------------------------------------------------------------ media
    def _create_media(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The item (new, or the one an earlier import made); None when the server refuses
        it, which is counted as skipped."""
        try:
            return _retried(lambda: self.client.create_media(self.run_id, body))
        except ApiError as error:
            if error.status not in (413, 422):
                raise
            self.result.skipped[f"{body['kind']} items refused: {error.message}"] += 1
            return None

    def _upload(self, answer: dict[str, Any], data: bytes, content_type: str) -> bool:
        upload = answer.get("upload")
        if not upload:  # stored already (or inline)
            return False
        _retried(lambda: self.client.upload_to_grant(upload, data, content_type))
        return True

    def _send_image(self, image: ImageSample) -> None:
        if not _step_in_range(image.step):
            self.result.skipped["images with a step below 0 or above 2^53"] += 1
            return
        answer = self._create_media(
            {
                "media_id": _media_id(self.run_id, "image", image.tag, image.step, image.index),
                "name": metric_name(image.tag),
                "step": image.step,
                "kind": "image",
                "content_type": image.content_type,
                "size": len(image.data),
            }
        )
        if answer is None:
            return
        self.result.images += 1
        if self._upload(answer, image.data, image.content_type):
            self.result.images_uploaded += 1

    def _send_text(self, text: TextSample) -> None:
        if not _step_in_range(text.step):
            self.result.skipped["texts with a step below 0 or above 2^53"] += 1
            return
        encoded = text.text.encode()
        body: dict[str, Any] = {
            "media_id": _media_id(self.run_id, "text", text.tag, text.step, text.index),
            "name": metric_name(text.tag),
            "step": text.step,
            "kind": "text",
            "content_type": _TEXT_CONTENT_TYPE,
        }
        inline = len(encoded) <= _MAX_INLINE_TEXT_BYTES
        body.update({"text": text.text} if inline else {"size": len(encoded)})
        answer = self._create_media(body)
        if answer is None:
            return
        self.result.texts += 1
        if not inline:
            self._upload(answer, encoded, _TEXT_CONTENT_TYPE)

    def _send_histogram(self, histogram: HistogramSample) -> None:
        if not _step_in_range(histogram.step):
            self.result.skipped["histograms with a step below 0 or above 2^53"] += 1
            return
        tag, step, index = histogram.tag, histogram.step, histogram.index
        answer = self._create_media(
            {
                "media_id": _media_id(self.run_id, "histogram", tag, step, index),
                "name": metric_name(tag),
                "step": step,
                "kind": "histogram",
                "histogram": {"bins": histogram.bins, "counts": histogram.counts},
            }
        )
        if answer is not None:
            self.result.histograms += 1


def _time(wall_time: float | None) -> str | None:
    return None if wall_time is None else datetime.fromtimestamp(wall_time, UTC).isoformat()


def _config(hparams: dict[str, Any]) -> dict[str, Any]:
    """hparams as a run config (JSON, finite numbers only)."""
    return {
        name: str(value) if isinstance(value, float) and not math.isfinite(value) else value
        for name, value in hparams.items()
        if value is not None
    }


def _later(ended: str | None, stored: str | None) -> bool:
    """Whether logs that grew since an earlier import end after the stored end."""
    if ended is None or stored is None:
        return False
    return datetime.fromisoformat(ended) > datetime.fromisoformat(stored.replace("Z", "+00:00"))


def _import_run(
    client: ApiClient,
    project: dict[str, Any],
    logdir: Path,
    directory: Path,
    progress: ImportProgress,
) -> RunImport:
    name = run_name_for(logdir, directory)
    run_id = run_id_for(str(project["workspace_id"]), str(project["id"]), name)
    result = RunImport(name=name, run_id=run_id, directory=directory)
    progress.run_started(name)
    try:
        events = read_event_run(directory)
    except OSError as error:
        result.error = f"cannot read the event files: {error}"
        return result
    result.points = events.scalar_count
    result.skipped.update(events.skipped)
    progress.run_loaded(
        result.points + len(events.images) + len(events.texts) + len(events.histograms)
    )
    started, ended = _time(events.first_time), _time(events.last_time)
    fields: dict[str, Any] = {
        "id": run_id,
        "name": name[-200:],
        "description": f"Imported from TensorBoard logs ({name})",
        "config": _config(events.hparams),
        "tags": ["tensorboard"],
        "status": "running",
    }
    if started is not None:
        fields["started_at"] = started  # the training's time, not the import's
    try:
        run = _retried(lambda: client.create_run(str(project["id"]), fields))
        _RunImporter(client, result, progress).send(events)
        if run.get("status") != "finished" or _later(ended, run.get("ended_at")):
            end = {"ended_at": ended} if ended is not None else {}
            _retried(lambda: client.update_run(run_id, status="finished", **end))
    except ApiError as error:
        if error.status in (401, 403):
            raise  # the same for every run: stop here
        result.error = f"{error.status} {error.code}: {error.message}"
    return result


def import_tensorboard(
    logdir: Path | str,
    client: ApiClient,
    *,
    project: str,
    workspace: str | None = None,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Import every run under `logdir` into `project` (an id, or a name in `workspace`,
    created when missing). A run that fails is reported in `ImportReport.failed` and the
    others go on; a refused key or an unreachable API stops the import (ApiError,
    ApiUnreachable). TensorBoardMissing when the tensorboard package is not installed."""
    root = Path(logdir).expanduser()
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory")
    directories = find_run_directories(root)
    if not directories:
        raise ConfigError(f"no TensorBoard event files (events.out.tfevents.*) under {root}")
    target = _retried(lambda: client.resolve_project(project, workspace))
    report = ImportReport(project_id=str(target["id"]), project_name=str(target["name"]))
    listener = progress or _Silent()
    listener.runs_found(len(directories))
    for directory in directories:
        result = _import_run(client, target, root, directory, listener)
        report.runs.append(result)
        listener.run_done(result)
    return report
