"""`wavedb runs ls` and `wavedb runs show`: recent runs (of a project, a workspace or
everywhere), one run in full."""

import itertools
import shlex
import uuid
from collections import Counter
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.markup import escape
from rich.table import Table

from wavedb.api import ApiClient
from wavedb.cli.common import (
    ApiKeyOption,
    ApiUrlOption,
    JsonOption,
    RunIdArgument,
    WorkspaceOption,
    connect,
    console,
    fail,
    format_time,
    format_value,
    print_json,
    reported_errors,
)
from wavedb.errors import ApiError
from wavedb.run_ids import run_uuid

app = typer.Typer(help="List and inspect runs.", no_args_is_help=True)

_MAX_PAGE = 500
_METRICS_IN_LIST = 3
_STATUS_STYLES = {
    "running": "cyan",
    "pending": "dim",
    "finished": "green",
    "failed": "red",
    "crashed": "red",
    "canceled": "yellow",
}


def _checked_statuses(statuses: list[str] | None) -> list[str] | None:
    for status in statuses or []:
        if status not in _STATUS_STYLES:
            raise typer.BadParameter(f"{status!r} is not one of: {', '.join(_STATUS_STYLES)}")
    return statuses


def find_project(client: ApiClient, project: str, workspace: str | None) -> dict[str, Any]:
    """An existing project by id, or by name in the workspace (never created here)."""
    try:
        uuid.UUID(project)
    except ValueError:
        pass
    else:
        try:
            return client.get_project(project)
        except ApiError as error:
            if error.status != 404:
                raise
    found_workspace = client.resolve_workspace(workspace)
    found = client.find_project(str(found_workspace["id"]), project)
    if found is None:
        fail(f"no project {project!r} in the workspace {found_workspace['name']!r}")
    return found


def metric_order(name: str) -> tuple[bool, str]:
    """The user's own metrics first, then the SDK's `system/*` figures; by name within each."""
    return name.startswith("system/"), name


def _status(status: str) -> str:
    style = _STATUS_STYLES.get(status, "")
    return f"[{style}]{status}[/]" if style else status


def _key_numbers(run: dict[str, Any]) -> str:
    """The run's results, then its metrics' latest values, a few of them."""
    summary = run.get("summary") or {}
    numbers = [(name, value) for name, value in (summary.get("results") or {}).items()]
    metrics = summary.get("metrics") or {}
    numbers += [(name, metrics[name].get("last")) for name in sorted(metrics, key=metric_order)]
    shown = [f"{name} {format_value(value)}" for name, value in numbers[:_METRICS_IN_LIST]]
    if len(numbers) > _METRICS_IN_LIST:
        shown.append(f"+{len(numbers) - _METRICS_IN_LIST} more")
    return escape(", ".join(shown))


