"""An API key from an e-mail and password: what `wavedb login --email` does, so a new user
needs no curl to get started."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from wavedb.api import error_from_response
from wavedb.errors import ApiUnreachable, WaveDBError


def _post(http: httpx.Client, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    try:
        response = http.post(path, json=body, headers=headers)
    except httpx.TransportError as error:
        raise ApiUnreachable(f"POST {http.base_url}{path}: {error}") from error
    if response.status_code >= 400:
        raise error_from_response(response)
    return response.json() if response.content else None


def default_key_name() -> str:
    return f"wavedb-cli@{socket.gethostname()}"[:100]


def api_key_for(
    api_url: str,
    email: str,
    password: str,
    *,
    signup: bool = False,
    name: str | None = None,
    key_name: str | None = None,
) -> str:
    """Sign up (or log in), create an API key with the read and write scopes, end the
    session, and answer the key (shown once by the API)."""
    with httpx.Client(base_url=api_url.rstrip("/"), timeout=30, trust_env=False) as http:
        if signup:
            answer = _post(
                http,
                "/v1/auth/signup",
                {"email": email, "password": password, "name": name or email.split("@")[0]},
            )
            tokens = answer.get("tokens")
            if not tokens:
                raise WaveDBError(
                    f"the account is created; confirm {email} with the link the API sent, then"
                    " run `wavedb login --email` again"
                )
        else:
            tokens = _post(http, "/v1/auth/login", {"email": email, "password": password})
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        created = _post(
            http,
            "/v1/api-keys",
            {"name": key_name or default_key_name(), "scopes": ["read", "write"]},
            bearer,
        )
        _post(http, "/v1/auth/logout", None, bearer)
    return str(created["key"])
