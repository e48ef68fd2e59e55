"""`make sam-local`: the template's functions in the SAM CLI's Lambda containers.

Starts what the containers need on this machine (PostgreSQL in a container, unless
DATABASE_URL names one reachable over TCP, and the AWS emulator with the template's queues
and buckets), writes the env-vars file for them (.aws-sam/sam-local-env.json), runs
`sam build`, then:

  1. `sam local invoke -e` with the events that need no rows of their own;
  2. `sam local start-api` and a short session through it: sign-up, workspaces, a project,
     an API key, a run and a metric batch;
  3. hands the queued metric batch to the ingest worker (`sam local invoke
     IngestWorkerFunction`) the way the SQS event source mapping would, and checks that
     its points arrived.

The containers share this machine's network (`--docker-network host`, Linux), so
127.0.0.1 is the same address inside and out. Without a Docker engine this prints
"skipped: no Docker engine" and exits 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from wavedb_local.environment import PER_FUNCTION_VARIABLES

ROOT = Path(__file__).resolve().parents[1]
BUILD_TEMPLATE = ROOT / ".aws-sam" / "build" / "template.yaml"
ENV_VARS_FILE = ROOT / ".aws-sam" / "sam-local-env.json"
POSTGRES_IMAGE = "postgres:16-alpine"
POSTGRES_PASSWORD = "wavedb-local"
API_PORT = int(os.environ.get("SAM_LOCAL_API_PORT", "3300"))
DOCKER_NETWORK = "host"
# The events that need no rows of their own (test_events.py seeds the others), in order.
EVENTS = (
    ("MigrateFunction", "migrate.json"),
    ("HealthFunction", "health_get.json"),
    ("AuthFunction", "auth_signup.json"),
    ("AuthFunction", "auth_login.json"),
    ("AuthorizerFunction", "authorizer_no_credentials.json"),
)
# The template's variables that name a resource or a secret sam local cannot resolve: the
# ARNs are emptied (an empty variable counts as unset), the rest come from the services.
UNRESOLVED_IN_SAM_LOCAL = ("DATABASE_SECRET_ARN", "JWT_SECRET_ARN")


class RecipeFailed(RuntimeError):
    """A step of the recipe did not give what it should."""


def say(message: str) -> None:
    print(f"sam-local: {message}", flush=True)


def docker_engine_available() -> bool:
    """Whether a Docker engine answers (a `docker` client alone is not enough)."""
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


def sam_command() -> str:
    for candidate in (ROOT / ".venv-sam" / "bin" / "sam", shutil.which("sam")):
        if candidate is not None and Path(candidate).exists():
            return str(candidate)
    raise RecipeFailed("no SAM CLI: run `bash infra/check_template.sh install` first")


def run(command: list[str], *, timeout: float = 900, input_text: str | None = None) -> str:
    say("$ " + " ".join(command))
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, input=input_text
    )
    if result.returncode != 0:
        raise RecipeFailed(
            f"{command[0]} exited {result.returncode}\n{result.stdout[-3000:]}"
            f"\n{result.stderr[-3000:]}"
        )
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def postgres_container() -> Iterator[str]:
    """A throw-away PostgreSQL on 127.0.0.1 (TCP, which the containers reach)."""
    port = free_port()
    name = f"wavedb-sam-local-{uuid.uuid4().hex[:8]}"
    run(
        [
            "docker",
            "run",
            "--detach",
            "--rm",
            "--name",
            name,
            "--publish",
            f"127.0.0.1:{port}:5432",
            "--env",
            f"POSTGRES_PASSWORD={POSTGRES_PASSWORD}",
            "--env",
            "POSTGRES_DB=wavedb",
            POSTGRES_IMAGE,
        ]
    )
    try:
        url = f"postgresql://postgres:{POSTGRES_PASSWORD}@127.0.0.1:{port}/wavedb"
        wait_for_postgres(url)
        yield url
    finally:
        subprocess.run(["docker", "stop", name], capture_output=True, timeout=60, check=False)


def wait_for_postgres(url: str, timeout_seconds: float = 60) -> None:
    import psycopg

    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as connection:
                connection.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


@contextlib.contextmanager
def services() -> Iterator[Any]:
    """The database and the AWS emulator, provisioned and migrated: the local stack's
    services without its HTTP gateway or event sources (sam local is the runtime here)."""
    from wavedb_local.config import LocalStackConfig
    from wavedb_local.stack import LocalStack

    with contextlib.ExitStack() as stack_of_services:
        database_url = os.environ.get("DATABASE_URL") or stack_of_services.enter_context(
            postgres_container()
        )
        config = LocalStackConfig.from_environ()
        config.database_url = database_url
        config.data_dir = ROOT / ".aws-sam" / "sam-local-data"
        local = LocalStack(config)
        local.start(serve_http=False, event_sources=False, preload=False)
        stack_of_services.callback(local.stop)
        yield local


def env_vars_for_containers(environment: Mapping[str, str]) -> dict[str, Any]:
    """The --env-vars file: every function's variables as the local stack sets them (SAM
    applies only those a function's template declares)."""
    variables = {
        name: value
        for name, value in environment.items()
        if not name.startswith("AWS_") and name not in PER_FUNCTION_VARIABLES
    }
    variables["AWS_ENDPOINT_URL"] = environment["AWS_ENDPOINT_URL"]
    variables["AWS_REGION"] = environment.get("AWS_REGION", "us-east-1")
    variables["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{API_PORT}"
    for name in UNRESOLVED_IN_SAM_LOCAL:
        variables[name] = ""
    return {"Parameters": variables}


def parameter_overrides(environment: Mapping[str, str]) -> str:
    """The template parameters that declare the local variables (see template.yaml)."""
    return " ".join(
        [
            f"DatabaseUrl={environment['DATABASE_URL']}",
            f"AwsEndpointUrl={environment['AWS_ENDPOINT_URL']}",
            f"LocalJwtSecret={environment['JWT_SECRET']}",
        ]
    )


def sam_local_options(environment: Mapping[str, str]) -> list[str]:
    return [
        "--template",
        str(BUILD_TEMPLATE),
        "--env-vars",
        str(ENV_VARS_FILE),
        "--parameter-overrides",
        parameter_overrides(environment),
        "--docker-network",
        DOCKER_NETWORK,
    ]


def invoke(sam: str, environment: Mapping[str, str], function: str, event: Path) -> Any:
    output = run(
        [sam, "local", "invoke", function, "--event", str(event), *sam_local_options(environment)]
    )
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines:
        raise RecipeFailed(f"{function} answered nothing")
    return json.loads(lines[-1])


def invoke_events(sam: str, environment: Mapping[str, str]) -> None:
    for function, name in EVENTS:
        answer = invoke(sam, environment, function, ROOT / "events" / name)
        status = answer.get("statusCode") if isinstance(answer, dict) else None
        if status is not None and status >= 500:
            raise RecipeFailed(f"{function} -e events/{name} answered {status}: {answer}")
        say(f"ok   {function} -e events/{name} ({status if status is not None else 'done'})")


def request(
    method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None
) -> Any:
    data = None if body is None else json.dumps(body).encode()
    call = urllib.request.Request(
        f"http://127.0.0.1:{API_PORT}{path}",
        data=data,
        method=method,
        headers={"content-type": "application/json", **(headers or {})},
    )
    try:
        # Always http://127.0.0.1 (the URL is built above).
        with urllib.request.urlopen(call, timeout=60) as response:  # noqa: S310
            text = response.read().decode()
    except urllib.error.HTTPError as error:
        raise RecipeFailed(f"{method} {path}: {error.code} {error.read().decode()}") from error
    say(f"ok   {method} {path}")
    return json.loads(text) if text else None


@contextlib.contextmanager
def start_api(sam: str, environment: Mapping[str, str]) -> Iterator[None]:
    command = [
        sam,
        "local",
        "start-api",
        "--port",
        str(API_PORT),
        "--warm-containers",
        "LAZY",
        *sam_local_options(environment),
    ]
    say("$ " + " ".join(command))
    process = subprocess.Popen(command, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", API_PORT), timeout=1),
            ):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RecipeFailed("sam local start-api did not start")
            time.sleep(1)
        yield
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)


