"""`python -m wavedb_local run` and `invoke` as a developer runs them, in a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.cli_stack import ROOT, cli_environment, free_port, running_stack
from tests.support.fixture_stack import FIXTURE_TEMPLATE

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.timeout(90)


def _sign_up(api: httpx.Client, email: str) -> None:
    response = api.post(
        "/v1/auth/signup", json={"email": email, "password": PASSWORD, "name": "Ada"}
    )
    assert response.status_code == 201, response.text


def test_run_with_database_url_serves_the_api_and_stops_cleanly(
    database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    with running_stack(
        tmp_path / "logs", DATABASE_URL=database_url, WAVEDB_DATA_DIR=str(data_dir)
    ) as stack:
        health = stack.wait_until_healthy()
        with httpx.Client(base_url=stack.url, timeout=10) as api:
            openapi = api.get("/openapi.json").json()
            email = f"user-{uuid.uuid4().hex[:10]}@example.com"
            _sign_up(api, email)
            login = api.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
            me = api.get(
                "/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
            )
            anonymous = api.get("/v1/me")
            docs = api.get("/docs")

        exit_code = stack.terminate()

    assert health.json()["status"] == "ok"
    assert "post" in openapi["paths"]["/v1/auth/login"]
    assert openapi["paths"]["/v1/me"]["get"]["security"] == [
        {"bearerAuth": []},
        {"apiKeyAuth": []},
    ]
    assert "security" not in openapi["paths"]["/health"]["get"]
    assert login.status_code == 200
    assert me.status_code == 200
    assert me.json()["email"] == email
    assert anonymous.status_code == 401
    assert docs.status_code == 200
    assert exit_code == 0, stack.errors()[-3000:]
    assert f"API:        {stack.url}" in stack.output()
    assert (data_dir / "jwt_secret").stat().st_mode & 0o777 == 0o600


def test_run_with_embedded_postgres_keeps_data_across_restarts(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"

    with running_stack(tmp_path / "first", WAVEDB_DATA_DIR=str(data_dir)) as stack:
        stack.wait_until_healthy()
        with httpx.Client(base_url=stack.url, timeout=10) as api:
            _sign_up(api, email)
        first_exit = stack.terminate()
    postgres_left_running = (data_dir / "postgres/postmaster.pid").exists()

    with running_stack(tmp_path / "second", WAVEDB_DATA_DIR=str(data_dir)) as stack:
        stack.wait_until_healthy()
        login = httpx.post(
            f"{stack.url}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
        )
        second_exit = stack.terminate()

    assert first_exit == 0, stack.errors()[-3000:]
    assert not postgres_left_running
    assert login.status_code == 200, login.text
    assert second_exit == 0


def _invoke(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wavedb_local", "invoke", *arguments],
        cwd=ROOT,
        env=cli_environment(**environment),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_invoke_unknown_function_fails_listing_the_known_ones() -> None:
    result = _invoke("NoSuchFunction")

    assert result.returncode == 2
    assert "NoSuchFunction" in result.stderr
    assert "HealthFunction" in result.stderr
    assert result.stdout == ""


def test_invoke_prints_only_the_handler_answer_on_stdout(database_url: str, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"detail-type": "Scheduled Event"}))

    result = _invoke(
        "TickFunction",
        str(event),
        "--template",
        str(FIXTURE_TEMPLATE),
        DATABASE_URL=database_url,
        WAVEDB_DATA_DIR=str(tmp_path / "data"),
        WAVEDB_PARAMETER_OVERRIDES=f"RecordDir={tmp_path}",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"ticked": "Scheduled Event"}
    assert (tmp_path / "tick.jsonl").exists()


def test_invoke_template_with_a_duplicate_key_fails_naming_the_line(
    database_url: str, tmp_path: Path
) -> None:
    text = FIXTURE_TEMPLATE.read_text(encoding="utf-8")
    template = FIXTURE_TEMPLATE.with_name("duplicate-key-template.yaml")
    template.write_text(text.replace("    Timeout: 5\n", "    Timeout: 5\n    Timeout: 6\n", 1))
    try:
        result = _invoke(
            "TickFunction",
            "--template",
            str(template),
            DATABASE_URL=database_url,
            WAVEDB_DATA_DIR=str(tmp_path / "data"),
            WAVEDB_PARAMETER_OVERRIDES=f"RecordDir={tmp_path}",
        )
    finally:
        template.unlink()

    assert result.returncode == 2
    assert "cannot be read" in result.stderr
    assert "Duplicate found 'Timeout'" in result.stderr
    assert result.stdout == ""


def test_invoke_real_health_function_with_its_event_file(database_url: str, tmp_path: Path) -> None:
    result = _invoke(
        "HealthFunction",
        "events/health_get.json",
        DATABASE_URL=database_url,
        WAVEDB_DATA_DIR=str(tmp_path / "data"),
    )

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["status"] == "ok"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def _assert_ends_within(pid: int, seconds: float, *, else_send: signal.Signals) -> None:
    """Process `pid` ends within `seconds`; one that does not is sent `else_send` (so that
    nothing is left running) and fails the test."""
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)

    alive = _alive(pid)
    if alive:
        os.kill(pid, else_send)
    assert not alive


def test_run_stops_when_its_parent_is_killed(database_url: str, tmp_path: Path) -> None:
    """`timeout make run` or a killed make must not leave the stack running as an orphan."""
    port = free_port()
    parent = subprocess.Popen(
        ["sh", "-c", f'"{sys.executable}" -m wavedb_local run >/dev/null 2>&1 & echo $!; wait'],
        cwd=ROOT,
        env=cli_environment(
            PORT=str(port), DATABASE_URL=database_url, WAVEDB_DATA_DIR=str(tmp_path / "data")
        ),
        stdout=subprocess.PIPE,
    )
    assert parent.stdout is not None
    stack_pid = int(parent.stdout.readline())
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        raise AssertionError("the stack never became healthy")

    parent.kill()
    parent.wait(10)
    _assert_ends_within(stack_pid, 20, else_send=signal.SIGKILL)


def _hammer(url: str, until: threading.Event) -> None:
    with httpx.Client(timeout=5) as client:
        while not until.is_set():
            with contextlib.suppress(httpx.HTTPError):
                client.get(f"{url}/health")


def test_run_stops_within_10_s_of_sigterm_while_requests_are_in_flight_every_time(
    database_url: str, tmp_path: Path
) -> None:
    for attempt in range(3):
        logs = tmp_path / f"attempt-{attempt}"
        with running_stack(
            logs, DATABASE_URL=database_url, WAVEDB_DATA_DIR=str(tmp_path / "data")
        ) as stack:
            stack.wait_until_healthy()
            done = threading.Event()
            clients = [threading.Thread(target=_hammer, args=(stack.url, done)) for _ in range(4)]
            for client in clients:
                client.start()
            time.sleep(0.5)
            started = time.monotonic()
            stack.process.send_signal(signal.SIGTERM)
            time.sleep(0.05)
            if stack.process.poll() is None:
                stack.process.send_signal(signal.SIGTERM)
            try:
                code = stack.process.wait(10)
            finally:
                done.set()
                for client in clients:
                    client.join(10)

            assert code == 0, stack.errors()[-2000:]
            assert time.monotonic() - started < 10


def test_run_killed_with_sigkill_leaves_no_postgres_running(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_stack(tmp_path / "logs", WAVEDB_DATA_DIR=str(data_dir)) as stack:
        stack.wait_until_healthy(timeout=80)
        postmaster = int((data_dir / "postgres/postmaster.pid").read_text().split("\n", 1)[0])
        assert _alive(postmaster)

        stack.process.kill()
        stack.process.wait(10)
        _assert_ends_within(postmaster, 10, else_send=signal.SIGINT)
