"""Shortcuts for SDK tests: an account with an API key, the WAVEDB_* variables, and reading
back what the asynchronous ingest wrote."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import psycopg
import pytest

from tests.support.accounts import HttpClient, create_api_key, sign_up
from wavedb.api import ApiClient


def new_account(http: httpx.Client, database_url: str) -> tuple[str, dict[str, str]]:
    """A new user's API key (read and write), and the user's session header.

    Every test signs up a user from 127.0.0.1; the per-address sign-up limit is lifted first
    (it is tested in the accounts suite)."""
    allow_signups(database_url)
    client = cast(HttpClient, http)
    user = sign_up(client)
    return str(create_api_key(client, user)["key"]), user.bearer


@contextmanager
def sdk_environment(
    api_url: str, database_url: str, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SdkEnvironment]:
    """A new user with an API key, and the WAVEDB_* variables training code would set."""
    with httpx.Client(base_url=api_url, timeout=30, trust_env=False) as http:
        api_key, bearer = new_account(http, database_url)
    environment = SdkEnvironment(api_url, api_key, directory, bearer)
    for name, value in environment.variables().items():
        monkeypatch.setenv(name, value)
    try:
        yield environment
    finally:
        environment.close()


def allow_signups(database_url: str) -> None:
    """Forget the sign-ups counted against 127.0.0.1 this hour."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("DELETE FROM rate_limit_windows WHERE bucket LIKE 'signup-ip:%'")


class SdkEnvironment:
    def __init__(self, api_url: str, api_key: str, directory: Path, bearer: dict[str, str]) -> None:
        self.api_url = api_url
        self.api_key = api_key
        self.directory = directory
        self.bearer = bearer
        self.client = ApiClient(api_url, api_key)

    def new_api_key(self, **fields: Any) -> str:
        """Another API key of the same user (e.g. with a rate limit)."""
        response = httpx.post(
            f"{self.api_url}/v1/api-keys",
            json={"name": "another", **fields},
            headers=self.bearer,
            trust_env=False,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["key"])

    @property
    def runs_dir(self) -> Path:
        return self.directory / "wavedb"

    def variables(self) -> dict[str, str]:
        return {
            "WAVEDB_API_URL": self.api_url,
            "WAVEDB_API_KEY": self.api_key,
            "WAVEDB_DIR": str(self.runs_dir),
            "WAVEDB_CONFIG_DIR": str(self.directory / "config"),
            "WAVEDB_SYSTEM_METRICS": "false",
            # Provenance adds files to a run's media; its own tests turn it on.
            "WAVEDB_PROVENANCE": "false",
            "WAVEDB_FLUSH_INTERVAL": "0.2",
            "WAVEDB_RETRY_MAX_INTERVAL": "1",
        }

    def wait_for_points(
        self, run_id: str, name: str, count: int, *, timeout: float = 30
    ) -> list[dict[str, Any]]:
        """The metric's points once `count` of them are readable (ingest goes through SQS)."""
        deadline = time.monotonic() + timeout
        while True:
            points = list(self.client.series(run_id, name))
            if len(points) >= count or time.monotonic() > deadline:
                return points
            time.sleep(0.2)

    def wait_for_media(
        self, run_id: str, count: int, *, timeout: float = 30
    ) -> list[dict[str, Any]]:
        """The run's media once `count` items are no longer pending."""
        deadline = time.monotonic() + timeout
        while True:
            items = list(self.client.list_media(run_id))
            settled = [item for item in items if item["status"] != "pending"]
            if len(settled) >= count or time.monotonic() > deadline:
                return items
            time.sleep(0.2)

    def close(self) -> None:
        self.client.close()
