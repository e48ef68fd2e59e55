"""The `wavedb` command against the local stack: log in, list, show, export and sync runs."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

import wavedb
from tests.support.sdk import SdkEnvironment
from wavedb.accounts import default_key_name
from wavedb.api import ApiClient
from wavedb.cli.main import app
from wavedb.errors import ApiError


def wavedb_cli(*args: str, input: str | None = None) -> Result:
    """Run `wavedb ARGS`; an exception the command did not turn into a message fails the
    test (users must never see a traceback)."""
    result = CliRunner().invoke(app, list(args), input=input, env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def installed_wavedb(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `wavedb ARGS` as the installed console script, in a process of its own (as from a
    shell, where standard input may be a pipe)."""
    command = Path(sys.executable).with_name("wavedb")
    return subprocess.run(
        [str(command), *args], input=input, capture_output=True, text=True, timeout=60, check=False
    )


def config_file(sdk_env: SdkEnvironment) -> Path:
    return Path(os.environ["WAVEDB_CONFIG_DIR"]) / "config.json"


def log_run(
    project: str, name: str, losses: list[float], *, tags: list[str], status: str = "finished"
) -> str:
    run = wavedb.init(
        project=project, name=name, config={"lr": 0.01, "net": {"depth": 4}}, tags=tags
    )
    for loss in losses:
        run.log({"train/loss": loss, "train/acc": 1 - loss})
    run.summary["test/acc"] = 0.875
    run.finish(status=status)
    return run.id


# ---------------------------------------------------------------- login


