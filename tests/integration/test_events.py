"""Every file in events/ invoked through its function's handler, as `sam local invoke -e`
and `make invoke` do, with the answer a user of that event should see."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.support import (
    event_files,
    event_rows_exports,
    event_rows_media,
    event_rows_metrics,
    event_rows_runs,
    event_rows_workspaces,
)
from wavedb_core.services.passwords import hash_password
from wavedb_local.stack import LocalStack

Invoke = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Expected:
    function: str
    status: int | None = None  # HTTP status, for API Gateway events
    check: Callable[[Any], bool] = lambda _: True
    # Rows the event refers to, inserted (given the database URL) after the events' account.
    setup: Callable[[str], None] | None = None
    # Objects the event refers to, put into the stack's bucket after the rows.
    objects: Callable[[LocalStack], None] | None = None
    # What the event leaves in the database (given its URL), checked after the answer.
    effect: Callable[[str], bool] | None = None
    # The keys every error body of this function carries (compatibility routes differ).
    error_keys: frozenset[str] = frozenset({"code", "message"})


def _lists_one_item(function: str, setup: Callable[[str], None]) -> Expected:
    """A list read that answers 200 with the one item `setup` made."""
    return Expected(function, 200, check=event_files.lists_one_item, setup=setup)


def _reads_the_run_with_points(check: Callable[[Any], bool]) -> Expected:
    """A read of the events' run with its loss curve that answers 200, the body passing `check`."""
    return Expected("MetricsFunction", 200, check=check, setup=event_rows_metrics.run_with_points)


def _wavedb(status: int, **expected: Any) -> Expected:
    """An event of the WaveDB compatibility routes, whose error bodies carry only a message."""
    return Expected("WaveDBCompatFunction", status, error_keys=frozenset({"message"}), **expected)


def _unauthenticated(reason: str) -> Callable[[Any], bool]:
    def check(answer: Any) -> bool:
        context = answer["context"]
        return bool(
            answer["isAuthorized"] is True
            and context["authenticated"] is False
            and context["failureCode"] == reason
        )

    return check


