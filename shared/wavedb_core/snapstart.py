"""Lambda SnapStart: what a function does before its initialised state is snapshotted and after
each execution environment is restored from that snapshot.

A snapshot is taken once per published version and restored into many environments, so
nothing in it may be unique to one environment or go stale: the database connection is
closed before the snapshot (each environment opens its own on first use), the random
generator is re-seeded after a restore (else every environment would draw the same numbers),
and the settings, secrets and AWS clients made so far are dropped, to be made again from the
restored environment (its credentials and variables). `secrets` and `uuid4` read the
operating system's randomness and need nothing.

The hooks are registered with the runtime's `snapshot_restore_py` (shipped in Lambda's
Python runtimes from 3.12); elsewhere, where there is no snapshot, registering does nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from wavedb_core.aws import reset_aws_clients
from wavedb_core.db.connection import close_connection
from wavedb_core.secrets import jwt_signing_key
from wavedb_core.settings import get_settings

Hook = Callable[[], None]


def before_snapshot() -> None:
    close_connection()


def after_restore() -> None:
    random.seed()
    get_settings.cache_clear()
    jwt_signing_key.cache_clear()
    reset_aws_clients()
    close_connection()  # in case one was opened after the snapshot hook ran


def _runtime_registrars() -> tuple[Callable[[Hook], object], Callable[[Hook], object]] | None:
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found,unused-ignore]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return None
    return register_before_snapshot, register_after_restore


_registered = False


def register_hooks() -> bool:
    """Register the hooks with the Lambda runtime once; False where there is no runtime."""
    global _registered
    if _registered:
        return True
    registrars = _runtime_registrars()
    if registrars is None:
        return False
    register_before, register_after = registrars
    register_before(before_snapshot)
    register_after(after_restore)
    _registered = True
    return True
