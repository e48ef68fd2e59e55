"""A run's id: a UUID, or the stable UUID made of a custom id (`wavedb.init(id="exp-42")`)."""

from __future__ import annotations

import uuid

RUN_ID_NAMESPACE = uuid.UUID("6f2a4a52-31a8-4d6e-9d38-8a0e7f1c2b5e")


def run_uuid(given: str) -> str:
    """The run's UUID: the id itself, or the UUID made of a custom id."""
    try:
        return str(uuid.UUID(given))
    except ValueError:
        return str(uuid.uuid5(RUN_ID_NAMESPACE, given))
