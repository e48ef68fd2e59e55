"""The original WaveDB routes at the root: answer shapes, error shapes, access and metric
reads, as shared/compat/wavedb.md describes them."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.conftest import REPOSITORY
from tests.support.ingest import add_member, drain_ingest_queue, seed_run
from tests.support.media import (
    jpeg_bytes,
    media_count,
    png_bytes,
    png_of_exact_size,
    purge_media_queue,
)
from tests.support.projects import make_project
from wavedb_core.models.runs import RUN_STATUSES
from wavedb_local.stack import LocalStack

from wavedb_api.media import MAX_IMAGE_REQUEST_BYTES, MAX_IMAGE_UPLOAD_BYTES
from wavedb_api.tracking import RUNNER_STATUSES

# Not the original document's "secure123": our password rules refuse it as too common.
PASSWORD = "violet tractor juggles seventeen pancakes"
UNAUTHORIZED = {"message": "unauthorized"}


@pytest.fixture(autouse=True)
def _no_points_left_queued(local_stack: LocalStack) -> Iterator[None]:
    """Points a test logged without reading them back are written before the next test;
    the bucket's notifications of stored images (ready already) are dropped."""
    yield
    drain_ingest_queue(local_stack)
    purge_media_queue(local_stack)


@dataclass(frozen=True)
class WaveDBUser:
    id: str
    email: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register(api: TestClient, **fields: Any) -> Any:
    body = {"username": "researcher", "email": _email(), "password": PASSWORD, **fields}
    return api.post("/auth/register", json=body)


def log_in(api: TestClient, email: str, password: str = PASSWORD) -> Any:
    return api.post("/auth/login", json={"email": email, "password": password})


def wavedb_user(api: TestClient) -> WaveDBUser:
    registered = register(api)
    assert registered.status_code == 200, registered.text
    data = registered.json()["data"]
    logged_in = log_in(api, data["email"])
    assert logged_in.status_code == 200, logged_in.text
    return WaveDBUser(
        id=data["id"], email=data["email"], token=logged_in.json()["data"]["access_token"]
    )


def create_project(api: TestClient, user: WaveDBUser, name: str = "vision") -> dict[str, Any]:
    response = api.post("/project/create", json={"name": name}, headers=user.bearer)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def create_runner(
    api: TestClient, user: WaveDBUser, project_id: str | None = None
) -> dict[str, Any]:
    project_id = project_id or create_project(api, user)["id"]
    response = api.post(
        "/runner/create",
        json={"name": "resnet50-run-1", "projectId": project_id, "config": {"lr": 0.001}},
        headers=user.bearer,
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def log_scalar(api: TestClient, user: WaveDBUser, runner_id: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "loss", "value": 0.5, "step": 1, **fields}
    response = api.post(f"/metric/scalar/{runner_id}", json=body, headers=user.bearer)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def log_scalars_at_steps(
    api: TestClient,
    local_stack: LocalStack,
    user: WaveDBUser,
    runner_id: str,
    steps: Iterable[int],
) -> None:
    """Log a scalar at each of `steps`, in that order (so their times increase), and write
    them from the ingest queue."""
    for step in steps:
        log_scalar(api, user, runner_id, step=step)
    drain_ingest_queue(local_stack)


def list_metrics(api: TestClient, user: WaveDBUser, runner_id: str, query: str = "") -> Any:
    return api.get(f"/metric/{runner_id}{query}", headers=user.bearer)


def steps_by_page_of_two(
    api: TestClient, user: WaveDBUser, runner_id: str, query: str = ""
) -> list[list[int]]:
    """The steps on each page of two metrics ordered by step, at offsets 0, 2, 4 and 6;
    `query` adds filters (`&type=IMAGE`)."""
    return [
        [
            metric["step"]
            for metric in list_metrics(
                api, user, runner_id, f"?orderBy=step&limit=2&offset={offset}{query}"
            ).json()["data"]
        ]
        for offset in (0, 2, 4, 6)
    ]


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((REPOSITORY / "events" / name).read_text())
    return event


def _email() -> str:
    return f"researcher-{uuid.uuid4().hex[:10]}@example.com"


def _reason_names(response: Any) -> list[str]:
    body = response.json()
    assert body["name"] == "ValidationError"
    assert body["message"] == "validation failed"
    assert all(set(reason) == {"name", "message"} for reason in body["reasons"])
    return [reason["name"] for reason in body["reasons"]]


# ---------------------------------------------------------------- register and log in


def test_register_with_username_answers_the_user_without_password(api: TestClient) -> None:
    email = _email()

    response = register(api, email=email)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"message", "data"}
    assert set(body["data"]) == {"id", "name", "email"}
    assert body["data"]["name"] == "researcher"
    assert body["data"]["email"] == email
    uuid.UUID(body["data"]["id"])
    assert PASSWORD not in response.text


