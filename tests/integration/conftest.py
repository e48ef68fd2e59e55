"""Fixtures of the integration suites that run the fixture template's stack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.support.accounts import SignedUpUser, sign_up
from tests.support.ingest import SeededRun, seed_run
from tests.support.media import purge_media_queue
from wavedb_local.stack import LocalStack


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the fixture template's handlers write what they received."""
    return tmp_path_factory.mktemp("records")


@pytest.fixture
def user(api: TestClient) -> SignedUpUser:
    """A signed-up user (with a clean database)."""
    return sign_up(api)


@pytest.fixture
def owner(api: TestClient) -> SignedUpUser:
    """A signed-up user named Owner, for tests of what they own and who else may see it."""
    return sign_up(api, name="Owner")


@pytest.fixture
def run(user: SignedUpUser, clean_database: str) -> SeededRun:
    """A run of `user`, in a workspace and project of their own."""
    return seed_run(clean_database, user.id)


@pytest.fixture
def empty_media_queue(local_stack: LocalStack) -> Iterator[None]:
    """No upload notification of another test is left for the media worker, before or after."""
    purge_media_queue(local_stack)
    yield
    purge_media_queue(local_stack)
