"""A function on SnapStart: its hooks run before the snapshot and after a restore, and the
restored function serves requests with its own connection, settings and randomness."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator
from types import ModuleType

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import REPOSITORY, reset_cached_settings
from tests.security.objects import OwnedObjects, make_objects
from tests.support.accounts import sign_up
from tests.template.cfn import load_template
from wavedb_core import snapstart
from wavedb_local.stack import LocalStack

Hook = Callable[[], None]

# One reading route of each function on SnapStart, answered after a restore.
READ_AFTER_RESTORE = {
    "HealthFunction": "GET /health",
    "AuthFunction": "GET /v1/me",
    "ApiKeysFunction": "GET /v1/api-keys",
    "WorkspacesFunction": "GET /v1/workspaces",
    "ProjectsFunction": "GET /v1/projects/{project_id}",
    "RunsFunction": "GET /v1/runs/{run_id}",
    "MetricsFunction": "GET /v1/runs/{run_id}/metrics",
    "ExportsFunction": "GET /v1/exports/{export_id}",
    "MediaFunction": "GET /v1/runs/{run_id}/media",
    "ToraFunction": "GET /workspaces",
    "WaveDBCompatFunction": "GET /user",
}


class FakeRuntime:
    """What Lambda's `snapshot_restore_py` does: keep the hooks and run them in order."""

    def __init__(self) -> None:
        self.before: list[Hook] = []
        self.after: list[Hook] = []

    def module(self) -> ModuleType:
        module = ModuleType("snapshot_restore_py")
        module.register_before_snapshot = self.before.append  # type: ignore[attr-defined]
        module.register_after_restore = self.after.append  # type: ignore[attr-defined]
        return module

    def snapshot(self) -> None:
        for hook in self.before:
            hook()

    def restore(self) -> None:
        for hook in self.after:
            hook()


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRuntime]:
    fake = FakeRuntime()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake.module())
    monkeypatch.setattr(snapstart, "_registered", False)
    yield fake
    monkeypatch.undo()
    reset_cached_settings()


def _function_connections(database_url: str) -> list[str]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT application_name FROM pg_stat_activity"
            " WHERE application_name LIKE 'wavedb-%' AND pid <> pg_backend_pid()"
        ).fetchall()
    return sorted(str(row[0]) for row in rows)


def test_snapstart_hooks_registered_with_the_runtime(runtime: FakeRuntime) -> None:
    assert snapstart.register_hooks()
    assert snapstart.register_hooks()  # once only

    assert runtime.before == [snapstart.before_snapshot]
    assert runtime.after == [snapstart.after_restore]


def test_snapstart_without_runtime_registers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    monkeypatch.setattr(snapstart, "_registered", False)

    assert not snapstart.register_hooks()


def test_snapstart_restored_function_serves_with_new_connection_and_settings(
    api: TestClient,
    clean_database: str,
    runtime: FakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert snapstart.register_hooks()
    user = sign_up(api)
    assert api.get("/api/workspaces", headers=user.bearer).status_code == 200
    assert _function_connections(clean_database), "the functions hold connections"

    random.seed(0)
    runtime.snapshot()
    assert _function_connections(clean_database) == []
    monkeypatch.setenv("STAGE", "restored")
    runtime.restore()

    assert random.random() != random.Random(0).random()
    response = api.get("/api/workspaces", headers=user.bearer)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == 200
    assert [item["name"] for item in response.json()["data"]]
    assert "wavedb-restored" in _function_connections(clean_database)


def _functions_on_snapstart() -> set[str]:
    resources = load_template(REPOSITORY / "template.yaml")["Resources"]
    return {name for name, resource in resources.items() if "SnapStart" in resource["Properties"]}


def test_snapstart_every_function_on_it_serves_its_route_after_a_restore(
    api: TestClient,
    local_stack: LocalStack,
    clean_database: str,
    runtime: FakeRuntime,
) -> None:
    assert set(READ_AFTER_RESTORE) == _functions_on_snapstart()
    assert local_stack.model is not None
    served_by = {route.route_key: route.function_id for route in local_stack.model.routes}
    assert {served_by[route] for route in READ_AFTER_RESTORE.values()} == set(READ_AFTER_RESTORE)
    assert snapstart.register_hooks()
    objects: OwnedObjects = make_objects(api, sign_up(api))

    runtime.snapshot()
    assert _function_connections(clean_database) == []
    runtime.restore()

    for function, route in READ_AFTER_RESTORE.items():
        path = route.split(" ", 1)[1].format(**objects.path_values())
        response = api.get(path, headers=objects.owner.bearer)
        assert response.status_code == 200, f"{function}: {route}: {response.text}"
