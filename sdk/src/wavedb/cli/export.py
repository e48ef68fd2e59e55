"""`wavedb export`: a run's metrics as CSV (the default: an export job the server writes to
storage, then downloaded) or JSON (the run and every raw point of every metric)."""

import json
import time
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from wavedb.api import ApiClient
from wavedb.cli.common import (
    ApiKeyOption,
    ApiUrlOption,
    RunIdArgument,
    binary_output,
    connect,
    messages,
    reported_errors,
)
from wavedb.errors import ApiError
from wavedb.run_ids import run_uuid


def _encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# How long to wait for an export job before giving up, and the first wait between looks
# at it (doubled each time, up to what the server asks for).
EXPORT_TIMEOUT_SECONDS = 3_600
_FIRST_POLL_SECONDS = 0.25


def _finished_job(client: ApiClient, run_id: str, kind: str, progress: Progress) -> dict[str, Any]:
    """Create the export job and wait until it is done; ApiError when it failed."""
    job = client.create_run_export(run_id, kind)
    task = progress.add_task(f"Export {job['status']}", total=None)
    deadline = time.monotonic() + EXPORT_TIMEOUT_SECONDS
    wait = _FIRST_POLL_SECONDS
    while job["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise ApiError(504, "export_timeout", f"export {job['id']} is still {job['status']}")
        time.sleep(wait)
        wait = min(wait * 2, float(job.get("poll_after_seconds") or 2))
        job = client.export_job(job["id"])
        progress.update(task, description=f"Export {job['status']}")
    progress.remove_task(task)
    if job["status"] != "done":
        raise ApiError(500, "export_failed", job.get("error") or "the export failed")
    return job


def write_csv(client: ApiClient, run_id: str, out: IO[bytes], *, wide: bool = False) -> None:
    """The run's metrics as CSV: written by the server as an export job (any size), then
    downloaded from its presigned URL, with progress on stderr."""
    kind = "run_metrics_wide" if wide else "run_metrics_long"
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=messages,
        transient=True,
    ) as progress:
        job = _finished_job(client, run_id, kind, progress)
        size, chunks = client.download(job["download_url"])
        task = progress.add_task("Download", total=size or job.get("size_bytes"))
        for chunk in chunks:
            out.write(chunk)
            progress.advance(task, len(chunk))


def write_json(client: ApiClient, run_id: str, out: IO[bytes]) -> None:
    """{"run": {...}, "metrics": {name: [{"step", "value", "timestamp"}, ...]}}, written as
    it is read, so long series need no memory."""
    run = client.get_run(run_id)
    names = sorted(summary["name"] for summary in client.metric_summaries(run_id))
    out.write(b'{"run":' + _encoded(run) + b',"metrics":{')
    for number, name in enumerate(names):
        out.write((b"," if number else b"") + _encoded(name) + b":[")
        for index, point in enumerate(client.series(run_id, name)):
            out.write((b"," if index else b"") + _encoded(point))
        out.write(b"]")
    out.write(b"}}\n")


def export(
    run_id: RunIdArgument,
    csv_format: Annotated[
        bool, typer.Option("--csv", help="CSV: run_id,name,step,value,timestamp (the default).")
    ] = False,
    json_format: Annotated[
        bool, typer.Option("--json", help="JSON: the run and every metric's raw points.")
    ] = False,
    wide: Annotated[
        bool,
        typer.Option("--wide", help="CSV with one row per step and one column per metric."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file (default: stdout).", dir_okay=False
        ),
    ] = None,
    api_url: ApiUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Export a run's metrics (CSV unless --json)."""
    if csv_format and json_format:
        raise typer.BadParameter("give one of them", param_hint="'--csv' / '--json'")
    if wide and json_format:
        raise typer.BadParameter("--wide is a CSV layout", param_hint="'--wide' / '--json'")
    with reported_errors(), connect(api_url, api_key) as client, binary_output(output) as out:
        if json_format:
            write_json(client, run_uuid(run_id), out)
        else:
            write_csv(client, run_uuid(run_id), out, wide=wide)
    if output is not None:
        messages.print(f"Wrote {escape(str(output))} ({output.stat().st_size:,} bytes).")