def api_session() -> str:
    """Sign up, then a project, an API key, a run and a metric batch; the run's id."""
    email = f"sam-local-{uuid.uuid4().hex[:8]}@example.com"
    signed_up = request(
        "POST",
        "/v1/auth/signup",
        {"email": email, "password": "correct horse battery staple", "name": "Sam Local"},
    )
    bearer = {"authorization": f"Bearer {signed_up['tokens']['access_token']}"}
    workspaces = request("GET", "/v1/workspaces", headers=bearer)
    items = workspaces["items"] if isinstance(workspaces, dict) else workspaces
    workspace_id = items[0]["id"]
    project = request(
        "POST", f"/v1/workspaces/{workspace_id}/projects", {"name": "sam-local"}, bearer
    )
    key = request(
        "POST", "/v1/api-keys", {"name": "sam-local", "scopes": ["read", "write"]}, bearer
    )
    with_key = {"x-api-key": key["key"]}
    run_ = request("POST", f"/v1/projects/{project['id']}/runs", {"name": "sam-local"}, with_key)
    request(
        "POST",
        f"/v1/runs/{run_['id']}/metrics",
        {
            "batch_id": "sam-local-1",
            "points": [
                {"name": "train/loss", "value": 2.5, "step": 0},
                {"name": "train/loss", "value": 1.5, "step": 1},
            ],
        },
        with_key,
    )
    return str(run_["id"])