def test_login_checks_the_key_and_saves_it_readable_by_the_user_alone(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = wavedb_cli("login", input=sdk_env.api_key + "\n")

    assert result.exit_code == 0, result.output
    saved = config_file(sdk_env)
    assert str(saved) in result.stdout
    assert sdk_env.api_key not in result.output  # asked for hidden, never printed
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert json.loads(saved.read_text()) == {"api_url": sdk_env.api_url, "api_key": sdk_env.api_key}

    # Later commands find the key there when the environment has none...
    monkeypatch.delenv("WAVEDB_API_KEY")
    monkeypatch.delenv("WAVEDB_API_URL")
    project_listing = wavedb_cli("runs", "ls", "--project", "nowhere")
    assert project_listing.exit_code == 1
    assert "no project 'nowhere'" in project_listing.stderr
    # ...and an argument or the environment takes precedence over it.
    overridden = wavedb_cli("runs", "ls", "-p", "nowhere", "--api-key", "wdb_bad_key")
    assert overridden.exit_code == 1
    assert "refused the key" in overridden.stderr
    monkeypatch.setenv("WAVEDB_API_KEY", "wdb_bad_key")
    assert "refused the key" in wavedb_cli("runs", "ls", "-p", "nowhere").stderr

    assert wavedb_cli("logout").exit_code == 0
    assert not saved.exists()


def test_login_with_a_wrong_key_is_refused_and_saves_nothing(sdk_env: SdkEnvironment) -> None:
    result = wavedb_cli("login", "--api-url", sdk_env.api_url, "--key", "wdb_not_a_real_key")

    assert result.exit_code == 1
    assert "refused this key" in result.stderr
    assert "nothing was saved" in result.stderr
    assert not config_file(sdk_env).exists()


def test_login_to_an_unreachable_api_fails_with_a_message(sdk_env: SdkEnvironment) -> None:
    result = wavedb_cli("login", "--api-url", "http://127.0.0.1:9", "--key", sdk_env.api_key)

    assert result.exit_code == 1
    assert "cannot reach the API" in result.stderr
    assert not config_file(sdk_env).exists()


def machine_keys(api_url: str, email: str, password: str) -> list[dict[str, object]]:
    """The account's active API keys named as `wavedb login` names this machine's key."""
    with httpx.Client(base_url=api_url, timeout=30, trust_env=False) as http:
        tokens = http.post("/v1/auth/login", json={"email": email, "password": password})
        assert tokens.status_code == 200, tokens.text
        bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        listed = http.get("/v1/api-keys", headers=bearer)
        assert listed.status_code == 200, listed.text
    return [key for key in listed.json() if key["name"] == default_key_name()]


def test_login_with_email_and_password_creates_a_key_for_this_machine(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    password = "a long and unguessable passphrase"
    monkeypatch.setenv("WAVEDB_PASSWORD", password)
    signed_up = wavedb_cli("login", "--api-url", sdk_env.api_url, "--email", email, "--signup")
    assert signed_up.exit_code == 0, signed_up.stderr
    saved = json.loads(config_file(sdk_env).read_text())
    assert saved["api_key"].startswith("wdk_")
    me = ApiClient(sdk_env.api_url, saved["api_key"]).me()
    assert me["email"] == email
    assert len(machine_keys(sdk_env.api_url, email, password)) == 1

    # A wrong password says so and saves nothing new.
    before = config_file(sdk_env).read_text()
    monkeypatch.setenv("WAVEDB_PASSWORD", "not the passphrase at all")
    refused = wavedb_cli("login", "--api-url", sdk_env.api_url, "--email", email)
    assert refused.exit_code == 1
    assert "wrong e-mail or password" in refused.stderr
    assert "refused the key" not in refused.stderr
    assert config_file(sdk_env).read_text() == before


def test_login_again_keeps_one_key_per_machine(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    password = "a long and unguessable passphrase"
    monkeypatch.setenv("WAVEDB_PASSWORD", password)
    assert wavedb_cli("login", "--email", email, "--signup").exit_code == 0
    first = json.loads(config_file(sdk_env).read_text())["api_key"]

    # The saved key still works: it is kept, and no key is added.
    again = wavedb_cli("login", "--email", email)
    assert again.exit_code == 0, again.output
    assert json.loads(config_file(sdk_env).read_text())["api_key"] == first
    assert len(machine_keys(sdk_env.api_url, email, password)) == 1

    # After logout the saved key is gone: a new key replaces this machine's earlier one.
    assert wavedb_cli("logout").exit_code == 0
    replaced = wavedb_cli("login", "--email", email)
    assert replaced.exit_code == 0, replaced.output
    second = json.loads(config_file(sdk_env).read_text())["api_key"]
    assert second != first
    [kept] = machine_keys(sdk_env.api_url, email, password)
    assert second.startswith(str(kept["prefix"]))
    with pytest.raises(ApiError) as revoked:
        ApiClient(sdk_env.api_url, first).me()
    assert revoked.value.status == 401


def test_login_signup_with_the_password_piped_asks_for_it_once_without_a_warning(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WAVEDB_PASSWORD", raising=False)
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    answer = installed_wavedb(
        "login",
        "--api-url",
        sdk_env.api_url,
        "--email",
        email,
        "--signup",
        input="a long and unguessable passphrase\n",
    )
    assert answer.returncode == 0, answer.stderr
    assert "Warning" not in answer.stderr
    saved = json.loads(config_file(sdk_env).read_text())
    assert ApiClient(sdk_env.api_url, saved["api_key"]).me()["email"] == email

    empty = installed_wavedb("login", "--api-url", sdk_env.api_url, "--email", email, input="")
    assert empty.returncode == 1
    assert "no password" in empty.stderr


def test_login_signup_without_email_is_a_usage_error(sdk_env: SdkEnvironment) -> None:
    result = wavedb_cli("login", "--api-url", sdk_env.api_url, "--signup")
    assert result.exit_code == 1
    assert "--signup needs --email" in result.stderr


# ---------------------------------------------------------------- runs


def test_runs_ls_lists_the_runs_logged_with_the_sdk(sdk_env: SdkEnvironment) -> None:
    first = log_run("vision", "resnet-a", [0.5, 0.25], tags=["baseline"])
    second = log_run("vision", "resnet-b", [0.75, 0.5], tags=["sweep"], status="failed")
    sdk_env.wait_for_points(first, "train/loss", 2)
    sdk_env.wait_for_points(second, "train/loss", 2)

    listed = wavedb_cli("runs", "ls", "--project", "vision", "--json")
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.stdout)
    assert [run["id"] for run in runs] == [second, first]  # newest first
    assert [run["name"] for run in runs] == ["resnet-b", "resnet-a"]

    table = wavedb_cli("runs", "ls", "-p", "vision")
    assert table.exit_code == 0, table.output
    for expected in (first, second, "resnet-a", "resnet-b", "finished", "failed"):
        assert expected in table.stdout
    assert "test/acc 0.875" in table.stdout
    assert "train/loss 0.25" in table.stdout

    by_status = json.loads(
        wavedb_cli("runs", "ls", "-p", "vision", "--status", "failed", "--json").stdout
    )
    assert [run["id"] for run in by_status] == [second]
    by_tag = json.loads(
        wavedb_cli("runs", "ls", "-p", "vision", "--tag", "baseline", "--json").stdout
    )
    assert [run["id"] for run in by_tag] == [first]
    limited = json.loads(wavedb_cli("runs", "ls", "-p", "vision", "--limit", "1", "--json").stdout)
    assert [run["id"] for run in limited] == [second]


def test_runs_ls_filter_and_sort_are_searched_by_the_server(sdk_env: SdkEnvironment) -> None:
    first = log_run("vision", "resnet-a", [0.5, 0.25], tags=["baseline"])
    second = log_run("vision", "resnet-b", [0.75, 0.5], tags=["sweep"], status="failed")
    sdk_env.wait_for_points(first, "train/loss", 2)
    sdk_env.wait_for_points(second, "train/loss", 2)

    def listed(*options: str) -> list[str]:
        result = wavedb_cli("runs", "ls", "-p", "vision", "--json", *options)
        assert result.exit_code == 0, result.output
        return [run["id"] for run in json.loads(result.stdout)]

    assert listed("--filter", "train/loss.min < 0.3") == [first]
    assert listed("--filter", "lr = 0.01 and (status = failed or tags = nothing)") == [second]
    assert listed("--sort", "train/loss.min") == [first, second]
    assert listed("--sort", "-metrics.train/loss.max", "--limit", "1") == [second]
    assert listed("-f", "net.depth >= 4", "-s", "name") == [first, second]

    malformed = wavedb_cli("runs", "ls", "-p", "vision", "--filter", "lr >")
    assert malformed.exit_code == 1
    assert "invalid_filter" in malformed.stderr
    assert "position 4" in malformed.stderr
    unknown = wavedb_cli("runs", "ls", "-p", "vision", "--sort", "colour")
    assert unknown.exit_code == 1
    assert "unknown field 'colour'" in unknown.stderr
    assert "train/loss" in unknown.stderr


def test_runs_show_prints_config_tags_metrics_and_results(sdk_env: SdkEnvironment) -> None:
    run_id = log_run("vision", "resnet-a", [0.5, 0.25, 0.125], tags=["baseline", "gpu"])
    sdk_env.wait_for_points(run_id, "train/acc", 3)

    shown = wavedb_cli("runs", "show", run_id)
    assert shown.exit_code == 0, shown.output
    lines = [" ".join(line.split()) for line in shown.stdout.splitlines()]
    assert "resnet-a" in lines
    assert f"id {run_id}" in lines
    assert "status finished" in lines
    assert "tags baseline, gpu" in lines
    assert "lr 0.01" in lines
    assert "net.depth 4" in lines
    # name, last, step, min, max, count
    assert "train/loss 0.125 2 0.125 0.5 3" in lines
    assert "train/acc 0.875 2 0.5 0.875 3" in lines
    assert "test/acc 0.875" in lines

    as_json = wavedb_cli("runs", "show", run_id, "--json")
    assert json.loads(as_json.stdout) == sdk_env.client.get_run(run_id)


def test_unknown_projects_and_runs_fail_with_a_message(sdk_env: SdkEnvironment) -> None:
    missing_project = wavedb_cli("runs", "ls", "--project", "no-such-project")
    assert missing_project.exit_code == 1
    assert "no project 'no-such-project'" in missing_project.stderr

    missing_run = wavedb_cli("runs", "show", str(uuid.uuid4()))
    assert missing_run.exit_code == 1
    assert "not found" in missing_run.stderr

    blank_id = wavedb_cli("runs", "show", " ")
    assert blank_id.exit_code == 2
    assert "not a run id" in blank_id.stderr

    unknown_status = wavedb_cli("runs", "ls", "-p", "x", "--status", "done")
    assert unknown_status.exit_code == 2
    assert "'done' is not one of" in unknown_status.stderr

    unreachable = wavedb_cli("runs", "ls", "-p", "x", "--api-url", "http://127.0.0.1:9")
    assert unreachable.exit_code == 1
    assert "cannot reach the API" in unreachable.stderr


def test_projects_ls_lists_the_projects_of_every_workspace(sdk_env: SdkEnvironment) -> None:
    team = sdk_env.client.post("/v1/workspaces", {"name": f"team-{uuid.uuid4().hex[:6]}"})
    log_run("vision", "resnet-a", [0.5], tags=[])
    wavedb.init(project="nlp", workspace=team["name"]).finish()

    listed = wavedb_cli("projects", "ls", "--json")
    assert listed.exit_code == 0, listed.output
    assert sorted(project["name"] for project in json.loads(listed.stdout)) == ["nlp", "vision"]

    table = wavedb_cli("projects", "ls")
    assert table.exit_code == 0, table.output
    for expected in ("vision", "nlp", team["name"]):
        assert expected in table.stdout
    in_team = json.loads(wavedb_cli("projects", "ls", "-w", team["name"], "--json").stdout)
    assert [project["name"] for project in in_team] == ["nlp"]


def test_runs_ls_without_a_project_lists_recent_runs_of_every_workspace(
    sdk_env: SdkEnvironment,
) -> None:
    team = sdk_env.client.post("/v1/workspaces", {"name": f"team-{uuid.uuid4().hex[:6]}"})
    first = log_run("vision", "resnet-a", [0.5], tags=[])
    second = wavedb.init(project="nlp", name="bert", workspace=team["name"])
    second.finish()

    listed = wavedb_cli("runs", "ls", "--json")
    assert listed.exit_code == 0, listed.output
    assert [run["id"] for run in json.loads(listed.stdout)] == [second.id, first]

    table = wavedb_cli("runs", "ls")
    assert table.exit_code == 0, table.output
    lines = [" ".join(line.split()) for line in table.stdout.splitlines()]
    assert any(line.startswith("bert") and "nlp" in line for line in lines), table.stdout
    assert any(line.startswith("resnet-a") and "vision" in line for line in lines), table.stdout
    in_team = json.loads(wavedb_cli("runs", "ls", "-w", team["name"], "--json").stdout)
    assert [run["id"] for run in in_team] == [second.id]


def test_runs_show_accepts_the_custom_id_and_prints_project_notes_and_user_metrics_first(
    sdk_env: SdkEnvironment,
) -> None:
    run = wavedb.init(project="vision", name="custom", id="exp-42", notes="tried a wider net")
    run.log({"system/cpu": 50.0, "train/loss": 0.5, "zeta": 1.0})
    run.finish()
    sdk_env.wait_for_points(run.id, "system/cpu", 1)
    sdk_env.wait_for_points(run.id, "zeta", 1)

    shown = wavedb_cli("runs", "show", "exp-42")
    assert shown.exit_code == 0, shown.output
    lines = [" ".join(line.split()) for line in shown.stdout.splitlines()]
    assert f"id {run.id}" in lines
    assert "project vision" in lines
    assert "notes tried a wider net" in lines
    shown_metrics = {"train/loss", "zeta", "system/cpu"}
    order = [
        line.split()[0] for line in lines if line.split()[:1] and line.split()[0] in shown_metrics
    ]
    assert order == ["train/loss", "zeta", "system/cpu"]
    assert json.loads(wavedb_cli("runs", "show", "exp-42", "--json").stdout)["id"] == run.id

    missing = wavedb_cli("runs", "show", "no-such-run")
    assert missing.exit_code == 1
    assert "no-such-run" in missing.stderr


# ---------------------------------------------------------------- export


def test_export_csv_and_json_hold_exactly_what_was_logged(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    run = wavedb.init(project="export")
    logged = {"loss": [1.5, 0.75, math.nan, 0.1875], "lr": [0.1, 0.1, 0.01, 0.001]}
    for step in range(4):
        run.log({name: values[step] for name, values in logged.items()}, step=step * 10)
    run.finish()
    for name in logged:
        sdk_env.wait_for_points(run.id, name, 4)

    def expected(value: float) -> float | str:
        return "NaN" if math.isnan(value) else value

    as_csv = wavedb_cli("export", run.id, "--csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {row["run_id"] for row in rows} == {run.id}
    assert sorted((row["name"], int(row["step"]), row["value"]) for row in rows) == sorted(
        (name, step * 10, str(expected(value)))
        for name, values in logged.items()
        for step, value in enumerate(values)
    )
    assert all(row["timestamp"] for row in rows)

    target = tmp_path / "out" / "run.json"
    target.parent.mkdir()
    as_json = wavedb_cli("export", run.id, "--json", "-o", str(target))
    assert as_json.exit_code == 0, as_json.output
    assert as_json.stdout == ""
    exported = json.loads(target.read_text())
    assert exported["run"]["id"] == run.id
    assert set(exported["metrics"]) == set(logged)
    for name, values in logged.items():
        points = exported["metrics"][name]
        assert [point["step"] for point in points] == [0, 10, 20, 30]
        assert [point["value"] for point in points] == [expected(value) for value in values]
    assert list(target.parent.iterdir()) == [target]  # no partial file left behind


def test_export_without_a_format_writes_csv(sdk_env: SdkEnvironment) -> None:
    run = wavedb.init(project="export", id="csv-by-default")
    run.log({"loss": 0.5}, step=3)
    run.finish()
    sdk_env.wait_for_points(run.id, "loss", 1)

    exported = wavedb_cli("export", "csv-by-default")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(row["run_id"], row["name"], row["step"], row["value"]) for row in rows] == [
        (run.id, "loss", "3", "0.5")
    ]


def test_export_wide_writes_a_row_per_step_and_a_column_per_metric(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    run = wavedb.init(project="export")
    run.log({"loss": 0.5, "acc": 0.25}, step=1)
    run.log({"loss": math.inf}, step=2)
    run.finish()
    sdk_env.wait_for_points(run.id, "loss", 2)
    sdk_env.wait_for_points(run.id, "acc", 1)
    target = tmp_path / "wide.csv"

    exported = wavedb_cli("export", run.id, "--wide", "-o", str(target))

    assert exported.exit_code == 0, exported.output
    assert target.read_text().splitlines() == ["step,acc,loss", "1,0.25,0.5", "2,,Infinity"]


def test_export_needs_at_most_one_format_and_an_existing_run(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    run_id = str(uuid.uuid4())
    both_formats = wavedb_cli("export", run_id, "--csv", "--json")
    assert both_formats.exit_code == 2
    assert "give one of them" in both_formats.stderr
    target = tmp_path / "missing.csv"
    missing = wavedb_cli("export", run_id, "--csv", "-o", str(target))
    assert missing.exit_code == 1
    assert "not found" in missing.stderr
    assert list(tmp_path.iterdir()) == []  # no file, not even an empty one


# ---------------------------------------------------------------- sync


def test_sync_sends_offline_runs_once(sdk_env: SdkEnvironment) -> None:
    run = wavedb.init(project="offline", name="on-a-plane", mode="offline")
    for step in range(5):
        run.log({"loss": 1 / (step + 1)})
    run.finish()
    assert sdk_env.client.workspaces()  # the account exists; the run does not yet

    synced = wavedb_cli("sync")
    assert synced.exit_code == 0, synced.output
    assert "5 point(s)" in synced.stdout
    points = sdk_env.wait_for_points(run.id, "loss", 5)
    assert [point["value"] for point in points] == [1 / (step + 1) for step in range(5)]
    assert sdk_env.client.get_run(run.id)["name"] == "on-a-plane"

    again = wavedb_cli("sync", str(sdk_env.runs_dir))
    assert again.exit_code == 0, again.output
    assert "Sent 0 item(s) with 0 point(s)" in again.stdout
    assert len(list(sdk_env.client.series(run.id, "loss"))) == 5


def test_sync_without_arguments_and_nothing_on_disk_says_so_and_exits_0(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not sdk_env.runs_dir.exists()
    monkeypatch.delenv("WAVEDB_API_KEY")  # nothing to send needs no key either

    result = wavedb_cli("sync")
    assert result.exit_code == 0, result.output
    assert "Nothing to sync" in result.stdout
    assert str(sdk_env.runs_dir) in result.stdout


def test_sync_of_a_folder_without_runs_fails_with_a_message(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    stray = tmp_path / "stray.txt"
    stray.write_text("not a run")
    result = wavedb_cli("sync", str(stray))
    assert result.exit_code == 1
    assert "not a run directory" in result.stderr


# ---------------------------------------------------------------- the installed command


def test_the_console_script_runs_as_installed(sdk_env: SdkEnvironment) -> None:
    run_id = log_run("installed", "from-a-shell", [0.5], tags=[])
    answer = installed_wavedb("runs", "ls", "--project", "installed", "--json")
    assert answer.returncode == 0, answer.stderr
    assert [run["id"] for run in json.loads(answer.stdout)] == [run_id]
    usage = installed_wavedb("runs", "ls", "--limit", "0")
    assert usage.returncode == 2
    assert "--limit" in usage.stderr
