"""A training project kept in git, the way a user starts runs from one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def git(repository: Path, *args: str) -> str:
    """Run git with `args` in `repository`; what it printed, stripped."""
    return subprocess.run(
        ["git", *args], cwd=repository, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_dirty_repository(repository: Path, *, remote: str, train_script: str) -> Path:
    """A new git repository at `repository` on branch `experiment` with `remote` as its
    origin, one commit of `train_script` as train.py, and an uncommitted line added to it."""
    repository.mkdir()
    git(repository, "init", "-q")
    git(repository, "config", "user.email", "ada@example.com")
    git(repository, "config", "user.name", "Ada")
    git(repository, "checkout", "-q", "-b", "experiment")
    git(repository, "remote", "add", "origin", remote)
    (repository / "train.py").write_text(train_script)
    git(repository, "add", "train.py")
    git(repository, "commit", "-q", "-m", "first")
    (repository / "train.py").write_text(train_script + "# lr 0.1 works better\n")
    return repository


def run_train_script(repository: Path, *args: str) -> str:
    """Run the repository's train.py with `args` and provenance on, in a new interpreter,
    and wait for it; the run id it printed last."""
    started = subprocess.run(
        [sys.executable, "train.py", *args],
        cwd=repository,
        env={**os.environ, "WAVEDB_PROVENANCE": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    return started.stdout.strip().splitlines()[-1]
