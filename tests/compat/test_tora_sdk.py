"""The real, unchanged Tora SDK (`tora` 0.0.12 from PyPI) against the local stack served
over HTTP with the SQS workers running, configured as its users do: TORA_BASE_URL (under
`/api` and at the bare root) and TORA_API_KEY holding a key made through our API.

Each scenario runs in a fresh Python process, because the SDK reads its environment once at
import and keeps a global client. Values are then read back through Tora's own routes once
the ingest queue is empty: every value must be stored exactly once, also when the SDK
re-sends its buffer after batches that failed before or after reaching the API.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.accounts import PASSWORD
from tests.support.ingest import queued_message_count
from tests.support.mail import printed_mail
from wavedb_local.stack import LocalStack

DELIVERY_DEADLINE_SECONDS = 60.0
SCENARIO_TIMEOUT_SECONDS = 120

# Runs in a child process: {"scenario": ..., "workspace_id": ..., ...} in argv[1], the
# outcome written as JSON to the file named by "output".
SDK_SCRIPT = r"""
import json
import math
import sys

import tora

args = json.loads(sys.argv[1])
out = {}
scenario = args["scenario"]

if scenario == "deliver":
    client = tora.Tora.create_experiment(
        name="sdk-client",
        workspace_id=args["workspace_id"],
        description="made by the Tora SDK",
        hyperparams={"lr": 0.001, "batch_size": 32, "optimizer": "adam", "nesterov": True},
        tags=["sdk", "compat"],
        max_buffer_len=4,
    )
    for step in range(10):
        client.metric("loss", 1.0 / (step + 1), step)
    try:
        client.metric("loss", math.nan, 99)
        out["nan_refused"] = False
    except tora.ToraValidationError:
        out["nan_refused"] = True
    client.result("best_acc", 0.97)
    client.flush()
    client.flush()  # nothing left: sends nothing
    client.shutdown()
    out["client_id"] = client.experiment_id
    out["client_url"] = client.url

    loaded = tora.Tora.load_experiment(client.experiment_id, max_buffer_len=100)
    for step in range(5):
        loaded.metric("val/loss", step * 0.5, step)
    loaded.shutdown()
    out["loaded_url"] = loaded.url

    workspace = tora.create_workspace("sdk-workspace", description="made by the SDK")
    out["sdk_workspace_id"] = workspace["id"]
    out["global_id"] = tora.setup(
        name="sdk-global",
        workspace_id=workspace["id"],
        hyperparams={"lr": 0.01},
        tags=["global"],
    )
    out["global_url"] = tora.get_experiment_url()
    for step in range(5):
        tora.tmetric("acc", step / 10, step)
    tora.tresult("final_acc", 0.4)
    tora.flush()
    tora.shutdown()
    out["initialized_after_shutdown"] = tora.is_initialized()

    personal = tora.Tora.create_experiment(name="old-script")
    personal.metric("loss", 2.5, 1)
    personal.shutdown()
    out["personal_id"] = personal.experiment_id

elif scenario == "resend":
    client = tora.Tora.create_experiment(
        name="sdk-resend", workspace_id=args["workspace_id"], max_buffer_len=3
    )
    for step in range(3):
        client.metric("loss", step + 0.25, step)  # batch 1: never reaches the API
    client.flush()  # batch 2: stored, but its answer is lost
    client.flush()  # batch 3: the same logs again, answer lost again
    client.metric("loss", 3.25, 3)  # batch 4: the whole buffer, now 4 logs
    client.metric("loss", 4.25, 4)
    client.metric("loss", 5.25, 5)
    client.result("best", 0.5)  # batch 5
    client.shutdown()
    out["experiment_id"] = client.experiment_id

