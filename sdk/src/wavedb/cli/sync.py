"""`wavedb sync`: send what offline runs, or runs that lost the API, kept on disk."""

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from wavedb.cli.common import (
    ApiKeyOption,
    ApiUrlOption,
    connect,
    console,
    fail,
    messages,
    reported_errors,
)
from wavedb.settings import load_settings
from wavedb.sync import SyncReport, run_directories, sync_path


class _ProgressBars:
    """A bar per run directory, over its spooled operations."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[Path, TaskID] = {}

    def __call__(self, run_dir: Path, done: int, total: int) -> None:
        task = self.tasks.get(run_dir)
        if task is None:
            task = self.progress.add_task(escape(run_dir.name), total=total)
            self.tasks[run_dir] = task
        self.progress.update(task, completed=done, total=total)


def _print_report(report: SyncReport) -> None:
    for run in report.runs:
        failed = run.error is not None or bool(run.rejected)
        mark = "[red]✗[/]" if failed else "[green]✓[/]"
        console.print(f"{mark} [bold]{escape(str(run.run_dir))}[/]  {run.run_id or ''}")
        console.print(f"    sent {run.operations_sent} item(s) with {run.points_sent} point(s)")
        for reason in run.rejected:
            console.print(f"    [yellow]refused by the API[/] {escape(reason)}")
        if run.error is not None:
            console.print(f"    [red]{escape(run.error)}[/] ({run.remaining} item(s) left)")
    console.print(
        f"Sent {report.operations_sent} item(s) with {report.points_sent} point(s)"
        f" from {len(report.runs)} run(s)."
    )


def _holds_runs(folder: Path) -> bool:
    """Whether the default folder (WAVEDB_DIR, ./wavedb) holds any run to sync: missing or
    empty is nothing to do, not an error."""
    return folder.is_dir() and next(run_directories(folder), None) is not None


def sync(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Run directories, or folders of them (default: WAVEDB_DIR, ./wavedb).",
            exists=True,
            show_default=False,
        ),
    ] = None,
    api_url: ApiUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Send the runs kept on disk (offline runs, or runs that lost the API).

    Each item is deleted once the API has it, so syncing again sends nothing twice.
    """
    with reported_errors():
        targets = paths or [load_settings().root_dir]
        if not paths and not _holds_runs(targets[0]):
            console.print(f"Nothing to sync in {escape(str(targets[0]))}.")
            return
        report = SyncReport()
        with connect(api_url, api_key) as client:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, console=messages, transient=True) as progress:
                bars = _ProgressBars(progress)
                for target in targets:
                    report.runs += sync_path(target, client, bars).runs
    if not report.runs:
        console.print("Nothing to sync.")
        return
    _print_report(report)
    if any(run.error is not None for run in report.runs):
        fail("some runs were not fully synced (see above); run `wavedb sync` again to retry")
    if not report.ok:
        fail("the API refused some items (see above); they are kept in each run's rejected/")
