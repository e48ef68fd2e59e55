"""Metric ingest refuses what it cannot store faithfully, on every ingest path, over HTTP:

- a point's time outside 1970-01-01T00:00:00Z <= t < 2200-01-01T00:00:00Z is a 422 naming
  the point, and nothing of its batch is recorded;
- a batch id sent again with other points is a 409, whatever their count; the same points
  are answered as the batch they are;
- a metric name is checked by one rule everywhere: no trailing newline, no blank name, no
  white space around it (ours, Tora's and the original WaveDB's routes alike);
- a JSON body that is not UTF-8 is a 400 in the route's own error shape, from every
  function, and nothing of it is stored."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from typing import Any

import httpx
import psycopg
import pytest

from tests.security.objects import fill_path, path_parameters
from tests.security.probes import json_routes_by_function
from tests.support.accounts import SignedUpUser, sign_up
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(180)

OUT_OF_RANGE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59.999999Z",
    "2200-01-01T00:00:00Z",
    "2199-12-31T23:00:00-01:00",
]
REFUSED_NAMES = ["loss\n", " ", "", "loss ", " loss", "\tloss", "lo\nss"]


def _created(http: httpx.Client, user: SignedUpUser, path: str, body: object) -> str:
    answer = http.post(path, json=body, headers=user.bearer)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _run(http: httpx.Client, user: SignedUpUser) -> str:
    workspace = _created(http, user, "/v1/workspaces", {"name": f"w-{uuid.uuid4().hex[:6]}"})
    project = _created(http, user, f"/v1/workspaces/{workspace}/projects", {"name": "p"})
    return _created(http, user, f"/v1/projects/{project}/runs", {"name": "r"})


def _post_points(
    http: httpx.Client, user: SignedUpUser, run: str, batch_id: str, points: list[Any]
) -> httpx.Response:
    return http.post(
        f"/v1/runs/{run}/metrics",
        json={"batch_id": batch_id, "points": points},
        headers=user.bearer,
    )


def _written(http: httpx.Client, user: SignedUpUser, run: str, batch_id: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        answer = http.get(f"/v1/runs/{run}/metrics/batches/{batch_id}", headers=user.bearer)
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] == "written":
            return
        assert answer.json()["status"] == "queued", answer.text
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.2)


def _series(http: httpx.Client, user: SignedUpUser, run: str, name: str) -> list[Any]:
    answer = http.get(f"/v1/runs/{run}/series", params={"name": name}, headers=user.bearer)
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items


@pytest.mark.parametrize("timestamp", OUT_OF_RANGE_TIMES)
def test_metrics_point_time_out_of_range_gets_422_naming_the_point(
    http: httpx.Client, timestamp: str
) -> None:
    user = sign_up(http)
    run = _run(http, user)
    points = [
        {"name": "loss", "value": 1, "step": 1, "timestamp": "2026-01-01T00:00:00Z"},
        {"name": "loss", "value": 2, "step": 2, "timestamp": timestamp},
    ]

    answer = _post_points(http, user, run, "evil", points)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"
    assert answer.json()["message"].startswith("body.points: points[1].timestamp: must be from")
    status = http.get(f"/v1/runs/{run}/metrics/batches/evil", headers=user.bearer)
    assert status.status_code == 404, status.text


def test_metrics_point_times_at_the_edges_of_the_range_are_stored_and_read(
    http: httpx.Client,
) -> None:
    user = sign_up(http)
    run = _run(http, user)
    points = [
        {"name": "loss", "value": 1, "step": 1, "timestamp": "1970-01-01T00:00:00Z"},
        {"name": "loss", "value": 2, "step": 2, "timestamp": "2199-12-31T23:59:59.999999Z"},
        {"name": "loss", "value": 3, "step": 3, "timestamp": "1970-01-01T01:00:00+01:00"},
    ]

    assert _post_points(http, user, run, "edges", points).status_code == 202
    _written(http, user, run, "edges")

    stamps = [item["timestamp"] for item in _series(http, user, run, "loss")]
    assert stamps == ["1970-01-01T00:00:00Z", "2199-12-31T23:59:59.999999Z", "1970-01-01T00:00:00Z"]


def test_metrics_batch_id_reused_with_other_points_of_the_same_count_gets_409(
    http: httpx.Client,
) -> None:
    user = sign_up(http)
    run = _run(http, user)
    first = [{"name": "loss", "value": 1, "step": 1}, {"name": "loss", "value": 2, "step": 2}]
    other = [{"name": "loss", "value": 9, "step": 1}, {"name": "loss", "value": 2, "step": 2}]

    assert _post_points(http, user, run, "reuse-1", first).status_code == 202
    reused = _post_points(http, user, run, "reuse-1", other)
    again = _post_points(http, user, run, "reuse-1", first)

    assert reused.status_code == 409, reused.text
    assert reused.json()["code"] == "batch_id_reused"
    assert again.status_code == 202, again.text
    assert again.json()["batch_id"] == "reuse-1"
    _written(http, user, run, "reuse-1")
    assert [item["value"] for item in _series(http, user, run, "loss")] == [1.0, 2.0]
    written_again = _post_points(http, user, run, "reuse-1", first)
    assert written_again.json()["status"] == "written"
    reordered = _post_points(http, user, run, "reuse-1", first[::-1])
    assert reordered.status_code == 409, reordered.text


def test_tora_logs_sent_again_with_other_values_are_stored_once_without_409(
    http: httpx.Client, clean_database: str
) -> None:
    user = sign_up(http)
    run = _run(http, user)
    msg_ids = [str(uuid.uuid4()) for _ in range(2)]
    logs = [
        {"msg_id": msg_id, "name": "acc", "value": step, "step": step, "metadata": {"b": 1, "a": 2}}
        for step, msg_id in enumerate(msg_ids)
    ]
    changed = [{**log, "value": 7} for log in logs]
    path = f"/experiments/{run}/logs/batch"

    sent = [http.post(path, json={"logs": logs}, headers=user.bearer) for _ in range(2)]
    _batches_written(clean_database, run, 1)
    sent.append(http.post(path, json={"logs": changed}, headers=user.bearer))
    _batches_written(clean_database, run, 2)

    assert [answer.status_code for answer in sent] == [201, 201, 201], sent[-1].text
    assert [item["value"] for item in _series(http, user, run, "acc")] == [0.0, 1.0]


def _batches_written(database_url: str, run: str, count: int) -> None:
    """Wait until the run has `count` batches, all written."""
    deadline = time.monotonic() + 60
    while True:
        with psycopg.connect(database_url) as connection:
            statuses = [
                row[0]
                for row in connection.execute(
                    "SELECT status FROM ingest_batches WHERE run_id = %s", (run,)
                ).fetchall()
            ]
        if statuses == ["written"] * count:
            return
        assert len(statuses) <= count, statuses
        assert time.monotonic() < deadline, statuses
        time.sleep(0.2)


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_metric_name_refused_by_one_rule_on_every_ingest_path(
    http: httpx.Client, name: str
) -> None:
    user = sign_up(http)
    run = _run(http, user)
    auth = user.bearer

    answers = {
        "points": _post_points(http, user, run, "n1", [{"name": name, "value": 1, "step": 1}]),
        "results": http.post(f"/v1/runs/{run}/results", json={"results": {name: 1}}, headers=auth),
        "tora log": http.post(
            f"/experiments/{run}/logs",
            json={"msg_id": str(uuid.uuid4()), "name": name, "value": 1, "step": 1},
            headers=auth,
        ),
        "tora result": http.post(
            f"/api/experiments/{run}/logs",
            json={"msg_id": str(uuid.uuid4()), "name": name, "value": 1},
            headers=auth,
        ),
        "tora batch": http.post(
            f"/experiments/{run}/logs/batch",
            json={"logs": [{"msg_id": str(uuid.uuid4()), "name": name, "value": 1, "step": 2}]},
            headers=auth,
        ),
        "wavedb scalar": http.post(
            f"/metric/scalar/{run}", json={"name": name, "value": 1, "step": 1}, headers=auth
        ),
    }

    statuses = {path: answer.status_code for path, answer in answers.items()}
    assert statuses == {
        "points": 422,
        "results": 422,
        "tora log": 422,
        "tora result": 422,
        "tora batch": 422,
        "wavedb scalar": 400,
    }
    assert answers["tora log"].json()["error"] == "UNPROCESSABLE_ENTITY"
    assert answers["wavedb scalar"].json()["name"] == "ValidationError"
    assert http.get(f"/v1/runs/{run}/results", headers=auth).json()["items"] == []
    assert http.get(f"/v1/runs/{run}/metrics/batches/n1", headers=auth).status_code == 404


def test_json_body_not_utf8_gets_400_json_from_every_function(
    http: httpx.Client, served_stack: LocalStack
) -> None:
    user = sign_up(http)
    document = http.get("/openapi.json").json()
    routes = json_routes_by_function(served_stack, document)
    assert len(routes) >= 9, routes
    body = b'{"name": "lo\xffss", "batch_id": "b\xc3", "points": []}'
    headers = {**user.bearer, "content-type": "application/json"}

    answers = {}
    for function_id, route_key in routes.items():
        method, path = route_key.split(" ", 1)
        ids = {name: str(uuid.uuid4()) for name in path_parameters(path)}
        answers[function_id] = http.request(
            method, fill_path(path, ids), content=body, headers=headers
        )

    assert {key: answer.status_code for key, answer in answers.items()} == dict.fromkeys(
        routes, 400
    )
    for answer in answers.values():
        assert answer.headers["content-type"].startswith("application/json")
        assert "UTF-8" in answer.text, answer.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/runs/{run}/metrics", b'{"batch_id":"u","points":[{"name":"l\xe9","value":1}]}'),
        ("/v1/runs/{run}/results", b'{"results": {"acc\xff": 1}}'),
        ("/experiments/{run}/logs", b'{"msg_id":"%s","name":"acc\xc3","value":1}'),
        ("/metric/scalar/{run}", b'{"name":"acc\xe2\x82","value":1,"step":1}'),
    ],
)
def test_metric_name_not_utf8_is_refused_with_400_and_not_stored(
    http: httpx.Client, path: str, body: bytes
) -> None:
    user = sign_up(http)
    run = _run(http, user)
    if b"%s" in body:
        body = body.replace(b"%s", str(uuid.uuid4()).encode())

    answer = http.post(
        path.format(run=run),
        content=body,
        headers={**user.bearer, "content-type": "application/json; charset=utf-8"},
    )

    assert answer.status_code == 400, answer.text
    assert "UTF-8" in answer.text
    assert http.get(f"/v1/runs/{run}/results", headers=user.bearer).json()["items"] == []
    assert http.get(f"/v1/runs/{run}/metrics/batches/u", headers=user.bearer).status_code == 404


# ---------------------------------------------------------------- columnar bodies and gzip


def _post_body(
    http: httpx.Client, user: SignedUpUser, run: str, body: bytes, **headers: str
) -> httpx.Response:
    return http.post(
        f"/v1/runs/{run}/metrics",
        content=body,
        headers={**user.bearer, "content-type": "application/json", **headers},
    )


def _values(items: list[Any]) -> list[tuple[int, Any, str]]:
    return [(item["step"], item["value"], item["timestamp"]) for item in items]


def test_metrics_columnar_and_point_bodies_in_one_run_store_every_point_exactly(
    http: httpx.Client,
) -> None:
    user = sign_up(http)
    run = _run(http, user)
    columnar = {
        "batch_id": "columns",
        "series": [
            {
                "name": "loss",
                "steps": [1, 2, 3],
                "values": [0.1 + 0.2, "NaN", "-Infinity"],
                "timestamps_us": [0, 1_000_001, 7_258_118_399_999_999],
            },
            {
                "name": "acc",
                "steps": [1],
                "values": ["Infinity"],
                "timestamps": ["2026-01-01T01:00:00+01:00"],
            },
        ],
    }
    points = [{"name": "loss", "value": 5, "step": 4, "timestamp": "2026-01-02T00:00:00Z"}]

    assert (
        http.post(f"/v1/runs/{run}/metrics", json=columnar, headers=user.bearer).status_code == 202
    )
    assert _post_points(http, user, run, "points", points).status_code == 202
    _written(http, user, run, "columns")
    _written(http, user, run, "points")

    assert _values(_series(http, user, run, "loss")) == [
        (1, 0.1 + 0.2, "1970-01-01T00:00:00Z"),
        (2, "NaN", "1970-01-01T00:00:01.000001Z"),
        (3, "-Infinity", "2199-12-31T23:59:59.999999Z"),
        (4, 5.0, "2026-01-02T00:00:00Z"),
    ]
    assert _values(_series(http, user, run, "acc")) == [(1, "Infinity", "2026-01-01T00:00:00Z")]


def test_metrics_same_points_as_points_or_series_are_one_batch_and_other_points_409(
    http: httpx.Client,
) -> None:
    user = sign_up(http)
    run = _run(http, user)
    points = [
        {"name": "a", "value": 1, "step": 1},
        {"name": "b", "value": 2, "step": 1},
        {"name": "a", "value": 3, "step": 2},
    ]
    same = {
        "batch_id": "same",
        "series": [
            {"name": "a", "steps": [1, 2], "values": [1, 3]},
            {"name": "b", "steps": [1], "values": [2.0]},
        ],
    }
    other = {**same, "series": [{"name": "a", "steps": [1, 2], "values": [1, 4]}]}

    assert _post_points(http, user, run, "same", points).status_code == 202
    again = http.post(f"/v1/runs/{run}/metrics", json=same, headers=user.bearer)
    reused = http.post(f"/v1/runs/{run}/metrics", json=other, headers=user.bearer)

    assert again.status_code == 202, again.text
    assert reused.status_code == 409, reused.text
    assert reused.json()["code"] == "batch_id_reused"


@pytest.mark.parametrize(
    ("series", "location"),
    [
        ({"steps": [1, 2], "values": [1, "one"]}, "series[1].values[1]"),
        ({"steps": [1, -2], "values": [1, 2]}, "series[1].steps[1]"),
        ({"steps": [1, True], "values": [1, 2]}, "series[1].steps[1]"),
        ({"steps": [1, 2], "values": [1, True]}, "series[1].values[1]"),
        ({"steps": [1, 2], "values": [1]}, "series[1].values"),
        (
            {"steps": [1, 2], "values": [1, 2], "timestamps_us": [0, -1]},
            "series[1].timestamps_us[1]",
        ),
        (
            {
                "steps": [1, 2],
                "values": [1, 2],
                "timestamps": ["2026-01-01T00:00:00Z", "2200-01-01T00:00:00Z"],
            },
            "series[1].timestamps[1]",
        ),
        ({"steps": [1], "values": [1], "timestamps_us": [2**70]}, "series[1].timestamps_us[0]"),
        ({"steps": [1], "values": [10**400]}, "series[1].values[0]"),
    ],
)
def test_metrics_columnar_bad_entry_gets_422_naming_series_and_index(
    http: httpx.Client, series: dict[str, Any], location: str
) -> None:
    user = sign_up(http)
    run = _run(http, user)
    body = {
        "batch_id": "bad-columns",
        "series": [{"name": "ok", "steps": [1], "values": [1]}, {"name": "bad", **series}],
    }

    answer = http.post(f"/v1/runs/{run}/metrics", json=body, headers=user.bearer)

    assert answer.status_code == 422, answer.text
    assert answer.json()["message"].startswith(f"body.series: {location}:"), answer.text
    status = http.get(f"/v1/runs/{run}/metrics/batches/bad-columns", headers=user.bearer)
    assert status.status_code == 404, status.text


def test_metrics_gzip_columnar_body_is_stored(http: httpx.Client) -> None:
    user = sign_up(http)
    run = _run(http, user)
    steps = list(range(100_000))
    body = {"batch_id": "zipped", "series": [{"name": "loss", "steps": steps, "values": steps}]}
    raw = json.dumps(body).encode()
    assert len(raw) > 1_048_576  # more than an uncompressed body may be

    answer = _post_body(http, user, run, gzip.compress(raw), **{"content-encoding": "gzip"})

    assert answer.status_code == 202, answer.text
    assert answer.json()["point_count"] == 100_000
    _written(http, user, run, "zipped")


def test_metrics_gzip_bomb_gets_413_and_nothing_recorded(http: httpx.Client) -> None:
    user = sign_up(http)
    run = _run(http, user)
    padding = b" " * (64 * 1024 * 1024)  # 64 MiB of white space: about 64 KiB compressed
    bomb = gzip.compress(b'{"batch_id": "bomb", "points": [' + padding + b"]}")
    assert len(bomb) < 1_048_576

    answer = _post_body(http, user, run, bomb, **{"content-encoding": "gzip"})

    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "payload_too_large"
    status = http.get(f"/v1/runs/{run}/metrics/batches/bomb", headers=user.bearer)
    assert status.status_code == 404, status.text


@pytest.mark.parametrize(
    "body",
    [b"not gzip at all", gzip.compress(b'{"batch_id": "x"', mtime=0)[:-9]],
    ids=["not gzip at all", "truncated gzip"],
)
def test_metrics_body_that_is_not_gzip_as_declared_gets_400(
    http: httpx.Client, body: bytes
) -> None:
    user = sign_up(http)
    run = _run(http, user)

    answer = _post_body(http, user, run, body, **{"content-encoding": "gzip"})

    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "malformed_json"
