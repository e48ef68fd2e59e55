"""A run as training code sees it: `log` checks and enqueues, everything else happens in
the background (see sender.py)."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from wavedb.errors import ConfigError
from wavedb.heartbeat import Heartbeat
from wavedb.jsonable import json_safe, result_number
from wavedb.media import (
    MediaPayload,
    audio_payload,
    histogram_payload,
    image_payload,
    text_payload,
)
from wavedb.operations import Operation
from wavedb.points import MAX_STEP, as_number, name_problem
from wavedb.provenance import Files, ProvenanceThread
from wavedb.sender import Sender
from wavedb.settings import Settings
from wavedb.system_metrics import SYSTEM_TRAINING_STEP, SystemMetrics

logger = logging.getLogger("wavedb")

FINAL_STATUSES = ("finished", "failed", "canceled")
# finish() waits this long at most for the provenance still being gathered.
PROVENANCE_WAIT_SECONDS = 15.0
PROGRESS_INTERVAL_SECONDS = 2.0


class RunConfig(dict[str, Any]):
    """The run's config; changes are sent to the API in the background."""

    def __init__(self, run: Run, initial: dict[str, Any]) -> None:
        super().__init__(initial)
        self._run = run

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, *args: Any, **kwargs: Any) -> None:
        changes = dict(*args, **kwargs)
        checked = json_safe(changes)
        super().update(checked)
        self._run._send_update(config=dict(self))


class Summary(dict[str, float]):
    """The run's results (final or best figures); finite numbers only (NumPy and PyTorch
    scalars included), sent in the background. A resumed run starts with what the server
    has."""

    def __init__(self, run: Run, initial: dict[str, float] | None = None) -> None:
        super().__init__(initial or {})
        self._run = run

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, *args: Any, **kwargs: Any) -> None:
        accepted: dict[str, float] = {}
        for name, value in dict(*args, **kwargs).items():
            problem = name_problem(name)
            number = result_number(value)
            if problem is not None or number is None:
                self._run._warn_once(
                    f"summary:{name}",
                    f"wavedb: summary[{name!r}] is left out: "
                    + (problem or "results must be finite numbers"),
                )
                continue
            accepted[name] = number
        super().update(accepted)
        if accepted:
            self._run._sender.set_results(accepted)


