"""`wavedb.init`: settings, the run on the server (or on disk), the background threads, and
the current run the module-level functions use; an exit hook finishes it."""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from wavedb.api import ApiClient
from wavedb.errors import ApiError, ApiUnreachable, ConfigError
from wavedb.heartbeat import Heartbeat
from wavedb.jsonable import json_safe
from wavedb.operations import Operation, without_refused_fields
from wavedb.outbox import Outbox, write_run_file
from wavedb.provenance import enabled_parts, immediate
from wavedb.run_ids import run_uuid
from wavedb.runs import Run, status_for
from wavedb.sender import Sender
from wavedb.settings import Settings, load_run_defaults, load_settings

logger = logging.getLogger("wavedb")

RESUME_CHOICES = ("allow", "must", "never")
# Client-chosen ids that are not UUIDs map to this namespace, so `id="exp-42"` is stable.

current: Run | None = None
_lock = threading.Lock()
_hooks_installed = False
_exit_status: str | None = None


def init(
    project: str | None = None,
    *,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    workspace: str | None = None,
    id: str | None = None,
    resume: str | bool | None = None,
    notes: str | None = None,
    mode: str | None = None,
    api_url: str | None = None,
    api_key: str | None = None,
    system_metrics: bool | None = None,
    dir: str | None = None,
    provenance: bool | Mapping[str, bool] | None = None,
) -> Run:
    """Start a run (or resume one) and make it the current run.

    `resume`: a run id to continue that run; "allow" (continue `id` if it exists, else
    create it), "must" (`id` must exist) or "never" (`id` must be new). What is not given
    comes from WAVEDB_PROJECT, WAVEDB_WORKSPACE, WAVEDB_RUN_ID, WAVEDB_RESUME, WAVEDB_NAME,
    WAVEDB_TAGS (comma-separated) and WAVEDB_NOTES. `provenance`: False records none of
    where the run came from, or {"part": False} leaves parts out (see README). Raises
    ConfigError when the setup is wrong (no URL or key, a key the API refuses, a bad
    argument); nothing afterwards raises for a server or network problem."""
    global current
    settings = load_settings(
        api_url=api_url, api_key=api_key, mode=mode, root_dir=dir, system_metrics=system_metrics
    )
    defaults = load_run_defaults()
    project = project or defaults.project
    if not project or not project.strip():
        raise ConfigError("init() needs a project: wavedb.init(project='my-project')")
    workspace = workspace or defaults.workspace
    name = name or defaults.name
    tags = defaults.tags if tags is None else tags
    notes = notes or defaults.notes
    run_id, resume_mode = _run_id(
        id or defaults.run_id, defaults.resume if resume is None else resume
    )
    checked_config = json_safe(dict(config or {}))
    if not isinstance(checked_config, dict):
        raise ConfigError("config must be a dict")
    run_fields: dict[str, Any] = {
        "config": checked_config,
        "tags": list(tags or []),
        # The run started now, whenever it reaches the API (offline: at `wavedb sync`).
        "started_at": datetime.now(UTC).isoformat(),
    }
    if name:
        run_fields["name"] = name
    if notes:
        run_fields["notes"] = notes
    parts = enabled_parts(settings.provenance, provenance)
    if settings.mode == "disabled":
        parts = frozenset()
    if parts:
        run_fields["provenance"] = immediate(parts)
    with _lock:
        if current is not None:
            logger.warning(
                "wavedb: finishing the current run %s before starting another", current.id
            )
            current.finish()
        run = _start(settings, project.strip(), workspace, run_id, resume_mode, run_fields)
        if parts:
            run.record_provenance(parts)
        current = run
        _install_hooks()
    if settings.mode == "online":
        # Where to watch it: the run's page on the dashboard.
        print(f"wavedb: run {run.name or run.id}: {run.url}", file=sys.stderr, flush=True)
    if settings.system_metrics and settings.mode != "disabled":
        run.start_system_metrics()
    return run


def _run_id(given: str | None, resume: str | bool | None) -> tuple[str, str | None]:
    """The run's id and how to treat an existing run with that id."""
    if isinstance(resume, bool):
        resume = "allow" if resume else None
    if resume is not None and resume not in RESUME_CHOICES:
        if given is not None and given != resume:
            raise ConfigError("give the run to resume either as id= or as resume=, not both")
        given, resume = resume, "must"
    if resume in ("allow", "must") and not given:
        raise ConfigError(
            f"resume={resume!r} needs the run's id: wavedb.init(id=...) or WAVEDB_RUN_ID"
        )
    if not given:
        return str(uuid.uuid4()), None
    return run_uuid(given), resume


