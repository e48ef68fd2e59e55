"""What every command shares: the consoles, the connection options, one way to fail."""

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from wavedb.api import ApiClient
from wavedb.errors import ApiError, ApiUnreachable, WaveDBError
from wavedb.settings import load_settings

# Results go to stdout; messages, progress and errors to stderr (so output can be piped).
console = Console(highlight=False)
# Messages are not wrapped by rich (a path in a message stays whole); terminals wrap them.
messages = Console(stderr=True, highlight=False, soft_wrap=True)


def fit_to_terminal() -> None:
    """Honour COLUMNS as it is when the command runs (rich reads it once, at import)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        console.width = messages.width = int(columns)


_CONNECTION = "Connection (default: WAVEDB_API_URL / WAVEDB_API_KEY, then `wavedb login`)"

ApiUrlOption = Annotated[
    str | None,
    typer.Option(
        "--api-url", help="The API's address.", rich_help_panel=_CONNECTION, show_default=False
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", help="An API key.", rich_help_panel=_CONNECTION, show_default=False),
]
WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace name or id (default: your personal workspace).",
        show_default=False,
    ),
]


def _checked_run_id(value: str) -> str:
    if not value.strip():
        raise typer.BadParameter(f"{value!r} is not a run id (a UUID, or the id given to init)")
    return value.strip()


RunIdArgument = Annotated[
    str,
    typer.Argument(
        metavar="RUN_ID",
        help="The run's id, or the custom id given to `wavedb.init(id=...)`.",
        callback=_checked_run_id,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(message: str) -> NoReturn:
    """Print an error and exit with status 1."""
    messages.print(f"[bold red]Error:[/] {escape(message)}")
    raise typer.Exit(1)


def describe_api_error(error: ApiError) -> str:
    if error.status == 401:
        return f"the API refused the key ({error.message}); run `wavedb login` with a valid key"
    if error.status == 403:
        return f"not allowed: {error.message}"
    if error.status == 404:
        return error.message
    return f"the API answered {error.status} {error.code}: {error.message}"


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the SDK's errors into a message and exit status 1, never a traceback."""
    try:
        yield
    except ApiError as error:
        fail(describe_api_error(error))
    except ApiUnreachable as error:
        fail(f"cannot reach the API ({error})")
    except WaveDBError as error:
        fail(str(error))
    except BrokenPipeError:
        # The reader went away (`wavedb export ... | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        fail(f"{error.strerror or error}{where}")


def connect(api_url: str | None, api_key: str | None) -> ApiClient:
    """A client from the options, else the environment, else what `wavedb login` saved."""
    return ApiClient.from_settings(load_settings(api_url=api_url, api_key=api_key))


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def format_value(value: Any) -> str:
    """A metric value for people: 4 significant digits; "NaN" and the like as they are."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int | float):
        return f"{value:.4g}"
    return str(value)


def format_time(value: str | None) -> str:
    """An API timestamp in local time, to the second."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@contextmanager
def binary_output(path: Path | None) -> Iterator[IO[bytes]]:
    """stdout, or a file that appears whole once everything is written (no partial file
    is left behind on failure)."""
    if path is None:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with temporary.open("wb") as file:
            yield file
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
