"""Logging a metric again at a step it has reached: the point logged last wins (the storage
rule), and the SDK says so once per run; other metrics at the same step are not repeats."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import wavedb

REPEAT = "the point logged last wins"


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("WAVEDB_RUN_ID", "WAVEDB_RESUME", "WAVEDB_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAVEDB_MODE", "offline")
    monkeypatch.setenv("WAVEDB_DIR", str(tmp_path))
    monkeypatch.setenv("WAVEDB_SYSTEM_METRICS", "false")
    monkeypatch.setenv("WAVEDB_PROVENANCE", "false")
    yield
    wavedb.finish()


def _repeat_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if REPEAT in record.getMessage()]


def test_log_same_metric_at_a_logged_step_warns_once_per_run(
    offline: None, caplog: pytest.LogCaptureFixture
) -> None:
    run = wavedb.init(project="repeats")
    with caplog.at_level(logging.WARNING, logger="wavedb"):
        run.log({"loss": 1.0}, step=5)
        run.log({"loss": 0.9}, step=5)
        run.log({"loss": 0.8}, step=5)
        run.log({"loss": 0.7}, step=3)

    assert len(_repeat_warnings(caplog)) == 1
    assert "'loss' is logged at step 5" in _repeat_warnings(caplog)[0]


def test_log_other_metrics_at_the_same_step_does_not_warn(
    offline: None, caplog: pytest.LogCaptureFixture
) -> None:
    run = wavedb.init(project="repeats")
    with caplog.at_level(logging.WARNING, logger="wavedb"):
        for step in range(0, 50, 10):
            run.log({"train/loss": 1.0 / (step + 1)}, step=step)
            run.log({"val/loss": 2.0 / (step + 1)}, step=step)
        for _ in range(5):
            run.log({"auto": 1.0})

    assert _repeat_warnings(caplog) == []
