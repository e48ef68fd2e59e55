"""The API goes away in the middle of a run and comes back, or its database does: the
training loop never notices, the SDK keeps what it cannot send on disk, and every point
arrives exactly once."""

from __future__ import annotations

import _thread
import dataclasses
import logging
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import wavedb
from tests.conftest import database_unreachable, reset_cached_settings, stack_config
from tests.support.sdk import SdkEnvironment, sdk_environment
from wavedb.sync import sync_path
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(240)

STEPS_PER_PHASE = 200


class RestartableApi:
    """The local stack on one fixed loopback port, stopped and started again at will."""

    def __init__(self, database_url: str, moto_endpoint: str, data_dir: Path) -> None:
        self._config = stack_config(data_dir, database_url, moto_endpoint)
        self.stack: LocalStack | None = None
        self.start()
        assert self.stack is not None
        self._config = dataclasses.replace(self._config, port=self.stack.port)
        self.url: str = self.stack.api_url

    def start(self) -> None:
        self.stack = LocalStack(self._config)
        self.stack.start(serve_http=True, event_sources=True)

    def stop(self) -> None:
        assert self.stack is not None
        self.stack.stop()
        self.stack = None
        reset_cached_settings()
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{self.url}/health", timeout=2, trust_env=False)


@pytest.fixture
def restartable_api(
    served_stack: LocalStack,
    database_url: str,
    moto_endpoint: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RestartableApi]:
    api = RestartableApi(database_url, moto_endpoint, tmp_path_factory.mktemp("restartable"))
    reset_cached_settings()
    yield api
    if api.stack is not None:
        api.stack.stop()
    reset_cached_settings()


@pytest.fixture
def outage_env(
    restartable_api: RestartableApi,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SdkEnvironment]:
    with sdk_environment(restartable_api.url, database_url, tmp_path, monkeypatch) as env:
        yield env


def _log_phase(run: wavedb.Run, first_step: int) -> list[float]:
    """Log one phase of steps; how long each call took, in seconds."""
    durations = []
    for step in range(first_step, first_step + STEPS_PER_PHASE):
        started = time.perf_counter()
        run.log({"loss": 1.0 / (step + 1), "acc": step / 1000}, step=step)
        durations.append(time.perf_counter() - started)
        time.sleep(0.002)
    return durations


def _spooled_files(run: wavedb.Run) -> list[Path]:
    return sorted((run.dir / "outbox").glob("*.json")) if (run.dir / "outbox").is_dir() else []


def _assert_finished_with_every_step(env: SdkEnvironment, run: wavedb.Run, phases: int) -> None:
    """The run is finished and its loss holds every step of `phases` phases, each once."""
    total = phases * STEPS_PER_PHASE
    points = env.wait_for_points(run.id, "loss", total)
    assert [point["step"] for point in points] == list(range(total))
    assert env.client.get_run(run.id)["status"] == "finished"