def test_register_with_name_instead_of_username_uses_that_name(api: TestClient) -> None:
    response = api.post(
        "/auth/register", json={"name": "Grace", "email": _email(), "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Grace"


def test_register_without_name_or_username_gives_validation_error(api: TestClient) -> None:
    response = api.post("/auth/register", json={"email": _email(), "password": PASSWORD})

    assert response.status_code == 400
    assert _reason_names(response) == ["name"]


@pytest.mark.parametrize("password", ["abc12", "abc1234"])
def test_register_short_password_gives_validation_error_on_password(
    api: TestClient, password: str
) -> None:
    # Below WaveDB's 6 (refused by the route) and below our 8 (refused by the service).
    response = register(api, password=password)

    assert response.status_code == 400
    assert _reason_names(response) == ["password"]
    assert password not in response.text


def test_register_bad_email_and_unknown_field_name_each_field(api: TestClient) -> None:
    response = register(api, email="not-an-email", role="admin")

    assert response.status_code == 400
    assert sorted(_reason_names(response)) == ["email", "role"]


def test_register_malformed_json_gives_validation_error(api: TestClient) -> None:
    response = api.post(
        "/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert _reason_names(response) == ["body"]


def test_register_taken_email_gives_conflict_message(api: TestClient) -> None:
    email = _email()
    register(api, email=email)

    response = register(api, email=email)

    assert response.status_code == 409
    assert set(response.json()) == {"name", "message"}


def test_login_valid_credentials_answers_only_an_access_token(api: TestClient) -> None:
    email = register(api).json()["data"]["email"]

    response = log_in(api, email)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"message", "data"}
    assert set(body["data"]) == {"access_token"}


@pytest.mark.parametrize("wrong", ["password", "email"])
def test_login_bad_credentials_gives_401_invalid_email_or_password(
    api: TestClient, wrong: str
) -> None:
    email = register(api).json()["data"]["email"]

    if wrong == "password":
        response = log_in(api, email, "wrong-password")
    else:
        response = log_in(api, _email())

    assert response.status_code == 401
    assert response.json() == {"message": "Invalid email or password"}


# ---------------------------------------------------------------- authentication


# Fixed ids: parametrised test names must be the same in every collecting process.
UNKNOWN_PROJECT = "5d1c6b8e-7f4a-4c3e-9b2d-0a1e2f3b4c5d"
UNKNOWN_RUNNER = "8a7b6c5d-4e3f-4a1b-8c9d-0e1f2a3b4c5d"

PROTECTED_ROUTES = [
    ("POST", "/project/create", {"name": "p"}),
    ("GET", "/project/list", None),
    ("POST", "/runner/create", {"name": "r", "projectId": UNKNOWN_PROJECT}),
    ("GET", f"/runner/{UNKNOWN_RUNNER}", None),
    ("POST", f"/metric/scalar/{UNKNOWN_RUNNER}", {"name": "loss", "value": 1, "step": 0}),
    ("POST", f"/metric/image/{UNKNOWN_PROJECT}/{UNKNOWN_RUNNER}", None),
    ("GET", f"/metric/{UNKNOWN_RUNNER}", None),
    ("GET", "/user", None),
    ("POST", "/user/api-key", {"name": "k"}),
]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED_ROUTES)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"x-api-key": "wdk_nothing"}],
    ids=["none", "bad-bearer", "bad-key"],
)
def test_protected_route_without_valid_credentials_gives_401_unauthorized(
    api: TestClient, method: str, path: str, body: Any, headers: dict[str, str]
) -> None:
    response = api.request(method, path, json=body, headers=headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_api_key_from_user_route_works_as_x_api_key(api: TestClient) -> None:
    user = wavedb_user(api)
    created = api.post("/user/api-key", json={"name": "ci"}, headers=user.bearer)
    assert created.status_code == 200, created.text
    record = created.json()["data"]
    key = {"x-api-key": record["key"]}

    project = api.post("/project/create", json={"name": "by key"}, headers=key)
    runner = api.post(
        "/runner/create",
        json={"name": "r1", "projectId": project.json()["data"]["id"]},
        headers=key,
    )
    metric = api.post(
        f"/metric/scalar/{runner.json()['data']['id']}",
        json={"name": "loss", "value": 1.5, "step": 0},
        headers=key,
    )

    assert record["userId"] == user.id
    assert record["name"] == "ci"
    assert {"id", "key", "createdAt", "expiresAt", "permissions"} <= set(record)
    assert (project.status_code, runner.status_code, metric.status_code) == (200, 201, 200)
    assert api.get("/user", headers=key).json()["data"]["id"] == user.id


def test_api_key_route_with_an_api_key_is_refused(api: TestClient) -> None:
    user = wavedb_user(api)
    key = api.post("/user/api-key", json={"name": "ci"}, headers=user.bearer).json()["data"]

    response = api.post("/user/api-key", json={"name": "more"}, headers={"x-api-key": key["key"]})

    assert response.status_code == 403
    assert set(response.json()) == {"name", "message"}


# ---------------------------------------------------------------- user


def test_user_profile_answers_the_callers_profile(api: TestClient) -> None:
    user = wavedb_user(api)

    response = api.get("/user", headers=user.bearer)

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"id", "name", "email", "emailVerified", "image", "createdAt"}
    assert (data["id"], data["email"], data["name"]) == (user.id, user.email, "researcher")
    assert data["emailVerified"] is False  # signing up proves no address
    assert data["image"] is None