class Run:
    """Use `wavedb.init(...)` to get one."""

    def __init__(
        self,
        *,
        run_id: str,
        name: str,
        project: str,
        project_id: str | None,
        config: dict[str, Any],
        tags: list[str],
        settings: Settings,
        sender: Sender,
        start_step: int,
        next_system_sample: int = 0,
        mode: str,
        summary: dict[str, float] | None = None,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self.id = run_id
        self.name = name
        self.project = project
        self.project_id = project_id
        self.tags = list(tags)
        self.mode = mode
        self.config = RunConfig(self, config)
        self.summary = Summary(self, summary)
        self._settings = settings
        self._sender = sender
        self._step = start_step
        # Each metric's highest step logged by this process, and where a resumed run goes on.
        self._last_steps: dict[str, int] = {}
        self._resumed_at = start_step
        self._warned: set[str] = set()
        self._queue_limit = settings.max_queued_logs
        self._wake_at = max(1, min(settings.batch_points // 4, self._queue_limit // 2))
        # A disabled run takes every call and keeps nothing.
        self._finished = mode == "disabled"
        self._system: SystemMetrics | None = None
        self._system_samples = next_system_sample
        self._heartbeat = heartbeat
        self._provenance: ProvenanceThread | None = None

    # ------------------------------------------------------------------ identity
    @property
    def url(self) -> str:
        """The run's page on the dashboard."""
        return f"{self._settings.dashboard_url}/#/runs/{self.id}"

    @property
    def dir(self) -> Path:
        """Where this run keeps what it could not send yet (offline runs: everything)."""
        return self._sender.outbox.run_dir

    @property
    def step(self) -> int:
        """The step the next `log` without `step=` uses."""
        return self._step

    def __repr__(self) -> str:
        return f"<wavedb.Run {self.name!r} id={self.id} mode={self.mode}>"

    # ------------------------------------------------------------------ metrics
    def log(self, data: dict[str, Any], step: int | None = None) -> None:
        """Record values at a step (default: the step after the last one). Returns at once:
        the values are sent in the background. Bad names or values are left out with a
        warning; nothing here raises for a server or network problem."""
        if self._finished:
            if self.mode != "disabled":
                self._warn_once("finished", "wavedb: log() after finish() is ignored")
            return
        if step is None:
            step = self._step
        elif type(step) is not int or not 0 <= step <= MAX_STEP:
            checked = _step(step)
            if checked is None:
                self._warn_once(
                    f"step:{step!r}", f"wavedb: step={step!r} is not a step; not logged"
                )
                return
            step = checked
        self._step = step + 1
        values: dict[str, float | int] = {}
        last_steps = self._last_steps
        try:
            items = data.items()
        except AttributeError:
            self._warn_once("data", "wavedb: log() takes a dict of name: number")
            return
        for name, value in items:
            last = last_steps.get(name)
            if last is None:
                problem = name_problem(name)
                if problem is not None:
                    self._warn_once(f"name:{name!r}", f"wavedb: {name!r} is not logged: {problem}")
                    continue
                if step < self._resumed_at:
                    self._warn_repeat(name, step)
                last_steps[name] = step
            elif step > last:
                last_steps[name] = step
            else:
                self._warn_repeat(name, step)
            kind = type(value)
            if kind is not float and kind is not int:
                value = as_number(value)
                if value is None:
                    self._warn_once(
                        f"value:{name}",
                        f"wavedb: {name!r} is not a number; use log_image, log_text, log_audio"
                        " or log_histogram for media",
                    )
                    continue
            values[name] = value
        if not values:
            return
        entries = self._sender.entries
        entries.append((step, time.time(), values))
        queued = len(entries)
        if queued >= self._wake_at:
            wake = self._sender.wake
            if not wake.is_set():  # setting it takes a lock: only once per batch
                wake.set()
            if queued >= self._queue_limit:
                self._sender.wait_for_space(self._queue_limit // 2)

    def _warn_repeat(self, name: str, step: int) -> None:
        self._warn_once(
            "repeat",
            f"wavedb: {name!r} is logged at step {step}, which it may have reached already:"
            " where a metric has two points at one step, the point logged last wins (this"
            " warning is shown once per run)",
        )

    def _log_system(self, values: dict[str, float]) -> None:
        """System figures at the time they were sampled (their x axis is wall-clock time,
        which lines them up with training), numbered by sample so that no sample replaces
        another, with the training step current then as `system/training_step`."""
        if not self._finished:
            sample = dict(values)
            sample[SYSTEM_TRAINING_STEP] = float(max(self._step - 1, 0))
            self._sender.entries.append((self._system_samples, time.time(), sample))
            self._system_samples += 1

    # ------------------------------------------------------------------ media
    def log_image(
        self, name: str, image: Any, step: int | None = None, caption: str | None = None
    ) -> None:
        """An image from a path, bytes, a PIL image or an array (HxW, HxWxC or CxHxW)."""
        self._log_media(name, step, lambda at: image_payload(name, at, image, caption))

    def log_audio(
        self,
        name: str,
        audio: Any,
        step: int | None = None,
        sample_rate: int | None = None,
        caption: str | None = None,
    ) -> None:
        """Audio from a path or bytes, or samples (with `sample_rate`), written as WAV."""
        self._log_media(name, step, lambda at: audio_payload(name, at, audio, sample_rate, caption))

    def log_text(
        self, name: str, text: str, step: int | None = None, caption: str | None = None
    ) -> None:
        self._log_media(name, step, lambda at: text_payload(name, at, text, caption))

    def log_histogram(
        self,
        name: str,
        values: Any,
        step: int | None = None,
        bins: int = 64,
        caption: str | None = None,
    ) -> None:
        """A histogram of values (any shape), or `(counts, bin_edges)` from np.histogram."""
        self._log_media(name, step, lambda at: histogram_payload(name, at, values, bins, caption))

    def _log_media(self, name: str, step: int | None, build: Any) -> None:
        if self._finished:
            if self.mode != "disabled":
                self._warn_once("finished", "wavedb: logging after finish() is ignored")
            return
        problem = name_problem(name)
        at = max(self._step - 1, 0) if step is None else _step(step)
        if problem is not None or at is None:
            self._warn_once(
                f"media:{name!r}", f"wavedb: media {name!r} is not logged: {problem or 'bad step'}"
            )
            return
        try:
            payload: MediaPayload = build(at)
        except (OSError, ValueError, TypeError) as error:
            logger.warning("wavedb: media %r is not logged: %s", name, error)
            return
        body = dict(payload.body, media_id=str(uuid.uuid4()))
        self._sender.submit(Operation("media", self.id, body, data=payload.data))

    # ------------------------------------------------------------------ run fields
    def _send_update(self, **fields: Any) -> None:
        if not self._finished:
            self._sender.submit(Operation("update", self.id, fields))

    def record_provenance(self, parts: frozenset[str]) -> None:
        """Gather where the run came from in the background, then send it (with the diff
        and the package list as files)."""
        self._provenance = ProvenanceThread(parts, self._send_provenance)
        self._provenance.start()

    def _send_provenance(self, provenance: dict[str, Any], files: Files) -> None:
        if self._finished:
            return
        for name, filename, data in files:
            body = {
                "media_id": str(uuid.uuid4()),
                "name": name,
                "step": 0,
                "kind": "file",
                "content_type": "text/plain",
                "size": len(data),
                "filename": filename,
            }
            self._sender.submit(Operation("media", self.id, body, data=data))
        self._sender.submit(Operation("update", self.id, {"provenance": provenance}))

    def set_tags(self, tags: list[str]) -> None:
        self.tags = list(tags)
        self._send_update(tags=self.tags)

    def set_notes(self, notes: str) -> None:
        self._send_update(notes=notes)

    # ------------------------------------------------------------------ lifecycle
    def start_system_metrics(self) -> None:
        self._system = SystemMetrics(self._log_system, self._settings.system_metrics_interval)
        self._system.start()

    def finish(self, status: str = "finished", timeout: float | None = None) -> None:
        """End the run: send what is left (with a progress line while it takes), then the
        status. What cannot be sent in `timeout` seconds stays on disk for `wavedb sync`."""
        if status not in FINAL_STATUSES:
            raise ConfigError(f"status must be one of {', '.join(FINAL_STATUSES)}, got {status!r}")
        if self.mode == "disabled":
            _forget(self)
            return
        if self._finished:
            return
        if self._provenance is not None:
            self._provenance.join(PROVENANCE_WAIT_SECONDS)
        self._finished = True
        if self._system is not None:
            self._system.stop()
        if self._heartbeat is not None:
            self._heartbeat.stop()
        sender = self._sender
        sender.close(status, self._settings.finish_timeout if timeout is None else timeout)
        try:
            _wait_for(sender)
        except KeyboardInterrupt:
            # Ctrl-C: stop waiting; what is left goes to disk for `wavedb sync`.
            sender.give_up()
            sender.join()
        if self.mode == "offline":
            _progress(
                f"wavedb: offline run {self.name!r} saved in {self.dir};"
                f" upload it with `wavedb sync {self.dir}`"
            )
        elif not sender.outbox.is_empty():
            logger.warning(
                "wavedb: %s points (and the final status) could not be sent; they are kept in"
                " %s: run `wavedb sync %s` when the API is reachable",
                f"{sender.points_waiting() + sender.points_in_outbox():,}",
                self.dir,
                self.dir,
            )
        _forget(self)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish(status_for(exc_type))

    def _warn_once(self, topic: str, message: str) -> None:
        if topic not in self._warned:
            self._warned.add(topic)
            logger.warning("%s", message)


def status_for(exc_type: type[BaseException] | None) -> str:
    """The final status of a run whose code ended with this exception (None: none)."""
    if exc_type is None:
        return "finished"
    if issubclass(exc_type, KeyboardInterrupt):
        return "canceled"
    return "failed"


def _step(step: Any) -> int | None:
    try:
        number = int(step)
    except (TypeError, ValueError, OverflowError):
        return None
    if number != step or isinstance(step, bool) or not 0 <= number <= MAX_STEP:
        return None
    return number


def _wait_for(sender: Sender) -> None:
    """Wait for the sender to send everything (or reach its deadline), with a progress
    line every few seconds."""
    last_report = time.monotonic()
    while sender.is_alive():
        sender.join(0.1)
        now = time.monotonic()
        if sender.is_alive() and now - last_report >= PROGRESS_INTERVAL_SECONDS:
            last_report = now
            waiting = sender.points_waiting() + sender.points_in_outbox()
            why = " (the API is unreachable; retrying)" if sender.unreachable else ""
            _progress(
                f"wavedb: sending {waiting:,} points{why} ... Ctrl-C leaves the rest on disk"
                " for `wavedb sync`"
            )


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _forget(run: Run) -> None:
    from wavedb import session

    session.forget(run)
