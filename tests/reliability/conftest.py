"""The reliability suite's stack: the repository's template served over HTTP on loopback,
on a PostgreSQL server and a moto of its own (the tests stop the database and fill the
queues; no other suite shares them), without event sources: the tests hand the queue's
messages to the ingest worker themselves, the way Lambda's event source mapping does."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import reset_cached_settings, running_stack, stack_config
from tests.reliability.delivery import IngestQueues, ingest_queues
from tests.reliability.postgres_control import ControlledPostgres
from tests.reliability.writers import MetricWriter, new_writer
from wavedb_local.stack import LocalStack


@pytest.fixture(scope="package")
def postgres() -> Iterator[ControlledPostgres]:
    server = ControlledPostgres()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="package")
def aws_endpoint() -> Iterator[str]:
    """The local stack's own moto emulator (with the SQS rules AWS applies, and the
    visibility changes its workers make seen by its event sources)."""
    from wavedb_local.aws_emulator import MotoEmulator

    emulator = MotoEmulator()
    try:
        yield emulator.start()
    finally:
        emulator.stop()


@pytest.fixture(scope="package")
def stack(
    postgres: ControlledPostgres, aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    config = stack_config(tmp_path_factory.mktemp("reliability-stack"), postgres.url, aws_endpoint)
    with running_stack(config, serve_http=True, event_sources=False) as local:
        yield local


@pytest.fixture
def queues(stack: LocalStack, postgres: ControlledPostgres) -> Iterator[IngestQueues]:
    """The ingest queue and its dead-letter queue, empty before and after the test (and the
    database up, whatever an earlier test left)."""
    if not postgres.is_up():
        postgres.start()
    reset_cached_settings()
    pair = ingest_queues(stack)
    pair.purge()
    yield pair
    pair.purge()


@pytest.fixture
def http(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture
def writer(http: httpx.Client, postgres: ControlledPostgres) -> MetricWriter:
    """A signed-up user who posts metric batches through the HTTP API."""
    return new_writer(http, postgres.url)