elif scenario == "errors":
    try:
        tora.Tora.load_experiment(args["missing_id"])
        out["missing"] = "loaded"
    except tora.ToraExperimentError:
        out["missing"] = "ToraExperimentError"
    try:
        tora.Tora.create_experiment(name="x", workspace_id=args["viewer_workspace_id"])
        out["viewer"] = "created"
    except tora.ToraAPIError as error:
        out["viewer"] = type(error).__name__
    try:
        tora.Tora.create_experiment(name="x", api_key="wdk_0123456789abcdef.bogus")
        out["bad_key"] = "created"
    except tora.ToraAuthenticationError:
        out["bad_key"] = "ToraAuthenticationError"

with open(args["output"], "w") as handle:
    json.dump(out, handle)
"""


# ------------------------------------------------------------------ a proxy that fails


@dataclass
class FlakyProxy:
    """Relays requests to the API; fails the next log batches as planned: "drop" (the API
    never sees the batch) or "lose-answer" (the API accepts it, the client gets a 502)."""

    upstream: str
    plan: list[str] = field(default_factory=list)
    batches_seen: int = 0
    faults_injected: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault_for(self, method: str, path: str) -> str | None:
        if method != "POST" or not path.endswith("/logs/batch"):
            return None
        with self.lock:
            self.batches_seen += 1
            if not self.plan:
                return None
            self.faults_injected += 1
            return self.plan.pop(0)

    def forward(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        target = urlsplit(self.upstream)
        connection = HTTPConnection(target.netloc, timeout=60)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


class _RelayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def do_PUT(self) -> None:
        self._relay()

    def do_DELETE(self) -> None:
        self._relay()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        proxy = self.server.proxy
        fault = proxy.fault_for(self.command, self.path)
        if fault == "drop":
            self._answer(502, [], b'{"message": "bad gateway"}')
            return
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in ("host", "connection", "content-length")
        }
        status, answer_headers, data = proxy.forward(self.command, self.path, body, headers)
        if fault == "lose-answer":
            self._answer(502, [], b'{"message": "bad gateway"}')
            return
        self._answer(status, answer_headers, data)

    def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        skipped = {"content-length", "connection", "transfer-encoding", "date", "server"}
        for name, value in headers:
            if name.lower() not in skipped:
                self.send_header(name, value)
        if not any(name.lower() == "content-type" for name, _ in headers):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: FlakyProxy) -> None:
        super().__init__(("127.0.0.1", 0), _RelayHandler)
        self.proxy = proxy

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


# ------------------------------------------------------------------ fixtures


@dataclass(frozen=True)
class ToraUser:
    email: str
    bearer: dict[str, str]
    api_key: str
    workspace_id: str  # a team workspace the user owns
    viewer_workspace_id: str  # someone else's workspace where the user only reads


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _sign_up(http: httpx.Client) -> tuple[str, dict[str, str]]:
    email = f"sdk-{uuid.uuid4().hex[:10]}@example.com"
    _ok(http.post("/signup", json={"email": email, "password": PASSWORD}))
    session = _ok(http.post("/login", json={"email": email, "password": PASSWORD}))["data"]
    return email, {"Authorization": f"Bearer {session['access_token']}"}


@pytest.fixture(scope="module")
def http(served_stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served_stack.api_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def tora_user(http: httpx.Client) -> ToraUser:
    """A user with an API key made through our API, a team workspace, and read access to
    another user's workspace (accepted through Tora's invitation routes)."""
    email, bearer = _sign_up(http)
    key = _ok(http.post("/v1/api-keys", json={"name": "sdk"}, headers=bearer), 201)["key"]
    team = _ok(http.post("/api/workspaces", json={"name": "team"}, headers=bearer), 201)
    _, other_bearer = _sign_up(http)
    other = _ok(http.post("/workspaces", json={"name": "other"}, headers=other_bearer), 201)
    with printed_mail() as mail:  # the invitation's e-mail, printed by the local stack
        invitation = _ok(
            http.post(
                "/workspace-invitations",
                json={"workspaceId": other["data"]["id"], "email": email, "roleId": "VIEWER"},
                headers=other_bearer,
            ),
            201,
        )
    token = mail.invitation_token(invitation["data"]["id"])
    _ok(
        http.put(
            "/workspaces/any/invitations",
            params={"invitationId": invitation["data"]["id"], "action": "accept", "token": token},
            headers=bearer,
        )
    )
    return ToraUser(email, bearer, key, team["data"]["id"], other["data"]["id"])


@pytest.fixture(params=["/api", ""], ids=["under-api", "bare-root"])
def base_path(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def flaky_proxy(served_stack: LocalStack) -> Iterator[tuple[FlakyProxy, str]]:
    proxy = FlakyProxy(upstream=served_stack.api_url)
    server = _ProxyServer(proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield proxy, server.url
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def delivered(
    served_stack: LocalStack, tora_user: ToraUser, base_path: str, tmp_path: Path
) -> dict[str, Any]:
    """The outcome of the SDK's "deliver" scenario, run against the served stack."""
    return run_sdk(
        served_stack.api_url + base_path,
        tora_user.api_key,
        tmp_path,
        scenario="deliver",
        workspace_id=tora_user.workspace_id,
    )