def _wait_until(condition: object, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


def test_api_stopped_mid_run_and_started_again_every_point_arrives_once(
    restartable_api: RestartableApi, outage_env: SdkEnvironment
) -> None:
    run = wavedb.init(project="outage", name="survives")
    before = _log_phase(run, 0)
    assert _wait_until(lambda: run._sender.sent_points >= 2 * STEPS_PER_PHASE)

    restartable_api.stop()
    during = _log_phase(run, STEPS_PER_PHASE)
    # While the API is down, what was logged is on disk, not only in memory.
    assert _wait_until(lambda: len(_spooled_files(run)) > 0)

    restartable_api.start()
    after = _log_phase(run, 2 * STEPS_PER_PHASE)
    run.finish()

    total = 3 * STEPS_PER_PHASE
    for name in ("loss", "acc"):
        points = outage_env.wait_for_points(run.id, name, total)
        assert [point["step"] for point in points] == list(range(total)), name
    assert [point["value"] for point in outage_env.wait_for_points(run.id, "loss", total)] == [
        1.0 / (step + 1) for step in range(total)
    ]
    assert outage_env.client.get_run(run.id)["status"] == "finished"
    assert _spooled_files(run) == []
    # The training loop never waited on the network, outage included: calls stay at
    # microseconds (a rare one waits for the interpreter lock held by the stack's threads).
    for durations in (before, during, after):
        assert statistics.median(durations) < 50e-6
        assert max(durations) < 1.0


def test_api_down_at_finish_keeps_everything_for_sync_which_sends_it_once(
    restartable_api: RestartableApi, outage_env: SdkEnvironment
) -> None:
    run = wavedb.init(project="outage", name="finished-offline")
    _log_phase(run, 0)
    run.summary["best_loss"] = 0.01
    restartable_api.stop()
    _log_phase(run, STEPS_PER_PHASE)
    started = time.monotonic()
    run.finish(timeout=3)
    assert time.monotonic() - started < 15  # finish gives up at its timeout
    assert _spooled_files(run), "what could not be sent is on disk"

    restartable_api.start()
    report = sync_path(run.dir, outage_env.client)
    assert report.ok, report
    assert _spooled_files(run) == []
    _assert_finished_with_every_step(outage_env, run, phases=2)
    assert [item["value"] for item in outage_env.client.results(run.id)] == [0.01]

    again = sync_path(run.dir, outage_env.client)
    assert again.ok
    assert again.operations_sent == 0
    assert len(list(outage_env.client.series(run.id, "loss"))) == 2 * STEPS_PER_PHASE


def test_database_unreachable_mid_run_sdk_keeps_retrying_and_every_point_arrives_once(
    sdk_env: SdkEnvironment, server_environment: dict[str, str]
) -> None:
    run = wavedb.init(project="outage", name="database-down")
    _log_phase(run, 0)
    # Written before the outage: the ingest queue holds nothing through it.
    assert len(sdk_env.wait_for_points(run.id, "loss", STEPS_PER_PHASE)) == STEPS_PER_PHASE

    with database_unreachable(server_environment):
        _log_phase(run, STEPS_PER_PHASE)
        # The API's answer (503, Retry-After) is one to retry, not a refusal of the run.
        assert _wait_until(lambda: run._sender._unreachable)
        assert run._sender._blocked is None

    _log_phase(run, 2 * STEPS_PER_PHASE)
    run.finish()

    _assert_finished_with_every_step(sdk_env, run, phases=3)
    assert _spooled_files(run) == []


def test_finish_during_a_short_outage_retries_until_the_api_is_back_and_sends_everything(
    restartable_api: RestartableApi, outage_env: SdkEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    run = wavedb.init(project="outage", name="rides-out")
    _log_phase(run, 0)
    run.summary["best_loss"] = 0.01
    restartable_api.stop()
    _log_phase(run, STEPS_PER_PHASE)
    back = threading.Timer(5.0, restartable_api.start)
    back.start()
    try:
        started = time.monotonic()
        run.finish(timeout=60)
        took = time.monotonic() - started
    finally:
        back.join()
    assert 4 < took < 40, took  # it waited for the API, and not until the timeout
    assert _spooled_files(run) == []  # nothing left for `wavedb sync`
    assert "wavedb: sending" in capsys.readouterr().err  # the progress line while it waited
    _assert_finished_with_every_step(outage_env, run, phases=2)
    assert [item["value"] for item in outage_env.client.results(run.id)] == [0.01]


def test_finish_interrupted_by_ctrl_c_during_an_outage_keeps_the_rest_for_sync(
    restartable_api: RestartableApi, outage_env: SdkEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    run = wavedb.init(project="outage", name="interrupted")
    _log_phase(run, 0)
    restartable_api.stop()
    _log_phase(run, STEPS_PER_PHASE)
    ctrl_c = threading.Timer(1.5, _thread.interrupt_main)
    ctrl_c.start()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="wavedb"):
        run.finish(timeout=60)
    ctrl_c.join()
    assert time.monotonic() - started < 10  # Ctrl-C ends the wait, not the 60 s timeout
    assert _spooled_files(run), "what could not be sent is on disk"
    assert f"wavedb sync {run.dir}" in caplog.text

    restartable_api.start()
    assert sync_path(run.dir, outage_env.client).ok
    _assert_finished_with_every_step(outage_env, run, phases=2)
