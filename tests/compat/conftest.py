"""Real third-party clients against the local stack served over HTTP, with the SQS event
sources running (metric batches reach the database through the ingest worker)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import reset_cached_settings, stack_config
from wavedb_local.stack import LocalStack


@pytest.fixture(scope="module")
def served_stack(
    local_stack: LocalStack,
    database_url: str,
    moto_endpoint: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalStack]:
    """`make run` on a free loopback port: HTTP API, authorizer, handlers, SQS workers."""
    stack = LocalStack(
        stack_config(tmp_path_factory.mktemp("wavedb-served"), database_url, moto_endpoint)
    )
    stack.start(serve_http=True, event_sources=True)
    reset_cached_settings()
    yield stack
    stack.stop()
    reset_cached_settings()
