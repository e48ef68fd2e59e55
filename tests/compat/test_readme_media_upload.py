"""The README's two-step upload (grant, then a POST straight to the bucket), run by bash and
the real curl binary as written, against the local stack served over HTTP with its event
sources running: the bucket's notification reaches the media worker through SQS.

Only the shell variables the README assumes ($API, $KEY, $RUN) are set, and the working
directory holds the `confusion.png` it uploads.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from tests.conftest import REPOSITORY
from tests.support.accounts import HttpClient, create_api_key, sign_up
from tests.support.media import png_bytes
from wavedb_local.stack import LocalStack

README = REPOSITORY / "README.md"
READY_DEADLINE_SECONDS = 30.0

pytestmark = [
    pytest.mark.skipif(shutil.which("curl") is None, reason="the curl binary is not installed"),
    pytest.mark.timeout(120),
]


def upload_example() -> str:
    """The first ```bash block of the README's media section."""
    section = README.read_text().split("\n## Media:", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```bash\n(?P<commands>.*?)\n```", section, re.S)
    assert match is not None, "the README's media section has no bash example"
    return match["commands"]


def _run_with_key(served_stack: LocalStack) -> tuple[str, str]:
    with httpx.Client(base_url=served_stack.api_url, timeout=30, trust_env=False) as http:
        client = cast(HttpClient, http)  # httpx's richer signatures satisfy the protocol's use
        user = sign_up(client)
        key = create_api_key(client, user)["key"]
        headers = {"x-api-key": key}
        workspace = http.get("/v1/workspaces", headers=headers).json()["items"][0]["id"]
        project = http.post(
            f"/v1/workspaces/{workspace}/projects", json={"name": "vision"}, headers=headers
        ).json()["id"]
        run = http.post(
            f"/v1/projects/{project}/runs", json={"name": "resnet"}, headers=headers
        ).json()["id"]
    return str(key), str(run)


def _listing(api_url: str, key: str, run: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{api_url}/v1/runs/{run}/media",
        params={"name": "val/confusion"},
        headers={"x-api-key": key},
        trust_env=False,
    )
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_readme_two_step_upload_makes_a_ready_image_that_serves_the_same_bytes(
    served_stack: LocalStack, tmp_path: Path
) -> None:
    key, run = _run_with_key(served_stack)
    image = png_bytes(128, 96)
    (tmp_path / "confusion.png").write_bytes(image)
    environment = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    environment.update({"API": served_stack.api_url, "KEY": key, "RUN": run})

    completed = subprocess.run(
        ["bash", "-c", upload_example()],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "204" in completed.stdout.splitlines()
    grant = json.loads((tmp_path / "grant.json").read_text())
    assert grant["media"]["status"] == "pending"
    deadline = time.monotonic() + READY_DEADLINE_SECONDS
    items = _listing(served_stack.api_url, key, run)
    while items[0]["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
        items = _listing(served_stack.api_url, key, run)
    item = items[0]
    assert (item["status"], item["width"], item["height"]) == ("ready", 128, 96)
    assert httpx.get(item["url"], trust_env=False).content == image
