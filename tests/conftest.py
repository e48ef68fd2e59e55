"""Fixtures shared by every suite: a real PostgreSQL, moto's server, the local stack."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.support.postgres import running_postgres
from wavedb_local.config import LocalStackConfig
from wavedb_local.stack import LocalStack

REPOSITORY = Path(__file__).resolve().parent.parent

TEST_JWT_SECRET = secrets.token_urlsafe(48)

# Markers every test of a folder gets, so that `-m` picks suites (see `make test-fast`).
FOLDER_MARKERS = {"unit": ("unit",), "integration": ("integration",), "e2e": ("browser",)}
# The SDK's integrations with machine learning frameworks import them.
FRAMEWORK_MODULES = ("test_integration_", "test_tensorboard_import")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.relative_to(REPOSITORY / "tests").parts
        for marker in FOLDER_MARKERS.get(parts[0], ()) if len(parts) > 1 else ():
            item.add_marker(marker)
        if item.path.name.startswith(FRAMEWORK_MODULES):
            item.add_marker("torch")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A migrated database on a real PostgreSQL server, for the whole session."""
    with running_postgres() as url:
        from wavedb_core.db.migrations import apply_migrations

        with psycopg.connect(url, autocommit=True) as connection:
            apply_migrations(connection)  # type: ignore[arg-type]
        yield url


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3/SQS/SES server on loopback, reached through AWS_ENDPOINT_URL: the local
    stack's own emulator (with the SQS rules AWS applies)."""
    from wavedb_local.aws_emulator import MotoEmulator

    emulator = MotoEmulator()
    yield emulator.start()
    emulator.stop()


def stack_config(data_dir: Path, database_url: str, moto_endpoint: str) -> LocalStackConfig:
    """The repository's template on the test database and moto, on a free port."""
    return LocalStackConfig(
        template_path=REPOSITORY / "template.yaml",
        data_dir=data_dir,
        port=0,
        database_url=database_url,
        aws_endpoint_url=moto_endpoint,
        jwt_secret=TEST_JWT_SECRET,
        site_dir=REPOSITORY / "web" / "dist",
    )


@pytest.fixture(scope="session")
def local_stack(
    database_url: str, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """The application as `make run` serves it (template.yaml, the real handlers, the
    authorizer, provisioned queues and bucket), in-process and without an HTTP socket.

    In-process (every function on threads of this process) rather than in processes of
    their own as `make run` does: one import of each function for the whole session, tests
    that invoke handlers and look at their modules directly, and no process per function
    and test package on a small machine. The process layout itself is tested through the
    CLI (tests/integration/test_local_function_processes.py, test_local_cli.py)."""
    config = stack_config(tmp_path_factory.mktemp("wavedb-data"), database_url, moto_endpoint)
    with running_stack(config, serve_http=False, event_sources=False) as stack:
        yield stack


@contextmanager
def running_stack(
    config: LocalStackConfig, *, serve_http: bool, event_sources: bool
) -> Iterator[LocalStack]:
    """The local stack of `config`, started, with the settings every function caches read
    afresh on the way in and out."""
    stack = LocalStack(config)
    stack.start(serve_http=serve_http, event_sources=event_sources)
    reset_cached_settings()
    try:
        yield stack
    finally:
        stack.stop()
        reset_cached_settings()


@contextmanager
def served_stack_of_package(
    database_url: str, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """`make run` on a free loopback port: HTTP API, authorizer, handlers, SQS workers.

    Each test package that needs one starts its own (a `served_stack` fixture of package
    scope in its conftest): its SQS pollers take every message off the queues, which the
    suites that drain the queues themselves must not share."""
    config = stack_config(tmp_path_factory.mktemp("wavedb-served"), database_url, moto_endpoint)
    with running_stack(config, serve_http=True, event_sources=True) as stack:
        yield stack
        _let_pollers_finish(stack)


def _let_pollers_finish(stack: LocalStack, *, timeout: float = 60) -> None:
    """Wait until the stack's pollers have settled what the ingest queue holds: a message
    one of them had received when the stack stopped would stay invisible (the queue's
    visibility timeout, minutes) to the session's stack, which shares the queue."""
    from tests.support.ingest import queued_message_count

    deadline = time.monotonic() + timeout
    while queued_message_count(stack) and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture(scope="session")
def server_environment(local_stack: LocalStack) -> dict[str, str]:
    """The environment every function sees (as the local stack sets it)."""
    return dict(local_stack.environment)


@pytest.fixture
def api(local_stack: LocalStack, clean_database: str) -> Iterator[TestClient]:
    """An HTTP client of the API: each request goes through the API Gateway emulation,
    the Lambda authorizer and the function's handler, as in `make run`."""
    with TestClient(local_stack.build_gateway(), base_url="http://127.0.0.1:3000") as client:
        yield client


@pytest.fixture
def invoke(local_stack: LocalStack) -> Callable[[str, Any], Any]:
    """Invoke one function's handler with an event, like `sam local invoke`."""
    return local_stack.invoke


def reset_cached_settings() -> None:
    from wavedb_core.aws import reset_aws_clients
    from wavedb_core.db.connection import close_connection
    from wavedb_core.secrets import jwt_signing_key
    from wavedb_core.settings import get_settings

    close_connection()
    reset_aws_clients()
    get_settings.cache_clear()
    jwt_signing_key.cache_clear()


@pytest.fixture
def clean_database(server_environment: dict[str, str]) -> str:
    """An emptied database (every table but schema_migrations) for one test."""
    url = server_environment["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'schema_migrations'"
            ).fetchall()
        ]
        if tables:
            _truncate(connection, tables)
    return url


def _truncate(connection: psycopg.Connection[tuple[object, ...]], tables: list[str]) -> None:
    """TRUNCATE locks every table in turn; work a previous test left in flight (the local
    queue worker finishing a batch) may hold one of them and want another, and PostgreSQL
    then aborts one side as a deadlock. The emptying is retried until that work is done."""
    statement = "TRUNCATE " + ", ".join(f'"{name}"' for name in tables) + " CASCADE"
    for attempt in range(10):
        try:
            connection.execute(statement)
            return
        except psycopg.errors.DeadlockDetected:
            if attempt == 9:
                raise
            time.sleep(0.1 * (attempt + 1))


@contextmanager
def database_unreachable(server_environment: dict[str, str]) -> Iterator[None]:
    """Within this block every function of this process finds its database unreachable."""
    os.environ["DATABASE_URL"] = "postgresql://nobody@/wavedb?host=/nonexistent&connect_timeout=1"
    reset_cached_settings()
    try:
        yield
    finally:
        os.environ["DATABASE_URL"] = server_environment["DATABASE_URL"]
        reset_cached_settings()


@pytest.fixture
def unreachable_database(server_environment: dict[str, str]) -> Iterator[None]:
    with database_unreachable(server_environment):
        yield


@pytest.fixture
def tight_address_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Three sign-ups and three failed log-ins per address (the functions run in this
    process and read their settings from its environment)."""
    monkeypatch.setenv("SIGNUP_MAX_PER_IP_PER_HOUR", "3")
    monkeypatch.setenv("LOGIN_MAX_FAILURES_PER_IP", "3")
    reset_cached_settings()
    yield
    monkeypatch.undo()
    reset_cached_settings()
