"""`wavedb login` and `wavedb logout`: the API key kept for later runs."""

import os
import sys
from typing import Annotated

import typer
from rich.markup import escape

from wavedb.accounts import MachineKey, api_key_for
from wavedb.api import ApiClient
from wavedb.cli.common import ApiUrlOption, console, fail, messages, reported_errors
from wavedb.errors import ApiError
from wavedb.settings import (
    forget_credentials,
    load_settings,
    save_credentials,
    stored_credentials,
)

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
        help="Log in with your e-mail and password (asked for, hidden; read from standard"
        " input when piped; or WAVEDB_PASSWORD) and save this machine's API key (kept while"
        " it works, else made anew, the machine's earlier one revoked), instead of typing a key.",
        show_default=False,
    ),
]
SignupOption = Annotated[
    bool, typer.Option("--signup", help="With --email: create the account first.")
]


def _secret(what: str, *, confirm: bool = False) -> str:
    """A password or key: asked for, hidden, on a terminal; read as one line when piped
    (once: there is no typing mistake to catch, and no echo to hide)."""
    if sys.stdin.isatty():
        label = what[0].upper() + what[1:]
        return str(typer.prompt(label, hide_input=True, confirmation_prompt=confirm))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        fail(f"no {what} on standard input")
    return line


def _password(signup: bool) -> str:
    given = os.environ.get("WAVEDB_PASSWORD")
    if given:
        return given
    return _secret("password", confirm=signup)


def _machine_key(url: str, email: str, signup: bool) -> str:
    """This machine's key for the account (see wavedb.accounts), with what happened said."""
    saved = stored_credentials()
    saved_key = saved.get("api_key") if saved.get("api_url") == url else None
    try:
        made: MachineKey = api_key_for(
            url, email, _password(signup), signup=signup, saved_key=saved_key
        )
    except ApiError as error:
        if error.status == 401:
            fail(f"wrong e-mail or password for {email}; nothing was saved")
        if error.status == 409 and signup:
            fail(f"{email} already has an account: log in without --signup")
        raise
    if signup:
        console.print(f"Signed up as {escape(email)}.")
    if made.reused:
        messages.print("The saved key of this machine still works: it is kept.")
    for prefix in made.revoked:
        messages.print(f"Revoked this machine's earlier key {escape(prefix)}…")
    return made.key


def login(
    api_url: ApiUrlOption = None,
    key: KeyOption = None,
    email: EmailOption = None,
    signup: SignupOption = False,
) -> None:
    """Save an API key for the SDK and the CLI: a key you have (checked against the API),
    or, with --email, this machine's key, got by logging in (or signing up, with --signup):
    the saved one while it works, else a new one that replaces the machine's earlier key."""
    with reported_errors():
        if signup and not email:
            fail("--signup needs --email")
        if key is not None and email is not None:
            fail("give either --key or --email, not both")
        url = load_settings(api_url=api_url).api_url or typer.prompt("API URL")
        if email is not None:
            key = _machine_key(url, email, signup)
        if key is None:
            key = _secret("API key")
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
