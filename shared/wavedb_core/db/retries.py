"""Transactions PostgreSQL aborted to break a deadlock, run again.

Deleting a run (or the project or workspace it is in) removes its metrics, points and
results by cascade while the ingest worker may be writing them: the two take the same rows
in another order, and PostgreSQL aborts one of them. The worker's batch comes back from
the queue; a deletion is run again here, so its caller never sees the collision."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from psycopg import errors

Params = ParamSpec("Params")
Result = TypeVar("Result")

ATTEMPTS = 4
_COLLISIONS = (errors.DeadlockDetected, errors.SerializationFailure)


def retried_on_deadlock(
    function: Callable[Params, Result],
) -> Callable[Params, Result]:
    """Run `function` (which opens and ends its own transaction) again, up to ATTEMPTS
    times, when PostgreSQL aborted its transaction to break a deadlock."""

    @functools.wraps(function)
    def run(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        for _ in range(ATTEMPTS - 1):
            try:
                return function(*args, **kwargs)
            except _COLLISIONS:
                continue  # the other transaction goes on; ours starts again behind it
        return function(*args, **kwargs)

    return run
