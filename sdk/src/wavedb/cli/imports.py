"""`wavedb import tensorboard`: runs logged with TensorBoard, brought into a project."""

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from wavedb.cli.common import (
    ApiKeyOption,
    ApiUrlOption,
    WorkspaceOption,
    connect,
    console,
    fail,
    messages,
    reported_errors,
)
from wavedb.tensorboard_import import ImportReport, RunImport, import_tensorboard

app = typer.Typer(help="Import runs logged with other tools.", no_args_is_help=True)


class _ProgressBars:
    """One bar over the runs, one over the current run's points and media."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.runs: TaskID | None = None
        self.items: TaskID | None = None
        self.name = ""

    def runs_found(self, count: int) -> None:
        self.runs = self.progress.add_task("runs", total=count)

    def run_started(self, name: str) -> None:
        if self.items is not None:
            self.progress.remove_task(self.items)
        self.name = escape(name)
        self.items = self.progress.add_task(f"  {self.name}: reading", total=None)

    def run_loaded(self, total: int) -> None:
        if self.items is not None:
            self.progress.update(self.items, total=total, description=f"  {self.name}")

    def advanced(self, count: int) -> None:
        if self.items is not None:
            self.progress.advance(self.items, count)

    def run_done(self, result: RunImport) -> None:
        if self.runs is not None:
            self.progress.advance(self.runs, 1)


def _counts(run: RunImport) -> str:
    return (
        f"points {run.points} ({run.points_sent} new) · images {run.images}"
        f" ({run.images_uploaded} new) · texts {run.texts} · histograms {run.histograms}"
    )


def _print_report(report: ImportReport) -> None:
    for run in report.runs:
        mark = "[red]✗[/]" if run.error is not None else "[green]✓[/]"
        console.print(f"{mark} [bold]{escape(run.name)}[/]  {run.run_id}")
        console.print(f"    {_counts(run)}")
        for reason, count in run.skipped.items():
            console.print(f"    [yellow]not imported:[/] {escape(reason)} ({count})")
        if run.error is not None:
            console.print(f"    [red]{escape(run.error)}[/]")
    points = sum(run.points_sent for run in report.runs)
    images = sum(run.images_uploaded for run in report.runs)
    console.print(
        f"{len(report.runs)} run(s) in project {escape(report.project_name)}:"
        f" {points} new point(s), {images} new image(s)."
    )


@app.command("tensorboard")
def tensorboard(
    logdir: Annotated[
        Path,
        typer.Argument(
            help="A TensorBoard log directory.",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ],
    project: Annotated[
        str,
        typer.Option(
            "--project", "-p", help="Project name (created when missing) or id.", show_default=False
        ),
    ],
    workspace: WorkspaceOption = None,
    api_url: ApiUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Import TensorBoard logs: scalars, images, text, histograms and hparams.

    Each directory under LOGDIR that holds event files becomes a run, named by its path
    under LOGDIR. Importing again sends only what is new.
    """
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with (
        reported_errors(),
        connect(api_url, api_key) as client,
        Progress(*columns, console=messages, transient=True) as progress,
    ):
        report = import_tensorboard(
            logdir, client, project=project, workspace=workspace, progress=_ProgressBars(progress)
        )
    _print_report(report)
    if report.failed:
        fail(f"{len(report.failed)} run(s) could not be imported (see notes above)")