def _runs_table(runs: list[dict[str, Any]], project_names: dict[str, str] | None) -> Table:
    """One row per run; with `project_names`, a project column too (runs of many projects)."""
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("run", no_wrap=True, min_width=36)
    if project_names is not None:
        table.add_column("project", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("created", no_wrap=True)
    table.add_column("metrics", overflow="fold", min_width=12)
    for run in runs:
        cells = [f"[bold]{escape(str(run['name']))}[/]\n{run['id']}"]
        if project_names is not None:
            project_id = str(run["project_id"])
            cells.append(escape(project_names.get(project_id, project_id)))
        cells += [
            _status(str(run["status"])),
            format_time(run.get("created_at"))[:16],
            _key_numbers(run),
        ]
        table.add_row(*cells)
    return table


def _project_names(client: ApiClient, runs: list[dict[str, Any]]) -> dict[str, str]:
    """The names of the runs' projects (one listing per workspace involved)."""
    names: dict[str, str] = {}
    for workspace_id in dict.fromkeys(str(run["workspace_id"]) for run in runs):
        for project in client.projects(workspace_id):
            names[str(project["id"])] = str(project["name"])
    return names


@app.command("ls")
def list_runs(
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-p",
            help="Project name or id (default: the runs of every project you can see).",
            show_default=False,
        ),
    ] = None,
    workspace: WorkspaceOption = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            help="Only runs in this status (repeat for several): " + ", ".join(_STATUS_STYLES),
            callback=_checked_statuses,
            show_default=False,
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="Only runs carrying this tag (repeat: all of them).", show_default=False),
    ] = None,
    filter_text: Annotated[
        str | None,
        typer.Option(
            "--filter",
            "-f",
            help="Only runs matching this filter, searched by the server, e.g."
            " 'config.lr < 1e-3 and loss.min < 0.5' (the run filter language: see the README).",
            show_default=False,
        ),
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            "-s",
            help="Order by a field of the filter language, '-' in front for descending, e.g."
            " -results.acc or metrics.loss.min (runs without it last).",
        ),
    ] = "-created_at",
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs.")] = 50,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Runs of a project, of a workspace, or of every workspace: newest first, or searched
    with --filter and ordered with --sort."""
    filters: dict[str, Any] = {
        "status": status or None,
        "tag": tag or None,
        "filter": filter_text or None,
        "sort": sort,
        "limit": min(limit, _MAX_PAGE),
    }
    project_names: dict[str, str] | None = None
    with reported_errors(), connect(api_url, api_key) as client:
        if project is not None:
            found = find_project(client, project, workspace)
            listing = client.list_runs(str(found["id"]), **filters)
            where = f" in {found['name']}"
        else:
            workspace_id = None
            where = ""
            if workspace is not None:
                found = client.resolve_workspace(workspace)
                workspace_id, where = str(found["id"]), f" in the workspace {found['name']}"
            listing = client.list_visible_runs(workspace_id, **filters)
        runs = list(itertools.islice(listing, limit))
        if project is None and runs and not as_json:
            project_names = _project_names(client, runs)
    if as_json:
        print_json(runs)
    elif not runs:
        console.print(f"No runs{escape(where)} match.")
    else:
        console.print(_runs_table(runs, project_names))


def _flattened(config: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in config.items():
        if isinstance(value, dict) and value:
            rows += _flattened(value, f"{prefix}{key}.")
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


def _duration(start: str | None, end: str | None) -> str:
    """How long the run ran, as 1h 02m 03s ("" while it runs or when unknown)."""
    if not start or not end:
        return ""
    try:
        seconds = int(
            (
                datetime.fromisoformat(end.replace("Z", "+00:00"))
                - datetime.fromisoformat(start.replace("Z", "+00:00"))
            ).total_seconds()
        )
    except ValueError:
        return ""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {seconds:02d}s"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def _details(run: dict[str, Any], project_name: str) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    ended = run.get("ended_at")
    rows = [
        ("id", str(run["id"])),
        ("project", escape(project_name)),
        ("status", _status(str(run["status"]))),
        ("created", format_time(run.get("created_at"))),
        ("started", format_time(run.get("started_at"))),
        ("ended", format_time(run.get("ended_at"))),
        ("duration", _duration(run.get("started_at") or run.get("created_at"), ended)),
        # A sign of life matters while the run runs; an ended run has its end time.
        (
            "heartbeat",
            format_time(run.get("heartbeat_at")) if run.get("status") == "running" else "",
        ),
        ("tags", escape(", ".join(run.get("tags") or []))),
        ("description", escape(run.get("description") or "")),
        ("notes", escape(run.get("notes") or "")),
    ]
    for label, value in rows:
        if value:
            grid.add_row(label, value)
    return grid


def _config_table(config: dict[str, Any]) -> Table:
    table = Table(title="config", title_justify="left", box=None, show_header=False)
    table.add_column(style="bold", overflow="fold")
    table.add_column(overflow="fold")
    for key, value in _flattened(config):
        table.add_row(escape(key), escape(str(value)))
    return table


def _metrics_table(metrics: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="metrics", title_justify="left", box=None, header_style="bold")
    table.add_column("name", overflow="fold")
    for column in ("last", "step", "min", "max", "count"):
        table.add_column(column, justify="right", no_wrap=True)
    for name in sorted(metrics, key=metric_order):
        digest = metrics[name]
        table.add_row(
            escape(name),
            format_value(digest.get("last")),
            format_value(digest.get("last_step")),
            format_value(digest.get("min")),
            format_value(digest.get("max")),
            str(digest.get("count", "")),
        )
    return table


def _results_table(results: dict[str, Any]) -> Table:
    table = Table(title="results", title_justify="left", box=None, show_header=False)
    table.add_column(style="bold", overflow="fold")
    table.add_column(justify="right", no_wrap=True)
    for name, value in sorted(results.items()):
        table.add_row(escape(name), format_value(value))
    return table


def _provenance_rows(provenance: dict[str, Any]) -> list[tuple[str, str]]:
    """Where the run came from, one line per part (parts not recorded are left out)."""
    rows: list[tuple[str, str]] = []
    git = provenance.get("git")
    if isinstance(git, dict):
        commit = str(git.get("commit", ""))
        line = commit + (f" ({git['branch']})" if git.get("branch") else "")
        if git.get("dirty"):
            diff = git.get("diff")
            line += ", dirty" + (f": diff in the file {diff['file']}" if diff else "")
        rows.append(("git", line))
        if git.get("remote"):
            rows.append(("remote", str(git["remote"])))
    command = provenance.get("command")
    if isinstance(command, dict) and isinstance(command.get("argv"), list):
        line = shlex.join(str(argument) for argument in command["argv"])
        if command.get("truncated"):
            line += f" ... ({command['truncated']} more)"
        rows.append(("command", line))
    for label in ("cwd", "host", "user", "os"):
        if provenance.get(label):
            rows.append((label, str(provenance[label])))
    python = provenance.get("python")
    if isinstance(python, dict):
        rows.append(("python", f"{python.get('version', '')} {python.get('executable', '')}"))
    gpu = provenance.get("gpu")
    if isinstance(gpu, dict):
        models = Counter(str(model) for model in gpu.get("models") or [])
        listed = ", ".join(f"{count} x {model}" for model, count in models.items())
        rows.append(("gpus", f"{gpu.get('count', 0)}" + (f" ({listed})" if listed else "")))
    packages = provenance.get("packages")
    if isinstance(packages, dict):
        rows.append(("packages", f"{packages.get('count')} (the file {packages.get('file')})"))
    sdk = provenance.get("sdk")
    if isinstance(sdk, dict) and sdk.get("version"):
        rows.append(("sdk", f"wavedb {sdk['version']}"))
    return rows


def _provenance_table(provenance: dict[str, Any]) -> Table:
    table = Table(title="provenance", title_justify="left", box=None, show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in _provenance_rows(provenance):
        table.add_row(label, escape(value))
    return table


@app.command("show")
def show_run(
    run_id: RunIdArgument,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """One run: project, status, times, tags, notes, config, provenance, metric summaries
    and results."""
    with reported_errors(), connect(api_url, api_key) as client:
        try:
            run = client.get_run(run_uuid(run_id))
        except ApiError as error:
            if error.status == 404:
                fail(f"run {run_id!r} not found (or not visible to this key)")
            raise
        project_name = str(run["project_id"])
        if not as_json:
            project_name = str(client.get_project(project_name)["name"])
    if as_json:
        print_json(run)
        return
    summary = run.get("summary") or {}
    parts: list[Any] = [f"[bold]{escape(str(run['name']))}[/]", _details(run, project_name)]
    if run.get("config"):
        parts += ["", _config_table(run["config"])]
    if run.get("provenance"):
        parts += ["", _provenance_table(run["provenance"])]
    if summary.get("metrics"):
        parts += ["", _metrics_table(summary["metrics"])]
    if summary.get("results"):
        parts += ["", _results_table(summary["results"])]
    console.print(Group(*parts))
