"""Fixtures of the integration suites that run the fixture template's stack."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the fixture template's handlers write what they received."""
    return tmp_path_factory.mktemp("records")
