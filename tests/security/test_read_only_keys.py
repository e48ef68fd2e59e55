"""A key with only the `read` scope may call every route that only reads, whatever its
method (a batch read is a POST, to carry its ids in a body), and no route that writes: on
every route behind the authorizer other than GET, over real HTTP, with the user's real
objects in the path."""

from __future__ import annotations

import httpx

from tests.security.objects import OwnedObjects, fill_path, make_objects
from tests.support.accounts import create_api_key, sign_up
from wavedb_local.stack import LocalStack

# The routes that only read although their method is not GET, with a body that reads the
# user's run.
_READING_ROUTES = {
    "POST /v1/runs/batch-get": lambda objects: {"ids": [objects.run_id]},
    "POST /experiments/batch": lambda objects: {"ids": [objects.run_id]},
    "POST /api/experiments/batch": lambda objects: {"ids": [objects.run_id]},
}


def _run_ids_in(answer: httpx.Response) -> list[str]:
    body = answer.json()
    items = body["items"] if "items" in body else body["data"]
    return [str(item["id"]) for item in items]


def test_read_only_key_may_call_every_reading_route_whatever_its_method_and_no_writing_one(
    http: httpx.Client, served_stack: LocalStack
) -> None:
    assert served_stack.model is not None
    objects: OwnedObjects = make_objects(http, sign_up(http))
    key = create_api_key(http, objects.owner, scopes=["read"])
    headers = {"x-api-key": str(key["key"])}
    values = objects.path_values()
    not_get = sorted(
        route.route_key
        for route in served_stack.model.routes
        if route.authorizer is not None and route.method not in ("GET", "HEAD", "OPTIONS")
    )
    assert set(_READING_ROUTES) <= set(not_get)

    answers = {}
    for route_key in not_get:
        method, path = route_key.split(" ", 1)
        body = _READING_ROUTES[route_key](objects) if route_key in _READING_ROUTES else {}
        answers[route_key] = http.request(
            method, fill_path(path, values), json=body, headers=headers
        )

    assert {route: answer.status_code for route, answer in answers.items()} == {
        route: 200 if route in _READING_ROUTES else 403 for route in not_get
    }
    for route in _READING_ROUTES:
        assert _run_ids_in(answers[route]) == [objects.run_id]
    # Nothing was changed: the key's owner still sees the run as it was.
    run = http.get(f"/v1/runs/{objects.run_id}", headers=objects.owner.bearer)
    assert run.status_code == 200
    assert run.json()["name"] == "baseline"
