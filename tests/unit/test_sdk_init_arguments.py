"""`wavedb.init` as cluster launchers and careful users call it: run fields from WAVEDB_*
variables (arguments win), keyword-only arguments after `project`, and ConfigError for a
bad final status."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wavedb
from wavedb.run_ids import RUN_ID_NAMESPACE

RUN_VARIABLES = (
    "WAVEDB_RUN_ID",
    "WAVEDB_RESUME",
    "WAVEDB_WORKSPACE",
    "WAVEDB_NAME",
    "WAVEDB_TAGS",
    "WAVEDB_NOTES",
    "WAVEDB_PROJECT",
)


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in RUN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAVEDB_MODE", "offline")
    monkeypatch.setenv("WAVEDB_DIR", str(tmp_path))
    monkeypatch.setenv("WAVEDB_SYSTEM_METRICS", "false")
    yield {}
    wavedb.finish()


def _created(run: wavedb.Run) -> dict[str, Any]:
    """The `create_run` operation the run wrote to its outbox."""
    run.finish()
    [path] = [path for path in (run.dir / "outbox").glob("*.json") if "create_run" in path.name]
    body: dict[str, Any] = json.loads(path.read_text())["body"]
    return body


def test_init_run_fields_from_the_environment_are_used(
    offline: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVEDB_PROJECT", "from-env")
    monkeypatch.setenv("WAVEDB_RUN_ID", "slurm-1234")
    monkeypatch.setenv("WAVEDB_WORKSPACE", "team")
    monkeypatch.setenv("WAVEDB_NAME", "job 1234")
    monkeypatch.setenv("WAVEDB_TAGS", "slurm, gpu,,a100 ")
    monkeypatch.setenv("WAVEDB_NOTES", "launched by the scheduler")
    run = wavedb.init()
    assert run.id == str(uuid.uuid5(RUN_ID_NAMESPACE, "slurm-1234"))
    assert run.project == "from-env"
    assert run.name == "job 1234"
    assert run.tags == ["slurm", "gpu", "a100"]
    body = _created(run)
    assert body["workspace"] == "team"
    assert body["run"]["notes"] == "launched by the scheduler"
    assert body["run"]["tags"] == ["slurm", "gpu", "a100"]


def test_init_arguments_win_over_the_environment(
    offline: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVEDB_RUN_ID", "from-env")
    monkeypatch.setenv("WAVEDB_WORKSPACE", "env-team")
    monkeypatch.setenv("WAVEDB_NAME", "env name")
    monkeypatch.setenv("WAVEDB_TAGS", "env")
    monkeypatch.setenv("WAVEDB_NOTES", "env notes")
    run = wavedb.init(
        "p", id="given", workspace="team", name="given name", tags=["given"], notes="given notes"
    )
    assert run.id == str(uuid.uuid5(RUN_ID_NAMESPACE, "given"))
    body = _created(run)
    assert body["workspace"] == "team"
    assert body["run"]["name"] == "given name"
    assert body["run"]["tags"] == ["given"]
    assert body["run"]["notes"] == "given notes"


def test_init_resume_from_the_environment_needs_a_run_id(
    offline: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVEDB_RESUME", "must")
    with pytest.raises(wavedb.ConfigError, match="needs the run's id"):
        wavedb.init("p")
    monkeypatch.setenv("WAVEDB_RESUME", "sometimes")
    monkeypatch.setenv("WAVEDB_RUN_ID", "job-9")
    with pytest.raises(wavedb.ConfigError, match="WAVEDB_RESUME"):
        wavedb.init("p")


def test_init_arguments_after_project_positionally_are_refused(offline: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        wavedb.init("p", "a name")  # type: ignore[call-arg]


def test_finish_with_an_unknown_status_raises_config_error(offline: dict[str, Any]) -> None:
    run = wavedb.init("p")
    with pytest.raises(wavedb.ConfigError, match="status must be one of"):
        run.finish("done")
    with pytest.raises(wavedb.ConfigError, match="status must be one of"):
        wavedb.finish("done")
    run.finish()
