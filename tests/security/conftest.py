"""The security suites: the local stack served over real HTTP on loopback (`served_stack`,
one for this package, with its event sources), and a plain HTTP client of it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.served import served_stack
from wavedb_local.stack import LocalStack

__all__ = ["served_stack"]


@pytest.fixture
def http(served_stack: LocalStack, clean_database: str) -> Iterator[httpx.Client]:
    """An HTTP client of the served API, on an emptied database."""
    with httpx.Client(base_url=served_stack.api_url, timeout=30, trust_env=False) as client:
        yield client