def test_user_profile_with_trailing_slash_answers_the_profile(api: TestClient) -> None:
    # API Gateway routes `GET /user/` to the `GET /user` route (a route cannot end in `/`).
    user = wavedb_user(api)

    response = api.get("/user/", headers=user.bearer)

    assert response.status_code == 200
    assert response.json()["data"]["id"] == user.id


# ---------------------------------------------------------------- projects


def test_project_create_answers_id_name_and_description(api: TestClient) -> None:
    user = wavedb_user(api)

    response = api.post(
        "/project/create",
        json={"name": "Image Classification", "description": "ResNet variants"},
        headers=user.bearer,
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"id", "name", "description"}
    assert (data["name"], data["description"]) == ("Image Classification", "ResNet variants")


def test_project_create_without_name_gives_validation_error(api: TestClient) -> None:
    user = wavedb_user(api)

    response = api.post("/project/create", json={"description": "x"}, headers=user.bearer)

    assert response.status_code == 400
    assert _reason_names(response) == ["name"]


def test_project_create_taken_name_gives_conflict(api: TestClient) -> None:
    user = wavedb_user(api)
    create_project(api, user, "same")

    response = api.post("/project/create", json={"name": "same"}, headers=user.bearer)

    assert response.status_code == 409
    assert response.json()["name"] == "Conflict"


def test_project_list_answers_only_the_callers_projects(api: TestClient) -> None:
    user, other = wavedb_user(api), wavedb_user(api)
    mine = create_project(api, user, "mine")
    create_project(api, other, "theirs")

    response = api.get("/project/list", headers=user.bearer)

    assert response.status_code == 200
    data = response.json()["data"]
    assert [project["id"] for project in data] == [mine["id"]]
    assert set(data[0]) == {"id", "name", "description", "createdAt", "updatedAt", "userId"}
    assert data[0]["userId"] == user.id


# ---------------------------------------------------------------- runners


