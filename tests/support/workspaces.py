"""Workspaces made through the API, as their owner makes them."""

from __future__ import annotations

from typing import Any

from tests.support.accounts import HttpClient, SignedUpUser


def create_workspace(
    api: HttpClient, user: SignedUpUser, name: str = "Vision team"
) -> dict[str, Any]:
    """A new team workspace owned by `user`: the API's answer."""
    response = api.post("/v1/workspaces", json={"name": name}, headers=user.bearer)
    assert response.status_code == 201, response.text
    workspace: dict[str, Any] = response.json()
    return workspace
