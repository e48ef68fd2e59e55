"""`python -m wavedb_local run` lays functions out as Lambda does: each function runs in
processes of its own, apart from the gateway and the event sources, with exactly the
environment the template gives it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.cli_stack import RunningStack, running_stack
from tests.support.fixture_stack import FIXTURE_TEMPLATE

pytestmark = pytest.mark.timeout(90)


@contextmanager
def _stack_of_the_fixture_template(
    database_url: str, tmp_path: Path, record_dir: Path, **environment: str
) -> Iterator[RunningStack]:
    """`python -m wavedb_local run` serving the fixture template, whose functions record
    what they see in `record_dir`."""
    with running_stack(
        tmp_path / "logs",
        DATABASE_URL=database_url,
        WAVEDB_DATA_DIR=str(tmp_path / "data"),
        WAVEDB_TEMPLATE=str(FIXTURE_TEMPLATE),
        WAVEDB_PARAMETER_OVERRIDES=f"RecordDir={record_dir}",
        **environment,
    ) as stack:
        yield stack


def _first_echo(stack: RunningStack, timeout: float = 45.0) -> httpx.Response:
    """The echo function's answer, as soon as the stack's gateway takes requests."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            raise AssertionError(f"the stack exited:\n{stack.errors()[-3000:]}")
        try:
            return httpx.get(f"{stack.url}/public/someone", timeout=10)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"the stack took no request within {timeout} s")


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
    with _stack_of_the_fixture_template(
        database_url, tmp_path, record_dir, LOCAL_SCHEDULE_INTERVAL_SECONDS="0.5"
    ) as stack:
        echo = _first_echo(stack)
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
    with _stack_of_the_fixture_template(database_url, tmp_path, tmp_path) as stack:
        first = _first_echo(stack)
        started = time.monotonic()
        timed_out = httpx.get(f"{stack.url}/public/sleep", params={"seconds": "20"}, timeout=30)
        waited = time.monotonic() - started
        after = httpx.get(f"{stack.url}/public/someone", timeout=10)
        stack.terminate()

    assert timed_out.status_code == 500
    assert waited < 10
    assert after.status_code == 200
    assert after.json()["pid"] != first.json()["pid"]
