"""The `wavedb` command line (the console script calls `app`)."""

from typing import Annotated

import typer

from wavedb import __version__
from wavedb.cli import export, imports, login, projects, runs, sync
from wavedb.cli.common import fit_to_terminal

app = typer.Typer(
    name="wavedb",
    help="WaveDB from the command line: log in, list projects, list and export runs,"
    " sync offline runs, import TensorBoard logs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"wavedb {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """WaveDB: experiment tracking for machine learning."""
    fit_to_terminal()


app.command()(login.login)
app.command()(login.logout)
app.add_typer(projects.app, name="projects")
app.add_typer(runs.app, name="runs")
app.command()(export.export)
app.command()(sync.sync)
app.add_typer(imports.app, name="import")