def _start(
    settings: Settings,
    project: str,
    workspace: str | None,
    run_id: str,
    resume: str | None,
    run_fields: dict[str, Any],
) -> Run:
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    prefix = "offline-run" if settings.mode == "offline" else "run"
    run_dir = settings.root_dir / f"{prefix}-{stamp}-{run_id}"
    outbox = Outbox(run_dir, settings.spool_max_bytes)
    create = Operation(
        "create_run",
        run_id,
        {
            "project": project,
            "workspace": workspace,
            "run": run_fields,
            "resume": resume is not None,
        },
    )
    name = str(run_fields.get("name") or "")
    project_id: str | None = None
    start_step = next_system_sample = 0
    summary: dict[str, float] = {}
    client: ApiClient | None = None
    run_exists = False
    if settings.mode == "online":
        client = ApiClient.from_settings(settings)
        try:
            existing = _existing_run(client, run_id) if resume else None
            if resume == "must" and existing is None:
                raise ConfigError(f"there is no run {run_id} to resume (or this key cannot see it)")
            if resume == "never" and existing is not None:
                raise ConfigError(f"run {run_id} exists already (resume='never')")
            if existing is None:
                project_row = client.resolve_project(project, workspace)
                target = str(project_row["id"])
                existing = without_refused_fields(
                    lambda fields: client.create_run(target, fields), dict(run_fields, id=run_id)
                )
            else:
                _continue(client, existing, run_fields)
            run_exists = True
            project_id = str(existing["project_id"])
            name = str(existing["name"])
            if resume is not None:
                start_step, next_system_sample = _next_steps(client, run_id)
                summary = _results(client, run_id)
        except ApiUnreachable as error:
            logger.warning(
                "wavedb: the API at %s is unreachable (%s); logging to %s and sending when it"
                " is back",
                settings.api_url,
                error,
                run_dir,
            )
        except ApiError as error:
            if error.is_retryable:
                logger.warning("wavedb: the API answered %s; the run is created later", error)
            else:
                raise ConfigError(_explain(error, settings)) from None
    sender = Sender(
        run_id=run_id, client=client, outbox=outbox, settings=settings, run_exists=run_exists
    )
    if not run_exists and settings.mode != "disabled":
        sender.submit(create)
    if settings.mode == "offline":
        write_run_file(
            run_dir,
            {
                "id": run_id,
                "project": project,
                "workspace": workspace,
                "name": name,
                "created_at": datetime.now(UTC).isoformat(),
                "mode": "offline",
            },
        )
    heartbeat: Heartbeat | None = None
    if settings.mode != "disabled":
        sender.start()
        if client is not None:
            heartbeat = Heartbeat(
                client, run_id, settings.heartbeat_interval, lambda: sender.run_exists
            )
            heartbeat.start()
    return Run(
        run_id=run_id,
        name=name or run_id[:8],
        project=project,
        project_id=project_id,
        config=run_fields["config"],
        tags=run_fields["tags"],
        settings=settings,
        sender=sender,
        start_step=start_step,
        next_system_sample=next_system_sample,
        mode=settings.mode,
        summary=summary,
        heartbeat=heartbeat,
    )


def _continue(client: ApiClient, existing: dict[str, Any], run_fields: dict[str, Any]) -> None:
    """A resumed run runs again, with its config and tags plus what this `init` adds."""
    config = {**existing.get("config", {}), **run_fields["config"]}
    tags = list(dict.fromkeys([*existing.get("tags", []), *run_fields["tags"]]))
    changes: dict[str, Any] = {}
    if existing.get("status") != "running":
        changes["status"] = "running"
    if config != existing.get("config"):
        changes["config"] = config
    if tags != existing.get("tags"):
        changes["tags"] = tags
    if changes:
        client.update_run(str(existing["id"]), **changes)
    run_fields["config"], run_fields["tags"] = config, tags


def _existing_run(client: ApiClient, run_id: str) -> dict[str, Any] | None:
    try:
        return client.get_run(run_id)
    except ApiError as error:
        if error.status == 404:
            return None
        raise


def _next_steps(client: ApiClient, run_id: str) -> tuple[int, int]:
    """Where a resumed run goes on: the step after its last training step, and the number
    of its next system sample (system/* series are numbered by sample)."""
    training, system = [-1], [-1]
    for summary in client.metric_summaries(run_id):
        if summary.get("last_step") is not None:
            mine = system if str(summary["name"]).startswith("system/") else training
            mine.append(int(summary["last_step"]))
    return max(training) + 1, max(system) + 1


def _results(client: ApiClient, run_id: str) -> dict[str, float]:
    """The run's results on the server: a resumed run's summary starts with them."""
    return {
        str(item["name"]): float(item["value"])
        for item in client.results(run_id)
        if isinstance(item.get("value"), int | float) and not isinstance(item["value"], bool)
    }


def _explain(error: ApiError, settings: Settings) -> str:
    if error.status == 401:
        return (
            f"the API at {settings.api_url} refused the API key ({error.message}); check"
            " WAVEDB_API_KEY or run `wavedb login`"
        )
    if error.status == 403:
        return f"this API key may not do that ({error.message}); it needs the write scope"
    return f"the API refused to start the run: {error}"


# ---------------------------------------------------------------- the current run


def forget(run: Run) -> None:
    global current
    if current is run:
        current = None


def require_run() -> Run:
    if current is None:
        raise ConfigError("no current run: call wavedb.init(...) first")
    return current


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.excepthook

    def remember_exit_status(
        exc_type: type[BaseException],
        exc: BaseException,
        traceback: TracebackType | None,
    ) -> None:
        global _exit_status
        _exit_status = status_for(exc_type)
        previous(exc_type, exc, traceback)

    sys.excepthook = remember_exit_status
    atexit.register(_finish_at_exit)


def _finish_at_exit() -> None:
    run = current
    if run is not None:
        run.finish(_exit_status or "finished")