def test_runner_create_answers_201_with_running_status_and_config(api: TestClient) -> None:
    user = wavedb_user(api)
    project = create_project(api, user)

    response = api.post(
        "/runner/create",
        json={"name": "run-1", "projectId": project["id"], "config": {"batch_size": 32}},
        headers=user.bearer,
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == {"id", "name", "status", "projectId", "config"}
    assert data["status"] == "RUNNING"
    assert (data["projectId"], data["config"]) == (project["id"], {"batch_size": 32})


def test_runner_create_without_config_answers_empty_config(api: TestClient) -> None:
    user = wavedb_user(api)
    project = create_project(api, user)

    response = api.post(
        "/runner/create", json={"name": "run-1", "projectId": project["id"]}, headers=user.bearer
    )

    assert response.status_code == 201
    assert response.json()["data"]["config"] == {}


def test_runner_create_missing_fields_name_each_field(api: TestClient) -> None:
    user = wavedb_user(api)

    response = api.post("/runner/create", json={"config": []}, headers=user.bearer)

    assert response.status_code == 400
    assert sorted(_reason_names(response)) == ["config", "name", "projectId"]


@pytest.mark.parametrize("project_id", ["not-a-uuid", UNKNOWN_PROJECT])
def test_runner_create_in_unknown_project_gives_404(api: TestClient, project_id: str) -> None:
    user = wavedb_user(api)

    response = api.post(
        "/runner/create", json={"name": "r", "projectId": project_id}, headers=user.bearer
    )

    assert response.status_code == 404
    assert response.json()["message"] == "project not found"


def test_runner_create_in_another_users_project_gives_404(api: TestClient) -> None:
    user, other = wavedb_user(api), wavedb_user(api)
    theirs = create_project(api, other)

    response = api.post(
        "/runner/create", json={"name": "r", "projectId": theirs["id"]}, headers=user.bearer
    )

    assert response.status_code == 404
    assert response.json() == {"name": "NotFound", "message": "project not found"}


def test_runner_create_as_workspace_viewer_gives_403(api: TestClient, clean_database: str) -> None:
    user = wavedb_user(api)
    _, project_id = make_project(clean_database, user.id, role="viewer")

    response = api.post(
        "/runner/create", json={"name": "r", "projectId": project_id}, headers=user.bearer
    )

    assert response.status_code == 403
    assert response.json()["name"] == "Forbidden"


def test_runner_get_answers_details(api: TestClient) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = api.get(f"/runner/{runner['id']}", headers=user.bearer)

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"id", "name", "status", "projectId", "config", "startedAt", "endedAt"}
    assert data["id"] == runner["id"]
    assert data["status"] == "RUNNING"
    assert data["config"] == {"lr": 0.001}
    assert data["startedAt"] is not None
    assert data["endedAt"] is None


@pytest.mark.parametrize("whose", ["another user's", "malformed", "unknown"])
def test_runner_get_not_visible_gives_404(api: TestClient, whose: str) -> None:
    user, other = wavedb_user(api), wavedb_user(api)
    runner_id = {
        "another user's": create_runner(api, other)["id"],
        "malformed": "clx0runner",
        "unknown": str(uuid.uuid4()),
    }[whose]

    response = api.get(f"/runner/{runner_id}", headers=user.bearer)

    assert response.status_code == 404
    assert response.json() == {"name": "NotFound", "message": "runner not found"}


def test_runner_statuses_map_every_status_of_ours() -> None:
    assert set(RUNNER_STATUSES) == RUN_STATUSES
    assert RUNNER_STATUSES["finished"] == "COMPLETED"
    assert RUNNER_STATUSES["crashed"] == "FAILED"


# ---------------------------------------------------------------- metrics


def test_metric_scalar_answers_the_runner_metric(api: TestClient) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = api.post(
        f"/metric/scalar/{runner['id']}",
        json={"name": "loss", "value": 0.234, "step": 100, "tag": "training"},
        headers=user.bearer,
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"id", "name", "value", "step", "tag", "type", "timestamp", "runId"}
    assert (data["name"], data["value"], data["step"], data["tag"]) == (
        "loss",
        0.234,
        100,
        "training",
    )
    assert (data["type"], data["runId"]) == ("SCALAR", runner["id"])
    uuid.UUID(data["id"])


