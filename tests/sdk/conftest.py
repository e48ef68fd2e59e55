"""The SDK against the local stack served over HTTP, as training code meets the API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sdk import SdkEnvironment, sdk_environment
from tests.support.served import served_stack
from wavedb_local.stack import LocalStack

# Before any framework is imported: Keras on PyTorch (no TensorFlow here), and no model hub.
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture
def sdk_env(
    served_stack: LocalStack,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SdkEnvironment]:
    """A new user with an API key, and the WAVEDB_* variables training code would set."""
    with sdk_environment(served_stack.api_url, database_url, tmp_path, monkeypatch) as env:
        yield env


__all__ = ["served_stack"]
