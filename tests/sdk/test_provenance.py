"""A run says where it came from: git (commit, branch, remote without credentials, dirty
tree and its diff as a file), host, user, OS, Python, the command line, the installed
packages (as a file), GPUs and the SDK version; read back over the API and by `wavedb runs
show`. Each part can be turned off; slow parts never hold up init()."""

from __future__ import annotations

import os
import socket
import stat
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import wavedb
from tests.support.git_repositories import git, make_dirty_repository, run_train_script
from tests.support.sdk import SdkEnvironment
from wavedb import provenance
from wavedb.cli.main import app

TRAIN = """
import wavedb
run = wavedb.init(project="provenance")
run.log({"loss": 0.5})
print(run.id)
run.finish()
"""


@pytest.fixture
def dirty_repository(tmp_path: Path) -> Path:
    """A git repository on branch `experiment` with a credentialed remote, one commit, and
    an uncommitted change to train.py."""
    return make_dirty_repository(
        tmp_path / "project",
        remote="https://ada:s3cret@git.example.com/team/nn.git",
        train_script=TRAIN,
    )


def test_run_started_in_a_dirty_git_repository_with_arguments_records_where_it_came_from(
    sdk_env: SdkEnvironment, dirty_repository: Path
) -> None:
    run_id = run_train_script(
        dirty_repository, "--lr", "0.1", "--api-key", "hidden", "--token=hidden"
    )

    recorded = sdk_env.client.get_run(run_id)["provenance"]

    assert recorded["git"] == {
        "commit": git(dirty_repository, "rev-parse", "HEAD"),
        "branch": "experiment",
        "remote": "https://git.example.com/team/nn.git",
        "dirty": True,
        "diff": {"file": "provenance/git_diff", "truncated": False},
    }
    assert recorded["command"] == {
        "argv": ["train.py", "--lr", "0.1", "--api-key", "***", "--token=***"]
    }
    assert recorded["cwd"] == str(dirty_repository)
    assert recorded["host"] == socket.gethostname()
    assert recorded["user"]
    assert recorded["os"]
    assert recorded["python"] == {
        "version": ".".join(str(part) for part in sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "executable": sys.executable,
    }
    assert recorded["sdk"] == {"version": wavedb.__version__}
    assert recorded["packages"]["file"] == "provenance/packages"
    assert recorded["packages"]["count"] > 10
    files = {item["name"]: item for item in sdk_env.wait_for_media(run_id, 2)}
    assert files["provenance/git_diff"]["status"] == "ready"
    diff = httpx.get(files["provenance/git_diff"]["url"], trust_env=False).text
    assert "+# lr 0.1 works better" in diff
    packages = httpx.get(files["provenance/packages"]["url"], trust_env=False).text
    assert f"wavedb=={wavedb.__version__}" in packages.splitlines()
    assert len(packages.splitlines()) == recorded["packages"]["count"]

    shown = CliRunner().invoke(app, ["runs", "show", run_id], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "provenance" in shown.stdout
    assert f"{recorded['git']['commit']} (experiment), dirty" in shown.stdout
    assert "train.py --lr 0.1 --api-key '***' '--token=***'" in shown.stdout
    assert "s3cret" not in shown.stdout


def test_run_with_provenance_off_records_none(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVEDB_PROVENANCE", "true")

    run = wavedb.init(project="provenance", provenance=False)
    run.finish()

    assert sdk_env.client.get_run(run.id)["provenance"] is None
    assert list(sdk_env.client.list_media(run.id)) == []


def test_run_with_parts_turned_off_records_the_others(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVEDB_PROVENANCE", "true")
    monkeypatch.setenv("WAVEDB_PROVENANCE_PACKAGES", "false")
    monkeypatch.setenv("WAVEDB_PROVENANCE_COMMAND", "false")

    run = wavedb.init(project="provenance", provenance={"git": False, "user": False})
    run.finish()

    recorded = sdk_env.client.get_run(run.id)["provenance"]
    assert set(recorded) == {"sdk", "host", "python", "os"}
    assert list(sdk_env.client.list_media(run.id)) == []


def test_unknown_provenance_part_is_a_config_error(sdk_env: SdkEnvironment) -> None:
    with pytest.raises(wavedb.ConfigError, match="no part 'gits'"):
        wavedb.init(project="provenance", provenance={"gits": False})


def test_init_does_not_wait_for_a_slow_git_and_the_run_goes_on_without_it(
    sdk_env: SdkEnvironment,
    dirty_repository: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow_bin = tmp_path / "slow-bin"
    slow_bin.mkdir()
    slow_git = slow_bin / "git"
    slow_git.write_text("#!/bin/sh\nsleep 30\n")
    slow_git.chmod(slow_git.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{slow_bin}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("WAVEDB_PROVENANCE", "true")
    monkeypatch.setenv("WAVEDB_PROVENANCE_PACKAGES", "false")
    monkeypatch.setattr(provenance, "SUBPROCESS_TIMEOUT_SECONDS", 1.0)
    monkeypatch.chdir(dirty_repository)
    # What init() costs without provenance, measured the same way.
    quiet = wavedb.init(project="provenance", provenance=False)
    quiet.finish()

    before = time.perf_counter()
    plain = wavedb.init(project="provenance", provenance=False)
    without = time.perf_counter() - before
    plain.finish()
    before = time.perf_counter()
    run = wavedb.init(project="provenance")
    with_provenance = time.perf_counter() - before
    run.log({"loss": 1.0})
    run.finish()

    assert with_provenance - without < 0.2
    recorded = sdk_env.client.get_run(run.id)["provenance"]
    assert "git" not in recorded
    assert recorded["host"] == socket.gethostname()