def test_metric_scalar_is_listed_with_the_same_id_after_ingest(
    api: TestClient, local_stack: LocalStack
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    logged = log_scalar(api, user, runner["id"], tag="training", value="NaN")

    drain_ingest_queue(local_stack)
    response = list_metrics(api, user, runner["id"])

    assert response.status_code == 200
    assert response.json()["data"] == [logged]
    assert logged["value"] == "NaN"


def test_metric_scalar_without_tag_is_listed_with_null_tag(
    api: TestClient, local_stack: LocalStack
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    log_scalar(api, user, runner["id"])

    drain_ingest_queue(local_stack)

    assert list_metrics(api, user, runner["id"]).json()["data"][0]["tag"] is None


def test_metric_scalar_bad_body_names_each_field(api: TestClient) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = api.post(
        f"/metric/scalar/{runner['id']}",
        json={"value": "high", "step": -1},
        headers=user.bearer,
    )

    assert response.status_code == 400
    assert sorted(_reason_names(response)) == ["name", "step", "value"]


@pytest.mark.parametrize("route", ["scalar", "list"])
def test_metric_routes_on_another_users_runner_give_404(api: TestClient, route: str) -> None:
    user, other = wavedb_user(api), wavedb_user(api)
    theirs = create_runner(api, other)

    if route == "scalar":
        response = api.post(
            f"/metric/scalar/{theirs['id']}",
            json={"name": "loss", "value": 1, "step": 0},
            headers=user.bearer,
        )
    else:
        response = list_metrics(api, user, theirs["id"])

    assert response.status_code == 404
    assert response.json() == {"name": "NotFound", "message": "runner not found"}


def test_metric_list_keeps_several_metrics_on_one_step(
    api: TestClient, local_stack: LocalStack
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    logged = [
        log_scalar(api, user, runner["id"], name="loss", value=0.5, step=7),
        log_scalar(api, user, runner["id"], name="accuracy", value=0.9, step=7),
        log_scalar(api, user, runner["id"], name="loss", value=0.4, step=7),
    ]

    drain_ingest_queue(local_stack)
    data = list_metrics(api, user, runner["id"], "?orderBy=timestamp").json()["data"]

    # Both metrics at step 7; "loss" logged twice there keeps the point logged last.
    assert data == logged[1:]


@pytest.mark.parametrize(
    ("order_by", "expected_steps"),
    [
        ("step", [1, 2, 3]),
        ("step_asc", [1, 2, 3]),
        ("step_desc", [3, 2, 1]),
        ("timestamp", [3, 1, 2]),
        ("time_asc", [3, 1, 2]),
        ("time_desc", [2, 1, 3]),
    ],
)
def test_metric_list_order_by_sorts_as_asked(
    api: TestClient, local_stack: LocalStack, order_by: str, expected_steps: list[int]
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    log_scalars_at_steps(api, local_stack, user, runner["id"], (3, 1, 2))

    response = list_metrics(api, user, runner["id"], f"?orderBy={order_by}")

    assert response.status_code == 200
    assert [metric["step"] for metric in response.json()["data"]] == expected_steps


def test_metric_list_limit_and_offset_page_through(
    api: TestClient, local_stack: LocalStack
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    log_scalars_at_steps(api, local_stack, user, runner["id"], range(5))

    pages = steps_by_page_of_two(api, user, runner["id"])

    assert pages == [[0, 1], [2, 3], [4], []]


def test_metric_list_without_limit_answers_at_most_100(
    api: TestClient, local_stack: LocalStack
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    log_scalars_at_steps(api, local_stack, user, runner["id"], range(101))

    data = list_metrics(api, user, runner["id"], "?orderBy=step").json()["data"]

    assert [metric["step"] for metric in data] == list(range(100))


@pytest.mark.parametrize("limit", ["1", "5000"])
def test_metric_list_limit_within_bounds_is_accepted(api: TestClient, limit: str) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = list_metrics(api, user, runner["id"], f"?limit={limit}")

    assert response.status_code == 200
    assert response.json()["data"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=0", "limit"),
        ("?limit=5001", "limit"),
        ("?limit=ten", "limit"),
        ("?offset=-1", "offset"),
        ("?orderBy=value", "orderBy"),
        ("?type=VIDEO", "type"),
    ],
)
def test_metric_list_bad_query_gives_validation_error(
    api: TestClient, query: str, field: str
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = list_metrics(api, user, runner["id"], query)

    assert response.status_code == 400
    assert _reason_names(response) == [field]


@pytest.mark.parametrize("metric_type", ["IMAGE", "AUDIO", "TEXT"])
def test_metric_list_of_media_types_without_media_is_empty(
    api: TestClient, local_stack: LocalStack, metric_type: str
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    log_scalar(api, user, runner["id"])
    drain_ingest_queue(local_stack)

    response = list_metrics(api, user, runner["id"], f"?type={metric_type}")

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert len(list_metrics(api, user, runner["id"], "?type=SCALAR").json()["data"]) == 1


# ---------------------------------------------------------------- image metrics


RUNNER_METRIC_FIELDS = {"id", "name", "value", "step", "tag", "type", "timestamp", "runId"}


def log_image(
    api: TestClient,
    user: WaveDBUser,
    runner: dict[str, Any],
    *,
    project_id: str | None = None,
    data: bytes | None = None,
    filename: str = "confusion.png",
    content_type: str = "image/png",
    **fields: str | None,
) -> Any:
    """POST /metric/image as multipart form data; a field given as None is left out."""
    form = {"name": "confusion_matrix", "step": "100", "tag": "validation", **fields}
    image = png_bytes() if data is None else data
    return api.post(
        f"/metric/image/{project_id or runner['projectId']}/{runner['id']}",
        data={name: value for name, value in form.items() if value is not None},
        files={"value": (filename, image, content_type)},
        headers=user.bearer,
    )


def download(url: str) -> httpx.Response:
    return httpx.get(url, timeout=30, trust_env=False)


def gif_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 0)).save(buffer, "GIF")
    return buffer.getvalue()


def test_metric_image_png_answers_an_image_metric_whose_url_serves_the_bytes(
    api: TestClient,
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    image = png_bytes(64, 48)

    response = log_image(api, user, runner, data=image)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"message", "data"}
    metric = body["data"]
    assert set(metric) == RUNNER_METRIC_FIELDS | {"url"}
    assert (metric["name"], metric["step"], metric["tag"], metric["type"]) == (
        "confusion_matrix",
        100,
        "validation",
        "IMAGE",
    )
    assert metric["runId"] == runner["id"]
    assert metric["value"] == f"runs/{runner['id']}/media/{metric['id']}"
    served = download(metric["url"])
    assert served.status_code == 200
    assert served.content == image
    assert served.headers["content-type"] == "image/png"


def test_metric_image_is_listed_by_type_image_and_not_among_scalars(api: TestClient) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    image = png_bytes()
    logged = log_image(api, user, runner, data=image).json()["data"]

    images = list_metrics(api, user, runner["id"], "?type=IMAGE")
    scalars = list_metrics(api, user, runner["id"])

    assert images.status_code == 200
    [listed] = images.json()["data"]
    # The URL is presigned anew for each answer.
    assert {**listed, "url": None} == {**logged, "url": None}
    assert download(listed["url"]).content == image
    assert scalars.json()["data"] == []


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        (jpeg_bytes(), "photo.jpg", "image/jpeg"),
        (png_bytes(), "plot.png", "image/PNG; name=plot.png"),
        (png_bytes(), "plot", "application/octet-stream"),  # an untyped part: its bytes decide
        (jpeg_bytes(), "photo", "application/octet-stream"),
    ],
)
def test_metric_image_png_or_jpeg_is_stored_with_the_type_of_its_bytes(
    api: TestClient, data: bytes, filename: str, content_type: str
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = log_image(api, user, runner, data=data, filename=filename, content_type=content_type)

    assert response.status_code == 200, response.text
    served = download(response.json()["data"]["url"])
    assert served.content == data
    assert served.headers["content-type"] == (
        "image/jpeg" if data.startswith(b"\xff\xd8") else "image/png"
    )


@pytest.mark.parametrize(
    ("data", "content_type", "message_part"),
    [
        (gif_bytes(), "image/gif", "image/gif is not accepted"),
        (gif_bytes(), "application/octet-stream", "look like image/gif"),
        (b"just some text, not an image", "application/octet-stream", "no known format"),
        (b"just some text, not an image", "image/png", "the bytes are not image/png"),
        (gif_bytes(), "image/jpeg", "the bytes are not image/jpeg"),
        (png_bytes(), "text/plain", "text/plain is not accepted"),
    ],
    ids=["gif", "untyped-gif", "untyped-text", "text-as-png", "gif-as-jpeg", "png-as-text"],
)
def test_metric_image_not_png_or_jpeg_gives_validation_error_on_value_and_stores_nothing(
    api: TestClient, clean_database: str, data: bytes, content_type: str, message_part: str
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = log_image(api, user, runner, data=data, content_type=content_type)

    assert response.status_code == 400, response.text
    assert _reason_names(response) == ["value"]
    assert message_part in response.json()["reasons"][0]["message"]
    assert media_count(clean_database) == 0


def test_metric_image_value_sent_as_text_gives_validation_error_on_value(
    api: TestClient, clean_database: str
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = api.post(
        f"/metric/image/{runner['projectId']}/{runner['id']}",
        data={"name": "confusion_matrix", "step": "1", "value": "not a file"},
        files={"unrelated": ("x.txt", b"x", "text/plain")},
        headers=user.bearer,
    )

    assert response.status_code == 400
    assert _reason_names(response) == ["value"]
    assert media_count(clean_database) == 0


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"step": None}, ["step"]),
        ({"step": "ten"}, ["step"]),
        ({"step": "-1"}, ["step"]),
        ({"step": "1.5"}, ["step"]),
        ({"name": None}, ["name"]),
        ({"name": "bad name!"}, ["name"]),
        ({"name": None, "step": None}, ["name", "step"]),
        ({"tag": "t" * 257}, ["tag"]),
    ],
)
def test_metric_image_bad_form_field_gives_validation_error_naming_it(
    api: TestClient, clean_database: str, fields: dict[str, str | None], expected: list[str]
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    form = {"name": "confusion_matrix", "step": "100", "tag": "validation", **fields}

    response = log_image(api, user, runner, name=form["name"], step=form["step"], tag=form["tag"])

    assert response.status_code == 400
    assert sorted(_reason_names(response)) == expected
    assert media_count(clean_database) == 0


def test_metric_image_without_a_multipart_body_names_each_missing_field(
    api: TestClient,
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = api.post(
        f"/metric/image/{runner['projectId']}/{runner['id']}",
        json={"name": "confusion_matrix", "step": 1},
        headers=user.bearer,
    )

    assert response.status_code == 400
    assert sorted(_reason_names(response)) == ["name", "step", "value"]


def test_metric_image_without_tag_answers_null_tag(api: TestClient) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = log_image(api, user, runner, tag=None)

    assert response.status_code == 200
    assert response.json()["data"]["tag"] is None


def test_metric_image_of_exactly_the_limit_is_stored_whole(api: TestClient) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    image = png_of_exact_size(MAX_IMAGE_UPLOAD_BYTES)

    response = log_image(api, user, runner, data=image)

    assert response.status_code == 200, response.text
    assert download(response.json()["data"]["url"]).content == image


@pytest.mark.parametrize(
    "size",
    [MAX_IMAGE_UPLOAD_BYTES + 1, MAX_IMAGE_REQUEST_BYTES + 1],
    ids=["image-over-limit", "body-over-route-limit"],
)
def test_metric_image_over_the_limit_gives_413_pointing_at_presigned_uploads(
    api: TestClient, clean_database: str, size: int
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    header = png_bytes()

    response = log_image(api, user, runner, data=header + b"\0" * (size - len(header)))

    assert response.status_code == 413
    assert response.json() == {
        "name": "PayloadTooLarge",
        "message": "an image sent to this route may be at most 4 MiB (4194304 bytes);"
        " upload larger images with a presigned POST: POST /v1/runs/{runnerId}/media",
    }
    assert media_count(clean_database) == 0


def test_json_route_of_the_same_function_refuses_a_body_over_1_mib_with_413(
    api: TestClient,
) -> None:
    user = wavedb_user(api)
    body = {"name": "big", "description": "x" * (1024 * 1024)}

    response = api.post("/project/create", json=body, headers=user.bearer)

    assert response.status_code == 413
    assert response.json() == {
        "name": "PayloadTooLarge",
        "message": "the request body exceeds 1048576 bytes",
    }
    assert api.get("/project/list", headers=user.bearer).json()["data"] == []


@pytest.mark.parametrize("whose", ["another user's", "malformed", "unknown"])
def test_metric_image_on_a_runner_not_visible_gives_404(
    api: TestClient, clean_database: str, whose: str
) -> None:
    user, other = wavedb_user(api), wavedb_user(api)
    theirs = create_runner(api, other)
    runner = {
        "another user's": theirs,
        "malformed": {"id": "clx0runner", "projectId": theirs["projectId"]},
        "unknown": {"id": str(uuid.uuid4()), "projectId": theirs["projectId"]},
    }[whose]

    response = log_image(api, user, runner)

    assert response.status_code == 404
    assert response.json() == {"name": "NotFound", "message": "runner not found"}
    assert media_count(clean_database) == 0


def test_metric_image_on_a_runner_of_another_project_gives_404(
    api: TestClient, clean_database: str
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    other_project = create_project(api, user, "other")

    response = log_image(api, user, runner, project_id=other_project["id"])

    assert response.status_code == 404
    assert response.json() == {"name": "NotFound", "message": "runner not found"}
    assert media_count(clean_database) == 0


def test_metric_image_with_a_malformed_project_id_gives_404(api: TestClient) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)

    response = log_image(api, user, runner, project_id="clx0project")

    assert response.status_code == 404
    assert response.json() == {"name": "NotFound", "message": "project not found"}


def test_metric_image_as_workspace_viewer_gives_403(api: TestClient, clean_database: str) -> None:
    user, owner = wavedb_user(api), wavedb_user(api)
    run = seed_run(clean_database, owner.id)
    add_member(clean_database, run.workspace_id, user.id, "viewer")

    response = log_image(api, user, {"id": run.id, "projectId": run.project_id})

    assert response.status_code == 403
    assert response.json()["name"] == "Forbidden"
    assert media_count(clean_database) == 0


@pytest.mark.parametrize(
    ("order_by", "expected_steps"),
    [
        ("step", [1, 2, 3]),
        ("step_desc", [3, 2, 1]),
        ("timestamp", [3, 1, 2]),
        ("time_desc", [2, 1, 3]),
    ],
)
def test_metric_list_of_images_sorts_as_asked(
    api: TestClient, order_by: str, expected_steps: list[int]
) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    for step in (3, 1, 2):  # logged in this order
        assert log_image(api, user, runner, step=str(step)).status_code == 200

    response = list_metrics(api, user, runner["id"], f"?type=IMAGE&orderBy={order_by}")

    assert response.status_code == 200
    assert [metric["step"] for metric in response.json()["data"]] == expected_steps


def test_metric_list_of_images_pages_with_limit_and_offset(api: TestClient) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    for step in range(5):
        log_image(api, user, runner, step=str(step))

    pages = steps_by_page_of_two(api, user, runner["id"], "&type=IMAGE")

    assert pages == [[0, 1], [2, 3], [4], []]


def test_metric_list_of_text_answers_inline_text_as_value_without_url(api: TestClient) -> None:
    user = wavedb_user(api)
    runner = create_runner(api, user)
    created = api.post(
        f"/v1/runs/{runner['id']}/media",
        json={"name": "samples", "step": 4, "kind": "text", "text": "the cat sat", "caption": "c"},
        headers=user.bearer,
    )
    assert created.status_code in (200, 201), created.text

    texts = list_metrics(api, user, runner["id"], "?type=TEXT").json()["data"]
    images = list_metrics(api, user, runner["id"], "?type=IMAGE").json()["data"]

    assert len(texts) == 1
    assert set(texts[0]) == RUNNER_METRIC_FIELDS
    assert (texts[0]["name"], texts[0]["value"], texts[0]["step"], texts[0]["tag"]) == (
        "samples",
        "the cat sat",
        4,
        "c",
    )
    assert texts[0]["type"] == "TEXT"
    assert images == []


def test_metric_list_of_images_on_another_users_runner_gives_404(api: TestClient) -> None:
    user, other = wavedb_user(api), wavedb_user(api)
    theirs = create_runner(api, other)
    log_image(api, other, theirs)

    response = list_metrics(api, user, theirs["id"], "?type=IMAGE")

    assert response.status_code == 404
    assert response.json() == {"name": "NotFound", "message": "runner not found"}
