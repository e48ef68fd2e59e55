"""The WaveDB product document's curl examples, run by bash and the real curl binary as
written, against the local stack served over HTTP (with the SQS workers running).

Only these are substituted: the document's server URL by the served stack's, the
YOUR_JWT_TOKEN, PROJECT_ID and RUNNER_ID placeholders by what the earlier answers gave, and
the image example's /path/to/image.png by a real PNG file written to a temporary directory,
and its example password, too common for our password rules, by a strong one. The document
is kept in tests/fixtures/wavedb_readme.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import REPOSITORY
from tests.support.media import png_bytes
from wavedb_local.stack import LocalStack

README = REPOSITORY / "tests" / "fixtures" / "wavedb_readme.md"
DOCUMENT_URL = "http://localhost:3000"
README_EMAIL = "researcher@example.com"
# The document's example password is among the most common ones, which our password rules
# refuse (test_readme_password_as_written_is_refused_as_too_common): the replay uses a
# strong one in its place, and changes nothing else.
README_PASSWORD = "secure123"
REPLAY_PASSWORD = "violet tractor juggles seventeen pancakes"
STATUS_MARK = "\n@@status="
CURL_TIMEOUT_SECONDS = 30
LISTING_DEADLINE_SECONDS = 30.0

CURL = shutil.which("curl")
pytestmark = pytest.mark.skipif(CURL is None, reason="the curl binary is not installed")


@dataclass(frozen=True)
class Example:
    title: str
    command: str


@dataclass(frozen=True)
class Outcome:
    returncode: int
    status: int | None
    body: Any
    stderr: str


@dataclass
class Replay:
    """What each example answered, by title, and the values carried between them."""

    environment: dict[str, str]
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def usage_examples(document: str) -> list[Example]:
    """The ```bash blocks of the "## Usage Example" section, each with its ### title."""
    section = document.split("\n## Usage Example\n", 1)[1].split("\n## ", 1)[0]
    pattern = re.compile(r"^### (?P<title>.+?)\n+```bash\n(?P<command>.*?)\n```", re.S | re.M)
    return [
        Example(match["title"].strip(), match["command"]) for match in pattern.finditer(section)
    ]


EXAMPLES = usage_examples(README.read_text())
IMAGE_EXAMPLE = "Log an image metric"
IMAGE_PATH = "/path/to/image.png"


def _curl_environment(config_home: Path) -> dict[str, str]:
    """The caller's environment, minus proxies, with a curl config that only appends the
    HTTP status after each answer (the commands themselves stay as written)."""
    # In a curl config file, "\\n" inside double quotes is a new line.
    (config_home / ".curlrc").write_text('write-out = "\\n@@status=%{http_code}"\n')
    environment = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in {"http_proxy", "https_proxy", "all_proxy", "curl_home"}
    }
    environment["CURL_HOME"] = str(config_home)
    environment["NO_PROXY"] = "127.0.0.1,localhost"
    return environment


def run_as_written(command: str, environment: dict[str, str]) -> Outcome:
    completed = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=CURL_TIMEOUT_SECONDS,
        env=environment,
        check=False,
    )
    body_text, _, status = completed.stdout.rpartition(STATUS_MARK)
    try:
        body = json.loads(body_text) if body_text else None
    except json.JSONDecodeError:
        body = body_text
    return Outcome(
        returncode=completed.returncode,
        status=int(status) if status.isdigit() else None,
        body=body,
        stderr=completed.stderr,
    )


def _substituted(command: str, stack: LocalStack, values: dict[str, str]) -> str:
    command = command.replace(DOCUMENT_URL, stack.api_url)
    for placeholder, value in values.items():
        command = command.replace(placeholder, value)
    return command


def _forget_the_documents_account(database_url: str) -> None:
    """The document registers a fixed address: start from a database without it."""
    with psycopg.connect(database_url) as connection:
        connection.execute("DELETE FROM users WHERE lower(email) = %s", (README_EMAIL,))


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file the image example uploads, in place of its /path/to/image.png."""
    path = tmp_path_factory.mktemp("images") / "image.png"
    path.write_bytes(png_bytes(96, 72))
    return path


@pytest.fixture(scope="module")
def replay(
    served_stack: LocalStack,
    database_url: str,
    image: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Replay:
    """Every example, in the document's order."""
    _forget_the_documents_account(database_url)
    result = Replay(environment=_curl_environment(tmp_path_factory.mktemp("curl-config")))
    result.values[IMAGE_PATH] = str(image)
    result.values[f'"password": "{README_PASSWORD}"'] = f'"password": "{REPLAY_PASSWORD}"'
    for example in EXAMPLES:
        outcome = run_as_written(
            _substituted(example.command, served_stack, result.values), result.environment
        )
        result.outcomes[example.title] = outcome
        data = outcome.body.get("data") if isinstance(outcome.body, dict) else None
        if example.title == "Login" and isinstance(data, dict):
            result.values["YOUR_JWT_TOKEN"] = data["access_token"]
        if example.title == "Create a project" and isinstance(data, dict):
            result.values["PROJECT_ID"] = data["id"]
        if example.title == "Create a run" and isinstance(data, dict):
            result.values["RUNNER_ID"] = data["id"]
    return result


def _outcome(replay: Replay, title: str) -> Outcome:
    outcome = replay.outcomes[title]
    assert outcome.returncode == 0, outcome.stderr
    return outcome


def test_readme_lists_the_examples_this_replay_knows() -> None:
    assert [example.title for example in EXAMPLES] == [
        "Register a new user",
        "Login",
        "Create a project",
        "Create a run",
        "Log a scalar metric",
        IMAGE_EXAMPLE,
        "Get metrics for a run",
    ]


def test_readme_password_as_written_is_refused_as_too_common(
    served_stack: LocalStack, replay: Replay
) -> None:
    [register] = [example for example in EXAMPLES if example.title == "Register a new user"]
    assert README_PASSWORD in register.command
    command = _substituted(register.command, served_stack, {}).replace(
        README_EMAIL, "another-researcher@example.com"
    )

    outcome = run_as_written(command, replay.environment)

    assert outcome.status == 400, outcome.body
    assert [reason["name"] for reason in outcome.body["reasons"]] == ["password"]


def test_readme_register_example_answers_the_new_user(replay: Replay) -> None:
    outcome = _outcome(replay, "Register a new user")

    assert outcome.status == 200
    assert set(outcome.body) == {"message", "data"}
    assert set(outcome.body["data"]) == {"id", "name", "email"}
    assert outcome.body["data"]["name"] == "researcher"
    assert outcome.body["data"]["email"] == README_EMAIL


def test_readme_login_example_answers_an_access_token(replay: Replay) -> None:
    outcome = _outcome(replay, "Login")

    assert outcome.status == 200
    assert set(outcome.body["data"]) == {"access_token"}


def test_readme_create_project_example_answers_the_project(replay: Replay) -> None:
    outcome = _outcome(replay, "Create a project")

    assert outcome.status == 200
    assert outcome.body["data"] == {
        "id": replay.values["PROJECT_ID"],
        "name": "Image Classification Experiment",
        "description": "Testing ResNet variants",
    }


def test_readme_create_run_example_answers_201_with_the_runner(replay: Replay) -> None:
    outcome = _outcome(replay, "Create a run")

    assert outcome.status == 201
    assert outcome.body["data"] == {
        "id": replay.values["RUNNER_ID"],
        "name": "resnet50-run-1",
        "status": "RUNNING",
        "projectId": replay.values["PROJECT_ID"],
        "config": {"learning_rate": 0.001, "batch_size": 32},
    }


def test_readme_log_scalar_example_answers_the_runner_metric(replay: Replay) -> None:
    outcome = _outcome(replay, "Log a scalar metric")

    assert outcome.status == 200
    metric = outcome.body["data"]
    assert set(metric) == {"id", "name", "value", "step", "tag", "type", "timestamp", "runId"}
    assert (metric["name"], metric["value"], metric["step"], metric["tag"]) == (
        "loss",
        0.234,
        100,
        "training",
    )
    assert (metric["type"], metric["runId"]) == ("SCALAR", replay.values["RUNNER_ID"])


def test_readme_image_example_answers_an_image_metric_whose_url_serves_the_file(
    replay: Replay, image: Path
) -> None:
    outcome = _outcome(replay, IMAGE_EXAMPLE)

    assert outcome.status == 200
    assert set(outcome.body) == {"message", "data"}
    metric = outcome.body["data"]
    assert set(metric) == {
        "id",
        "name",
        "value",
        "step",
        "tag",
        "type",
        "timestamp",
        "runId",
        "url",
    }
    assert (metric["name"], metric["step"], metric["tag"], metric["type"]) == (
        "confusion_matrix",
        100,
        "validation",
        "IMAGE",
    )
    assert metric["runId"] == replay.values["RUNNER_ID"]
    served = httpx.get(metric["url"], timeout=CURL_TIMEOUT_SECONDS, trust_env=False)
    assert served.status_code == 200
    assert served.content == image.read_bytes()
    assert served.headers["content-type"] == "image/png"


def test_readme_get_metrics_example_as_written_is_sent_without_its_header(
    replay: Replay,
) -> None:
    # The URL is not quoted: bash ends the command at `&` and runs curl in the background
    # without the `-H "Authorization: ..."` line, which it then tries to run on its own.
    outcome = replay.outcomes["Get metrics for a run"]

    assert outcome.returncode == 127
    assert "-H: command not found" in outcome.stderr
    assert outcome.status == 401
    assert outcome.body == {"message": "unauthorized"}


def test_readme_get_metrics_example_with_its_url_quoted_lists_the_logged_scalar(
    replay: Replay, served_stack: LocalStack
) -> None:
    example = next(example for example in EXAMPLES if example.title == "Get metrics for a run")
    command = re.sub(r"(http://\S+)", r'"\1"', example.command, count=1)
    command = _substituted(command, served_stack, replay.values)
    logged = replay.outcomes["Log a scalar metric"].body["data"]

    deadline = time.monotonic() + LISTING_DEADLINE_SECONDS
    outcome = run_as_written(command, replay.environment)
    while outcome.status == 200 and not outcome.body["data"] and time.monotonic() < deadline:
        outcome = run_as_written(
            command, replay.environment
        )  # the ingest worker has not written it yet

    assert outcome.returncode == 0, outcome.stderr
    assert outcome.status == 200
    assert outcome.body["data"] == [logged]
