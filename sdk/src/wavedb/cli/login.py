"""`wavedb login` and `wavedb logout`: the API key kept for later runs."""

import os
from typing import Annotated

import typer
from rich.markup import escape

from wavedb.api import ApiClient
from wavedb.cli.common import ApiUrlOption, console, fail, messages, reported_errors
from wavedb.errors import ApiError
from wavedb.settings import forget_credentials, load_settings, save_credentials

KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="The API key (asked for, hidden, when not given).",
        show_default=False,
    ),
]


def login(api_url: ApiUrlOption = None, key: KeyOption = None) -> None:
    """Check an API key against the API and save it for the SDK and the CLI."""
    with reported_errors():
        url = load_settings(api_url=api_url).api_url or typer.prompt("API URL")
        if key is None:
            key = typer.prompt("API key", hide_input=True)
        key = key.strip()
        if not key:
            fail("the API key is empty")
        with ApiClient(url, key) as client:
            try:
                me = client.me()
            except ApiError as error:
                if error.status in (401, 403):
                    fail(f"{url} refused this key ({error.message}); nothing was saved")
                raise
        path = save_credentials(url, key)
        who = me.get("email") or me.get("name") or me.get("id")
        console.print(f"Logged in to {escape(url)} as {escape(str(who))}.")
        console.print(f"The key is saved in {escape(str(path))} (readable by you alone).")
        if os.environ.get("WAVEDB_API_KEY", key) != key:
            messages.print(
                "[yellow]Note:[/] WAVEDB_API_KEY is set in this shell and is used instead of"
                " the saved key."
            )


def logout() -> None:
    """Remove the saved API key."""
    with reported_errors():
        if forget_credentials():
            console.print("The saved API key is removed.")
        else:
            console.print("No API key was saved.")
