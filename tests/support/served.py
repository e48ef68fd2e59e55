"""The `served_stack` fixture, imported by the conftest of each package that needs one, so
that each of those packages gets its own (package scope follows the importing conftest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import served_stack_of_package
from wavedb_local.stack import LocalStack


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
