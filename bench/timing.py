"""Timing helpers shared by the benchmarks: percentiles, time-capped repeats, the machine."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# A call slower than this is measured without a warm-up call before it.
SLOW_CALL_SECONDS = 1.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Timings:
    """Durations in milliseconds of repeated calls, stopped by a count or a time cap."""

    samples_ms: list[float] = field(default_factory=list)
    cap_seconds: float = 0.0
    capped: bool = False  # the cap stopped the repeats before the count was reached
    unfinished_ms: float | None = None  # one call stopped by the cap: how long it ran
    note: str = ""

    @property
    def median_ms(self) -> float:
        return percentile(self.samples_ms, 0.5)

    @property
    def p95_ms(self) -> float:
        return percentile(self.samples_ms, 0.95)

    @property
    def p99_ms(self) -> float:
        return percentile(self.samples_ms, 0.99)

    def describe(self) -> str:
        """`median (p95) ms, n` or `> cap` when not one call finished."""
        if not self.samples_ms:
            return f"> {self.cap_seconds:.0f} s{f' ({self.note})' if self.note else ''}"
        count = len(self.samples_ms)
        if count == 1:
            return f"{_ms(self.median_ms)} (1 call)"
        return f"{_ms(self.median_ms)} ({_ms(self.p95_ms)}, {count} calls)"


def _ms(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:,.1f} s"
    if value >= 100:
        return f"{value:,.0f} ms"
    return f"{value:.1f} ms"


def timed_repeats(action: Callable[[], object], repeat: int, cap_seconds: float) -> Timings:
    """Call `action` up to `repeat` times (after one warm-up call, unless that call is
    slower than SLOW_CALL_SECONDS, in which case it counts), stopping early once
    `cap_seconds` have passed."""
    result = Timings(cap_seconds=cap_seconds)
    started = time.perf_counter()
    first = _timed(action)
    if first >= SLOW_CALL_SECONDS * 1000:
        result.samples_ms.append(first)
    while len(result.samples_ms) < repeat:
        if time.perf_counter() - started >= cap_seconds:
            result.capped = True
            break
        result.samples_ms.append(_timed(action))
    return result


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return None


def describe_machine() -> str:
    memory = memory_gib()
    ram = f", {memory:.0f} GiB RAM" if memory is not None else ""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{cpu_model()}, {os.cpu_count()} cores{ram}, {platform.system()} {platform.release()};"
        f" Python {platform.python_version()}; load average {load}"
    )
