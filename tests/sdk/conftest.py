"""The SDK against the local stack served over HTTP, as training code meets the API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import served_stack_of_package
from tests.support.sdk import SdkEnvironment, new_account
from wavedb_local.stack import LocalStack

# Before any framework is imported: Keras on PyTorch (no TensorFlow here), and no model hub.
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(scope="package")
def served_stack(
    local_stack: LocalStack,
    database_url: str,
    moto_endpoint: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalStack]:
    """The local stack served over HTTP with its event sources, for this package's tests."""
    with served_stack_of_package(database_url, moto_endpoint, tmp_path_factory) as stack:
        yield stack


@pytest.fixture
def sdk_env(
    served_stack: LocalStack,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SdkEnvironment]:
    """A new user with an API key, and the WAVEDB_* variables training code would set."""
    with httpx.Client(base_url=served_stack.api_url, timeout=30, trust_env=False) as http:
        api_key, bearer = new_account(http, database_url)
    environment = SdkEnvironment(served_stack.api_url, api_key, tmp_path, bearer)
    for name, value in environment.variables().items():
        monkeypatch.setenv(name, value)
    yield environment
    environment.close()
