"""`wavedb login` and `wavedb logout`: the API key kept for later runs."""

import os
from typing import Annotated

import typer
from rich.markup import escape

from wavedb.accounts import api_key_for
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


EmailOption = Annotated[
    str | None,
    typer.Option(
        "--email",
        help="Log in with your e-mail and password (asked for, hidden; or WAVEDB_PASSWORD)"
        " and create an API key for this machine, instead of typing a key.",
        show_default=False,
    ),
]
SignupOption = Annotated[
    bool, typer.Option("--signup", help="With --email: create the account first.")
]


def _password(signup: bool) -> str:
    given = os.environ.get("WAVEDB_PASSWORD")
    if given:
        return given
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=signup))


def login(
    api_url: ApiUrlOption = None,
    key: KeyOption = None,
    email: EmailOption = None,
    signup: SignupOption = False,
) -> None:
    """Save an API key for the SDK and the CLI: a key you have (checked against the API),
    or, with --email, a new key made by logging in (or signing up, with --signup)."""
    with reported_errors():
        if signup and not email:
            fail("--signup needs --email")
        if key is not None and email is not None:
            fail("give either --key or --email, not both")
        url = load_settings(api_url=api_url).api_url or typer.prompt("API URL")
        if email is not None:
            key = api_key_for(url, email, _password(signup), signup=signup)
            if signup:
                console.print(f"Signed up as {escape(email)}.")
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
