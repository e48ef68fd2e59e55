"""The security suites: the local stack served over real HTTP on loopback (`served_stack`,
one for this package, with its event sources), and a plain HTTP client of it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.accounts import SignedUpUser, sign_up
from tests.support.served import served_stack
from wavedb_local.stack import LocalStack

__all__ = ["served_stack"]


@pytest.fixture
def http(served_stack: LocalStack, clean_database: str) -> Iterator[httpx.Client]:
    """An HTTP client of the served API, on an emptied database."""
    with httpx.Client(base_url=served_stack.api_url, timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture
def owner(http: httpx.Client) -> SignedUpUser:
    """A signed-up user of the emptied database."""
    return sign_up(http)


@pytest.fixture
def run_id(http: httpx.Client, owner: SignedUpUser) -> str:
    """A run of `owner`, in a workspace and project of its own."""
    workspace = http.post("/v1/workspaces", json={"name": "lab"}, headers=owner.bearer).json()
    project = http.post(
        f"/v1/workspaces/{workspace['id']}/projects", json={"name": "p"}, headers=owner.bearer
    ).json()
    run = http.post(f"/v1/projects/{project['id']}/runs", json={}, headers=owner.bearer)
    assert run.status_code == 201, run.text
    return str(run.json()["id"])