def hand_queued_batch_to_worker(sam: str, local: Any) -> None:
    """Receive the queued batch and invoke the worker with it, as the event source
    mapping does; delete the message when the worker reports no failure."""
    environment = local.environment
    queue_url = environment["INGEST_QUEUE_URL"]
    sqs = local._client("sqs")
    received = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=5,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    if not received:
        raise RecipeFailed("the metric batch was not queued")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    records = [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": environment.get("AWS_REGION", "us-east-1"),
        }
        for message in received
    ]
    event_file = ROOT / ".aws-sam" / "sam-local-ingest-event.json"
    event_file.write_text(json.dumps({"Records": records}), encoding="utf-8")
    answer = invoke(sam, environment, "IngestWorkerFunction", event_file)
    failures = answer.get("batchItemFailures", []) if isinstance(answer, dict) else []
    if failures:
        raise RecipeFailed(f"the worker reported failures: {failures}")
    for message in received:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    say(f"ok   IngestWorkerFunction took {len(records)} queued message(s)")


def points_stored(database_url: str, run_id: str) -> bool:
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM ingest_batches WHERE run_id = %s AND status = 'written'",
            (run_id,),
        ).fetchone()
    return bool(row and row[0])


def main() -> int:
    if not docker_engine_available():
        say(
            "skipped: no Docker engine (`docker info` found none). sam local runs each "
            "function in a container; `make invoke` runs the same handlers without Docker."
        )
        return 0
    try:
        sam = sam_command()
        run([sam, "build", "--template", str(ROOT / "template.yaml")], timeout=1800)
        with services() as local:
            environment = local.environment
            ENV_VARS_FILE.write_text(
                json.dumps(env_vars_for_containers(environment), indent=2), encoding="utf-8"
            )
            say(f"env vars for the containers: {ENV_VARS_FILE.relative_to(ROOT)}")
            invoke_events(sam, environment)
            with start_api(sam, environment):
                run_id = api_session()
            hand_queued_batch_to_worker(sam, local)
            if not points_stored(environment["DATABASE_URL"], run_id):
                raise RecipeFailed("the worker's batch is not marked written in the database")
    except RecipeFailed as error:
        say(f"FAIL {error}")
        return 1
    say("ok   every step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
