"""The one process environment every local function shares.

All functions run in one process, so their template environments are merged; a variable
that two functions would set to different values cannot be honoured and stops the start
(except the per-function Powertools service name, set while each module is imported).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from wavedb_local.model import FunctionSpec

PER_FUNCTION_VARIABLES = frozenset({"POWERTOOLS_SERVICE_NAME"})
REMOVED_LOCALLY = ("DATABASE_SECRET_ARN", "JWT_SECRET_ARN")


class EnvironmentConflict(ValueError):
    """Two functions give one environment variable different values."""


def merged_function_environment(
    functions: Iterable[FunctionSpec], *, ignore: Iterable[str] = ()
) -> dict[str, str]:
    """The union of the functions' environments; raises EnvironmentConflict on a clash."""
    skipped = PER_FUNCTION_VARIABLES | set(ignore)
    merged: dict[str, str] = {}
    owners: dict[str, str] = {}
    for spec in functions:
        for name, value in spec.environment.items():
            if name in skipped:
                continue
            if name in merged and merged[name] != value:
                raise EnvironmentConflict(
                    f"environment variable {name} is {merged[name]!r} in {owners[name]} but "
                    f"{value!r} in {spec.logical_id}; the local stack runs every function in "
                    "one process, so they must agree"
                )
            merged[name] = value
            owners.setdefault(name, spec.logical_id)
    return merged


def local_environment(
    functions: Iterable[FunctionSpec], overrides: Mapping[str, str]
) -> dict[str, str]:
    """The functions' merged environment with the local stack's values on top."""
    values = merged_function_environment(functions, ignore=overrides)
    values.update(overrides)
    for name in REMOVED_LOCALLY:
        if name not in overrides:
            values.pop(name, None)
    return values


@contextmanager
def applied_environment(values: Mapping[str, str], *, remove: Iterable[str] = ()) -> Iterator[None]:
    """Set `values` (and unset `remove`) in os.environ; restore everything on exit."""
    names = set(values) | set(remove)
    saved = {name: os.environ.get(name) for name in names}
    for name in remove:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
