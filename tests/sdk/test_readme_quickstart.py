"""The README's quickstart, followed as a new user would: the login command as written
(against the served stack instead of `make run`), the ten-line script, then `runs show`."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY
from tests.support.sdk import allow_signups
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(180)

README_API_URL = "http://127.0.0.1:3000"


def _quickstart() -> tuple[list[str], str, list[str]]:
    """(setup commands, training script, commands to see the run) of the README."""
    section = (REPOSITORY / "README.md").read_text().split("\n## Quickstart", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = re.findall(r"```(bash|python)\n(.*?)\n```", section, re.S)
    languages = [language for language, _ in blocks]
    assert languages == ["bash", "python", "bash"], languages
    setup, script, see = (body for _, body in blocks)
    return setup.splitlines(), script, see.splitlines()


def _command(line: str) -> list[str]:
    words = shlex.split(line, comments=True)
    if words and words[0].startswith(".venv/bin/"):
        # The repository's virtual environment: the one running these tests.
        words[0] = str(Path(sys.executable).parent / words[0].removeprefix(".venv/bin/"))
    return words


def test_the_readme_quickstart_logs_a_run_a_new_user_can_see(
    served_stack: LocalStack, database_url: str, tmp_path: Path
) -> None:
    setup, script, see = _quickstart()
    assert _command(setup[0]) == ["make", "run"]  # the served stack stands in for it
    allow_signups(database_url)
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("WAVEDB_") and "proxy" not in name.lower()
    }
    environment.update(
        WAVEDB_CONFIG_DIR=str(tmp_path / "config"),
        WAVEDB_PASSWORD="a long and unguessable passphrase",
        WAVEDB_SYSTEM_METRICS="false",
    )
    email = f"quickstart-{uuid.uuid4().hex[:8]}@example.com"

    def run(words: list[str]) -> subprocess.CompletedProcess[str]:
        words = [
            word.replace(README_API_URL, served_stack.api_url).replace("you@example.com", email)
            for word in words
        ]
        return subprocess.run(
            words,
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    login = run(_command(setup[1]))
    assert login.returncode == 0, login.stderr
    assert "Signed up" in login.stdout
    assert (tmp_path / "config" / "config.json").stat().st_mode & 0o077 == 0

    (tmp_path / "train.py").write_text(script)
    assert _command(see[0])[1:] == ["train.py"]
    trained = run(_command(see[0]))
    assert trained.returncode == 0, trained.stderr
    run_id = re.search(r"wavedb runs show (\S+)", trained.stdout)
    assert run_id is not None, trained.stdout

    show_words = _command(see[1])
    assert show_words[-1] == "RUN_ID"
    # The points travel through the ingest queue: like a user, look again a moment later.
    deadline = time.monotonic() + 30
    while True:
        shown = run([*show_words[:-1], run_id[1]])
        assert shown.returncode == 0, shown.stderr
        if re.search(r"train/loss.*\b300\b", shown.stdout) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "finished" in shown.stdout
    for name in ("train/loss", "train/acc", "final_loss"):
        assert name in shown.stdout
    assert re.search(r"train/loss.*\b300\b", shown.stdout), shown.stdout
