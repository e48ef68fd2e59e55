"""An API key from an e-mail and password: what `wavedb login --email` does, so a new user
needs no curl to get started.

Each machine keeps one key made this way, named `wavedb-cli@HOST`: logging in again keeps
the saved key while it still works, and otherwise replaces the machine's earlier key (which
is revoked) with a new one, so keys do not pile up."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import httpx

from wavedb.api import error_from_response
from wavedb.errors import ApiError, ApiUnreachable, WaveDBError


def _send(
    http: httpx.Client,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Any:
    try:
        response = http.request(method, path, json=body, headers=headers)
    except httpx.TransportError as error:
        raise ApiUnreachable(f"{method} {http.base_url}{path}: {error}") from error
    if response.status_code >= 400:
        raise error_from_response(response)
    return response.json() if response.content else None


def default_key_name() -> str:
    return f"wavedb-cli@{socket.gethostname()}"[:100]


def key_prefix(key: str) -> str:
    """The public part of a key (`wdk_<lookup>`), as the API lists it."""
    return "_".join(key.split("_")[:2])


@dataclass
class MachineKey:
    """The key to save, whether it is the one already saved, and the keys it replaced."""

    key: str
    reused: bool
    revoked: list[str] = field(default_factory=list)


def _session(
    http: httpx.Client, email: str, password: str, *, signup: bool, name: str | None
) -> dict[str, Any]:
    if not signup:
        tokens: dict[str, Any] = _send(
            http, "POST", "/v1/auth/login", {"email": email, "password": password}
        )
        return tokens
    answer = _send(
        http,
        "POST",
        "/v1/auth/signup",
        {"email": email, "password": password, "name": name or email.split("@")[0]},
    )
    if not answer.get("tokens"):
        raise WaveDBError(
            f"the account is created; confirm {email} with the link the API sent, then"
            " run `wavedb login --email` again"
        )
    return dict(answer["tokens"])


def api_key_for(
    api_url: str,
    email: str,
    password: str,
    *,
    signup: bool = False,
    name: str | None = None,
    key_name: str | None = None,
    saved_key: str | None = None,
) -> MachineKey:
    """Sign up (or log in) and answer this machine's API key (read and write scopes):
    `saved_key` when it is still one of the account's keys of that name, else a new key,
    after which the account's other keys of that name are revoked. The session is ended."""
    key_name = key_name or default_key_name()
    with httpx.Client(base_url=api_url.rstrip("/"), timeout=30, trust_env=False) as http:
        tokens = _session(http, email, password, signup=signup, name=name)
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        try:
            same_name = [
                key
                for key in _send(http, "GET", "/v1/api-keys", headers=bearer)
                if key["name"] == key_name
            ]
            if saved_key and any(key["prefix"] == key_prefix(saved_key) for key in same_name):
                return MachineKey(saved_key, reused=True)
            created = _send(
                http,
                "POST",
                "/v1/api-keys",
                {"name": key_name, "scopes": ["read", "write"]},
                bearer,
            )
            revoked = [
                str(earlier["prefix"]) for earlier in same_name if _revoked(http, earlier, bearer)
            ]
            return MachineKey(str(created["key"]), reused=False, revoked=revoked)
        finally:
            _best_effort(http, "POST", "/v1/auth/logout", bearer)


def _revoked(http: httpx.Client, key: dict[str, Any], bearer: dict[str, str]) -> bool:
    return _best_effort(http, "DELETE", f"/v1/api-keys/{key['id']}", bearer)


def _best_effort(http: httpx.Client, method: str, path: str, bearer: dict[str, str]) -> bool:
    """A call whose failure must not cost the user the new key (it is shown only once)."""
    try:
        _send(http, method, path, headers=bearer)
    except (ApiError, ApiUnreachable):
        return False
    return True
