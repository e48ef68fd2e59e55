"""The environment each local function runs with.

In process mode (`make run`) every function's execution environments are processes of
their own, started with exactly the template's variables for that function and the local
stack's values on top (`function_environment`). In in-process mode (tests, `invoke`) the
functions share this process's environment: the union of theirs; where two functions give
a variable different values, they all see the first one's (a warning says which).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from wavedb_local.model import FunctionSpec

logger = logging.getLogger("wavedb_local")

PER_FUNCTION_VARIABLES = frozenset({"POWERTOOLS_SERVICE_NAME"})
REMOVED_LOCALLY = ("DATABASE_SECRET_ARN", "JWT_SECRET_ARN")


@dataclass(frozen=True)
class EnvironmentConflict:
    """Two functions give one variable different values (only in-process mode cares)."""

    name: str
    first_function: str
    first_value: str
    other_function: str
    other_value: str

    def __str__(self) -> str:
        return (
            f"environment variable {self.name} is {self.first_value!r} in {self.first_function}"
            f" but {self.other_value!r} in {self.other_function}"
        )


def merged_function_environment(
    functions: Iterable[FunctionSpec], *, ignore: Iterable[str] = ()
) -> tuple[dict[str, str], list[EnvironmentConflict]]:
    """The union of the functions' environments (the first value of each variable wins),
    and the variables on which they disagree."""
    skipped = PER_FUNCTION_VARIABLES | set(ignore)
    merged: dict[str, str] = {}
    owners: dict[str, str] = {}
    conflicts: list[EnvironmentConflict] = []
    for spec in functions:
        for name, value in spec.environment.items():
            if name in skipped:
                continue
            if name in merged and merged[name] != value:
                conflicts.append(
                    EnvironmentConflict(name, owners[name], merged[name], spec.logical_id, value)
                )
                continue
            merged[name] = value
            owners.setdefault(name, spec.logical_id)
    return merged, conflicts


def _with_local_values(values: dict[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    values.update(overrides)
    for name in REMOVED_LOCALLY:
        if name not in overrides:
            values.pop(name, None)
    return values


def local_environment(
    functions: Iterable[FunctionSpec], overrides: Mapping[str, str], *, in_process: bool = True
) -> dict[str, str]:
    """The functions' merged environment with the local values on top: what in-process mode
    runs every function with (and the stack's own process has in either mode)."""
    values, conflicts = merged_function_environment(functions, ignore=overrides)
    for conflict in conflicts if in_process else ():
        logger.warning(
            "%s; in-process, every function sees the first value (`make run` starts each"
            " function with its own)",
            conflict,
        )
    return _with_local_values(values, overrides)


def function_environment(spec: FunctionSpec, overrides: Mapping[str, str]) -> dict[str, str]:
    """Process mode: exactly the function's template variables, with the local values on
    top (its own Powertools service name stays)."""
    local = {
        name: value
        for name, value in overrides.items()
        if not (name in PER_FUNCTION_VARIABLES and name in spec.environment)
    }
    return _with_local_values(dict(spec.environment), local)


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
