"""What both halves of the ingest comparison share (standard library only: MLflow's half
runs in MLflow's own virtual environment): the values logged, and the client threads."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


def metric_value(metric: int, step: int) -> float:
    """The value logged for `metric` at `step`, the same for both systems."""
    return math.exp(-step / 1000) * (1 + metric % 7) + 0.01 * math.sin(step + metric)


def run_in_threads(target: Callable[[], None], threads: int) -> float:
    """Run `target` in `threads` threads at once; the seconds until the last one ends."""
    started = time.perf_counter()
    workers = [threading.Thread(target=target) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started