EXPECTED: dict[str, Expected] = {
    "health_get.json": Expected("HealthFunction", 200),
    "auth_signup.json": Expected("AuthFunction", 201),
    "auth_login.json": Expected("AuthFunction", 200),
    "auth_refresh.json": Expected("AuthFunction", 401),  # a token nobody was given
    "auth_confirm_email.json": Expected("AuthFunction", 401),
    "auth_logout.json": Expected("AuthFunction", 200),
    "auth_me.json": Expected("AuthFunction", 200),
    "api_keys_create.json": Expected("ApiKeysFunction", 201),
    "api_keys_list.json": Expected("ApiKeysFunction", 200),
    "api_keys_revoke.json": Expected("ApiKeysFunction", 404),  # no such key
    "authorizer_bearer.json": Expected(
        "AuthorizerFunction", check=_unauthenticated("invalid_token")
    ),
    "authorizer_api_key.json": Expected(
        "AuthorizerFunction", check=_unauthenticated("invalid_api_key")
    ),
    "authorizer_no_credentials.json": Expected(
        "AuthorizerFunction", check=_unauthenticated("missing_credentials")
    ),
    "migrate.json": Expected(
        "MigrateFunction",
        check=lambda answer: (
            answer
            == {
                "applied": [],
                "converted_series": 0,
                "converted_points": 0,
                "series_left": 0,
                "more_to_do": False,
            }
        ),
    ),
    "workspaces_create.json": Expected("WorkspacesFunction", 201),
    "workspaces_list.json": _lists_one_item(
        "WorkspacesFunction", event_rows_workspaces.team_workspace
    ),
    "workspaces_get.json": Expected(
        "WorkspacesFunction", 200, setup=event_rows_workspaces.team_workspace
    ),
    "workspaces_members_list.json": _lists_one_item(
        "WorkspacesFunction", event_rows_workspaces.team_workspace
    ),
    "workspaces_invite.json": Expected(
        "WorkspacesFunction", 201, setup=event_rows_workspaces.team_workspace
    ),
    "workspaces_invitations_mine.json": _lists_one_item(
        "WorkspacesFunction", event_rows_workspaces.invitation_to_the_events_user
    ),
    "projects_create.json": Expected(
        "ProjectsFunction", 201, setup=event_rows_workspaces.team_workspace
    ),
    "projects_list.json": _lists_one_item(
        "ProjectsFunction", event_rows_workspaces.team_workspace_with_project
    ),
    "projects_get.json": Expected(
        "ProjectsFunction", 200, setup=event_rows_workspaces.team_workspace_with_project
    ),
    "projects_layout_get.json": Expected(
        "ProjectsFunction", 200, setup=event_rows_workspaces.team_workspace_with_project
    ),
    "projects_layout_save.json": Expected(
        "ProjectsFunction",
        200,
        check=lambda answer: (
            [panel["id"] for panel in json.loads(answer["body"])["panels"]]
            == ["losses", "accuracy"]
        ),
        setup=event_rows_workspaces.team_workspace_with_project,
    ),
    "runs_create.json": Expected("RunsFunction", 201, setup=event_rows_runs.project),
    "runs_list_project.json": _lists_one_item("RunsFunction", event_rows_runs.project_with_run),
    "runs_list.json": _lists_one_item("RunsFunction", event_rows_runs.project_with_run),
    "runs_get.json": Expected("RunsFunction", 200, setup=event_rows_runs.project_with_run),
    "runs_batch_get.json": _lists_one_item("RunsFunction", event_rows_runs.project_with_run),
    "runs_update.json": Expected("RunsFunction", 200, setup=event_rows_runs.project_with_run),
    "runs_heartbeat.json": Expected("RunsFunction", 200, setup=event_rows_runs.project_with_run),
    "runs_delete.json": Expected("RunsFunction", 204, setup=event_rows_runs.project_with_run),
    "run_monitor_schedule.json": Expected(
        "RunMonitorFunction",
        check=event_rows_runs.marked_one_crashed,
        setup=event_rows_runs.project_with_silent_run,
    ),
    "metrics_submit.json": Expected("MetricsFunction", 202, setup=event_rows_runs.project_with_run),
    "metrics_list.json": _reads_the_run_with_points(event_rows_metrics.lists_items),
    "metrics_series.json": _reads_the_run_with_points(event_rows_metrics.has_buckets),
    "metrics_series_raw.json": _reads_the_run_with_points(event_rows_metrics.lists_items),
    "metrics_series_columns.json": _reads_the_run_with_points(event_rows_metrics.has_point_columns),
    "metrics_compare.json": _reads_the_run_with_points(event_rows_metrics.compares_two_runs),
    "metrics_export_csv.json": _reads_the_run_with_points(event_rows_metrics.is_csv),
    "metrics_results_record.json": Expected(
        "MetricsFunction",
        200,
        check=event_rows_metrics.lists_items,
        setup=event_rows_runs.project_with_run,
    ),
    "metrics_results_list.json": Expected(
        "MetricsFunction", 200, setup=event_rows_runs.project_with_run
    ),
    "metrics_batch_status.json": Expected(
        "MetricsFunction", 200, setup=event_rows_metrics.queued_batch
    ),
    "ingest_worker_batch.json": Expected(
        "IngestWorkerFunction",
        check=event_rows_metrics.no_failures,
        setup=event_rows_metrics.queued_batch,
    ),
    "exports_create_run.json": Expected(
        "ExportsFunction",
        202,
        check=event_rows_exports.is_queued_job,
        setup=event_rows_metrics.run_with_points,
    ),
    "exports_get.json": Expected(
        "ExportsFunction",
        200,
        check=event_rows_exports.is_queued_job,
        setup=event_rows_exports.queued_job,
    ),
    "export_worker_job.json": Expected(
        "ExportWorkerFunction",
        check=event_rows_metrics.no_failures,
        setup=event_rows_exports.queued_job,
        effect=event_rows_exports.job_is_done,
    ),
    "media_create.json": Expected(
        "MediaFunction",
        201,
        check=event_rows_media.grants_an_upload,
        setup=event_rows_runs.project_with_run,
    ),
    "media_create_histogram.json": Expected(
        "MediaFunction",
        201,
        check=event_rows_media.stores_a_histogram,
        setup=event_rows_runs.project_with_run,
    ),
    "media_list.json": Expected(
        "MediaFunction",
        200,
        check=event_rows_media.lists_the_ready_image,
        setup=event_rows_media.ready_image,
    ),
    "media_names.json": Expected(
        "MediaFunction",
        200,
        check=event_rows_media.names_the_samples,
        setup=event_rows_media.ready_image,
    ),
    "media_get.json": Expected(
        "MediaFunction",
        200,
        check=event_rows_media.is_the_ready_image,
        setup=event_rows_media.ready_image,
    ),
    "media_delete.json": Expected("MediaFunction", 204, setup=event_rows_media.ready_image),
    "media_worker_notification.json": Expected(
        "MediaWorkerFunction",
        check=event_rows_metrics.no_failures,
        setup=event_rows_media.pending_image,
        objects=event_rows_media.uploaded_object,
        effect=event_rows_media.image_became_ready,
    ),
    "media_janitor_schedule.json": Expected(
        "MediaJanitorFunction",
        check=event_rows_media.abandoned_one_grant,
        setup=event_rows_media.abandoned_image,
        effect=event_rows_media.image_was_rejected,
    ),
    "tora_signup.json": Expected("ToraFunction", 200),
    "tora_login.json": Expected("ToraFunction", 200),
    "tora_workspace_roles.json": Expected("ToraFunction", 200),
    "tora_experiments_create.json": Expected("ToraFunction", 201),
    "tora_experiments_list.json": Expected("ToraFunction", 200),
    # An experiment nobody created: Tora's 404 body.
    "tora_logs_batch.json": Expected(
        "ToraFunction", 404, error_keys=frozenset({"status", "error", "message"})
    ),
    # The authorizer refused the x-api-key: Tora's 401 body.
    "tora_unauthenticated.json": Expected(
        "ToraFunction", 401, error_keys=frozenset({"status", "data"})
    ),
    "wavedb_register.json": _wavedb(200),
    "wavedb_user.json": _wavedb(200),
    "wavedb_project_list.json": _wavedb(200),
    # A runner nobody created: WaveDB's 404 body.
    "wavedb_metric_list.json": _wavedb(
        404,
        check=lambda answer: (
            json.loads(answer["body"])
            == {
                "name": "NotFound",
                "message": "runner not found",
            }
        ),
    ),
    "wavedb_metric_image.json": _wavedb(
        200, check=event_rows_media.logged_an_image, setup=event_rows_runs.project_with_run
    ),
}


