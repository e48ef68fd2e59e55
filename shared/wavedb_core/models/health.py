"""GET /health."""

from __future__ import annotations

from typing import Literal

from wavedb_core.models.base import ResponseModel


class CheckResult(ResponseModel):
    status: Literal["ok", "error"]
    latency_ms: float
    error: str | None = None


class HealthReport(ResponseModel):
    status: Literal["ok", "degraded"]
    stage: str
    checks: dict[str, CheckResult]
