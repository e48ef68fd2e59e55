"""`python -m wavedb_local run` lays functions out as Lambda does: each function runs in
processes of its own, apart from the gateway and the event sources, with exactly the
environment the template gives it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.support.cli_stack import ROOT, running_stack

FIXTURE_TEMPLATE = ROOT / "tests/fixtures/local_stack/template.yaml"

pytestmark = pytest.mark.timeout(90)


def _wait_for(path: Path, timeout: float = 30.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            try:
                seen: dict[str, object] = json.loads(path.read_text())
                return seen
            except ValueError:
                pass  # being written
        time.sleep(0.1)
    raise AssertionError(f"{path} never appeared")


def test_run_gives_each_function_its_own_environment_values_and_processes(
    database_url: str, tmp_path: Path
) -> None:
    record_dir = tmp_path / "records"
    record_dir.mkdir()
    with running_stack(
        tmp_path / "logs",
        DATABASE_URL=database_url,
        WAVEDB_DATA_DIR=str(tmp_path / "data"),
        WAVEDB_TEMPLATE=str(FIXTURE_TEMPLATE),
        WAVEDB_PARAMETER_OVERRIDES=f"RecordDir={record_dir}",
        LOCAL_SCHEDULE_INTERVAL_SECONDS="0.5",
    ) as stack:
        deadline = time.monotonic() + 45
        echo = None
        while echo is None and time.monotonic() < deadline:
            if stack.process.poll() is not None:
                raise AssertionError(f"the stack exited:\n{stack.errors()[-3000:]}")
            try:
                echo = httpx.get(f"{stack.url}/public/someone", timeout=10)
            except httpx.TransportError:
                time.sleep(0.2)
        assert echo is not None
        tick = _wait_for(record_dir / "tick-environment.json")
        second_echo = httpx.get(f"{stack.url}/public/again", timeout=10)
        stack_pid = stack.process.pid
        exit_code = stack.terminate()

    assert echo.status_code == 200, stack.errors()[-3000:]
    assert echo.headers["x-echo"] == "hello"
    assert tick["greeting"] == "bonjour"
    echo_pid = echo.json()["pid"]
    assert echo_pid != stack_pid
    assert tick["pid"] not in (stack_pid, echo_pid)
    # The environment stays warm: the next invocation runs in the same process.
    assert second_echo.json()["pid"] == echo_pid
    assert exit_code == 0


def test_run_stops_the_environment_of_a_function_past_its_timeout(
    database_url: str, tmp_path: Path
) -> None:
    """EchoFunction's Timeout is 2 s; Lambda ends the environment of a timed-out function."""
    with running_stack(
        tmp_path / "logs",
        DATABASE_URL=database_url,
        WAVEDB_DATA_DIR=str(tmp_path / "data"),
        WAVEDB_TEMPLATE=str(FIXTURE_TEMPLATE),
        WAVEDB_PARAMETER_OVERRIDES=f"RecordDir={tmp_path}",
    ) as stack:
        deadline = time.monotonic() + 45
        first = None
        while first is None and time.monotonic() < deadline:
            try:
                first = httpx.get(f"{stack.url}/public/someone", timeout=10)
            except httpx.TransportError:
                time.sleep(0.2)
        assert first is not None
        started = time.monotonic()
        timed_out = httpx.get(f"{stack.url}/public/sleep", params={"seconds": "20"}, timeout=30)
        waited = time.monotonic() - started
        after = httpx.get(f"{stack.url}/public/someone", timeout=10)
        stack.terminate()

    assert timed_out.status_code == 500
    assert waited < 10
    assert after.status_code == 200
    assert after.json()["pid"] != first.json()["pid"]