@pytest.fixture
def account_of_the_events(clean_database: str) -> None:
    """The user and session that the sample events speak for (except the sign-up one)."""
    context = event_files.event("auth_me.json")["requestContext"]["authorizer"]["lambda"]
    login = json.loads(event_files.event("auth_login.json")["body"])
    with psycopg.connect(clean_database) as connection:
        connection.execute(
            "INSERT INTO users (id, email, name, password_hash, email_confirmed_at)"
            " VALUES (%s, %s, 'Ada', %s, now())",
            (context["userId"], login["email"], hash_password(login["password"])),
        )
        connection.execute(
            "INSERT INTO auth_sessions (id, user_id, expires_at) VALUES (%s, %s, %s)",
            (context["sessionId"], context["userId"], datetime.now(UTC) + timedelta(days=1)),
        )


def test_events_folder_has_an_expectation_for_every_file() -> None:
    assert sorted(path.name for path in event_files.EVENTS.glob("*.json")) == sorted(EXPECTED)


def test_events_folder_exercises_every_function(local_stack: LocalStack) -> None:
    assert local_stack.model is not None
    assert {expected.function for expected in EXPECTED.values()} == set(local_stack.model.functions)


@pytest.mark.parametrize("name", sorted(name for name in EXPECTED if name != "auth_signup.json"))
def test_event_file_invoked_through_its_handler_gives_expected_answer(
    name: str, invoke: Invoke, local_stack: LocalStack, account_of_the_events: None
) -> None:
    expected = EXPECTED[name]
    event = event_files.event(name)
    _assert_routed_to(local_stack, event, expected.function)

    if expected.setup is not None:
        expected.setup(local_stack.environment["DATABASE_URL"])
    if expected.objects is not None:
        expected.objects(local_stack)

    answer = invoke(expected.function, event)

    if expected.status is not None:
        assert answer["statusCode"] == expected.status, answer
        if expected.status >= 400:  # success bodies may be other than JSON (CSV)
            body = json.loads(answer["body"]) if answer.get("body") else None
            assert isinstance(body, dict)
            assert set(body) >= expected.error_keys
    assert expected.check(answer), answer
    if expected.effect is not None:
        assert expected.effect(local_stack.environment["DATABASE_URL"]), name


def test_signup_event_creates_the_account(invoke: Invoke, clean_database: str) -> None:
    answer = invoke("AuthFunction", event_files.event("auth_signup.json"))

    assert answer["statusCode"] == 201
    body = json.loads(answer["body"])
    assert body["user"]["email"] == "ada@example.com"
    uuid.UUID(body["user"]["id"])


def _assert_routed_to(stack: LocalStack, event: dict[str, Any], function: str) -> None:
    """An API Gateway event's route key is the template's route of that very function."""
    assert stack.model is not None
    route_key = event.get("routeKey")
    if route_key is None or event.get("type") == "REQUEST":
        return
    owners = {route.function_id for route in stack.model.routes if route.route_key == route_key}
    assert owners == {function}
