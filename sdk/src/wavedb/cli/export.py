"""`wavedb export`: a run's metrics as CSV (the default; as the API streams it) or JSON (the run and
every raw point of every metric)."""

import json
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.markup import escape

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
from wavedb.run_ids import run_uuid


def _encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def write_csv(client: ApiClient, run_id: str, out: IO[bytes]) -> None:
    for chunk in client.metrics_csv(run_id):
        out.write(chunk)


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
    write = write_json if json_format else write_csv
    with reported_errors(), connect(api_url, api_key) as client, binary_output(output) as out:
        write(client, run_uuid(run_id), out)
    if output is not None:
        messages.print(f"Wrote {escape(str(output))} ({output.stat().st_size:,} bytes).")