# ------------------------------------------------------------------ helpers


def run_sdk(base_url: str, api_key: str, tmp_path: Path, **args: Any) -> dict[str, Any]:
    """Run one scenario of SDK_SCRIPT in a new interpreter; its outcome."""
    output = tmp_path / f"outcome-{uuid.uuid4().hex}.json"
    environment = {
        "TORA_BASE_URL": base_url,
        "TORA_API_KEY": api_key,
        "PATH": "/usr/bin:/bin",
        "NO_PROXY": "*",
    }
    completed = subprocess.run(
        [sys.executable, "-c", SDK_SCRIPT, json.dumps({**args, "output": str(output)})],
        env=environment,
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    outcome: dict[str, Any] = json.loads(output.read_text())
    return outcome


def delivered_logs(
    stack: LocalStack, http: httpx.Client, user: ToraUser, experiment_id: str, expected: int
) -> list[dict[str, Any]]:
    """The experiment's logs once the ingest queue is empty and at least `expected` logs
    are readable (bounded wait)."""
    deadline = time.monotonic() + DELIVERY_DEADLINE_SECONDS
    while True:
        logs: list[dict[str, Any]] = _ok(
            http.get(f"/experiments/{experiment_id}/logs", headers={"x-api-key": user.api_key})
        )["data"]
        if len(logs) >= expected and queued_message_count(stack) == 0:
            return logs
        assert time.monotonic() < deadline, f"{len(logs)} of {expected} logs arrived in time"
        time.sleep(0.05)


def metric_values(logs: list[dict[str, Any]]) -> dict[tuple[str, int], list[float]]:
    values: dict[tuple[str, int], list[float]] = {}
    for log in logs:
        if log["metadata"] == {"type": "metric"}:
            values.setdefault((log["name"], log["step"]), []).append(log["value"])
    return values


def result_values(logs: list[dict[str, Any]]) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for log in logs:
        if log["metadata"] == {"type": "result"}:
            values.setdefault(log["name"], []).append(log["value"])
    return values


def _experiment(http: httpx.Client, user: ToraUser, experiment_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = _ok(
        http.get(f"/api/experiments/{experiment_id}", headers={"x-api-key": user.api_key})
    )["data"]
    return answer


# ------------------------------------------------------------------ tests


def test_tora_sdk_client_and_global_api_store_every_value_exactly_once(
    served_stack: LocalStack,
    http: httpx.Client,
    tora_user: ToraUser,
    delivered: dict[str, Any],
) -> None:
    client_logs = delivered_logs(served_stack, http, tora_user, delivered["client_id"], 16)
    global_logs = delivered_logs(served_stack, http, tora_user, delivered["global_id"], 6)
    personal_logs = delivered_logs(served_stack, http, tora_user, delivered["personal_id"], 1)

    assert delivered["nan_refused"] is True
    assert metric_values(client_logs) == {
        **{("loss", step): [1.0 / (step + 1)] for step in range(10)},
        **{("val/loss", step): [step * 0.5] for step in range(5)},
    }
    assert result_values(client_logs) == {"best_acc": [0.97]}
    assert len(client_logs) == 16
    assert metric_values(global_logs) == {("acc", step): [step / 10] for step in range(5)}
    assert result_values(global_logs) == {"final_acc": [0.4]}
    assert len(global_logs) == 6
    assert [(log["name"], log["step"], log["value"]) for log in personal_logs] == [("loss", 1, 2.5)]
    msg_ids = [log["msg_id"] for log in client_logs + global_logs]
    assert len(set(msg_ids)) == len(msg_ids)


def test_tora_sdk_experiments_keep_what_the_sdk_sent(
    http: httpx.Client, tora_user: ToraUser, delivered: dict[str, Any]
) -> None:
    client = _experiment(http, tora_user, delivered["client_id"])
    global_experiment = _experiment(http, tora_user, delivered["global_id"])
    personal = _experiment(http, tora_user, delivered["personal_id"])
    workspaces = _ok(http.get("/workspaces", headers=tora_user.bearer))["data"]

    assert client["name"] == "sdk-client"
    assert client["description"] == "made by the Tora SDK"
    assert client["workspace_id"] == tora_user.workspace_id
    assert client["tags"] == ["sdk", "compat"]
    assert {item["key"]: item["value"] for item in client["hyperparams"]} == {
        "lr": 0.001,
        "batch_size": 32,
        "optimizer": "adam",
        "nesterov": True,
    }
    assert delivered["client_url"] == client["url"] == delivered["loaded_url"]
    assert global_experiment["workspace_id"] == delivered["sdk_workspace_id"]
    assert global_experiment["hyperparams"] == [{"key": "lr", "value": 0.01}]
    assert delivered["global_url"] == global_experiment["url"]
    assert delivered["initialized_after_shutdown"] is False
    roles = {workspace["id"]: workspace["role"] for workspace in workspaces}
    assert roles[delivered["sdk_workspace_id"]] == "OWNER"
    personal_workspaces = [w["id"] for w in workspaces if w["name"].endswith("'s workspace")]
    assert personal_workspaces == [personal["workspace_id"]]


def test_tora_sdk_resent_buffers_store_each_value_once(
    served_stack: LocalStack,
    http: httpx.Client,
    tora_user: ToraUser,
    flaky_proxy: tuple[FlakyProxy, str],
    base_path: str,
    tmp_path: Path,
) -> None:
    proxy, proxy_url = flaky_proxy
    proxy.plan = ["drop", "lose-answer", "lose-answer"]

    outcome = run_sdk(
        proxy_url + base_path,
        tora_user.api_key,
        tmp_path,
        scenario="resend",
        workspace_id=tora_user.workspace_id,
    )
    logs = delivered_logs(served_stack, http, tora_user, outcome["experiment_id"], 7)

    assert proxy.faults_injected == 3
    assert proxy.batches_seen == 5
    assert metric_values(logs) == {("loss", step): [step + 0.25] for step in range(6)}
    assert result_values(logs) == {"best": [0.5]}
    assert len(logs) == 7
    assert Counter(log["msg_id"] for log in logs).most_common(1)[0][1] == 1


def test_tora_sdk_errors_map_to_its_exceptions(
    served_stack: LocalStack,
    tora_user: ToraUser,
    base_path: str,
    tmp_path: Path,
) -> None:
    outcome = run_sdk(
        served_stack.api_url + base_path,
        tora_user.api_key,
        tmp_path,
        scenario="errors",
        missing_id=str(uuid.uuid4()),
        viewer_workspace_id=tora_user.viewer_workspace_id,
    )

    assert outcome == {
        "missing": "ToraExperimentError",
        "viewer": "ToraAPIError",
        "bad_key": "ToraAuthenticationError",
    }
