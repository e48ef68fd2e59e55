"""The media routes: what is refused and why, inline text and histograms, who may see and
change what, listing and pagination, retries, and what deleting leaves behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.accounts import SignedUpUser, sign_up
from tests.support.ingest import SeededRun, add_member, seed_run
from tests.support.media import drain_media_queue, media_count, png_bytes, s3_client, upload
from wavedb_core.pagination import encode_cursor
from wavedb_core.services.media_janitor import ABANDONED_REASON, sweep
from wavedb_local.stack import LocalStack

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("empty_media_queue")]

IMAGE = {"name": "samples", "step": 1, "kind": "image", "content_type": "image/png", "size": 1000}


def _create(api: TestClient, user: SignedUpUser, run_id: str, body: dict[str, Any]) -> Any:
    return api.post(f"/v1/runs/{run_id}/media", json=body, headers=user.bearer)


@pytest.mark.parametrize(
    ("changes", "field", "message_part"),
    [
        ({"kind": "video"}, "kind", "Input should be"),
        ({"content_type": "image/svg+xml"}, "content_type", "not accepted for image"),
        ({"content_type": "text/html", "kind": "text"}, "content_type", "not accepted for text"),
        ({"content_type": "application/x-msdownload", "kind": "file"}, "content_type", "not"),
        ({"size": 25 * 1024 * 1024 + 1}, "size", "at most 26214400 bytes"),
        ({"size": 0}, "size", "greater than or equal to 1"),
        ({"size": None}, "size", "required"),
        ({"content_type": None}, "content_type", "required"),
        ({"filename": "../../etc/passwd"}, "filename", "plain file name"),
        ({"filename": "runs/other/media/x.png"}, "filename", "plain file name"),
        ({"filename": "..\\boot.ini"}, "filename", "plain file name"),
        ({"filename": "a\nb.png"}, "filename", "plain file name"),
        ({"filename": ".."}, "filename", "plain file name"),
        ({"name": "bad name!"}, "name", "only letters"),
        ({"step": -1}, "step", "greater than or equal to 0"),
        ({"text": "inline"}, "text", "not used for image"),
        ({"histogram": {"values": [1.0]}}, "histogram", "not used for image"),
        ({"surprise": 1}, "surprise", "Extra inputs"),
    ],
)
def test_create_media_with_bad_input_is_refused_naming_the_field_and_stores_nothing(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    changes: dict[str, Any],
    field: str,
    message_part: str,
) -> None:
    body = {**IMAGE, **changes}
    body = {name: value for name, value in body.items() if value is not None}

    answer = _create(api, user, run.id, body)

    assert answer.status_code == 422, answer.text
    error = answer.json()
    assert error["code"] == "validation_error"
    located = [item for item in error["details"] if item["location"].endswith(field)]
    assert located, error
    assert any(message_part in item["message"] for item in located), error
    assert media_count(clean_database) == 0


def test_create_media_with_null_for_fields_of_other_kinds_takes_them_as_left_out(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    unused = {"text": None, "histogram": None}
    image = _create(api, user, run.id, {**IMAGE, **unused})
    histogram = _create(
        api,
        user,
        run.id,
        {"name": "weights", "kind": "histogram", "histogram": {"values": [1.0]},
         "content_type": None, "size": None, "filename": None, "text": None},
    )  # fmt: skip

    assert image.status_code == 201, image.text
    assert image.json()["upload"] is not None
    assert histogram.status_code == 201, histogram.text


def test_create_text_without_text_or_upload_fields_says_what_each_form_needs(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    answer = _create(api, user, run.id, {"name": "notes", "kind": "text"})

    assert answer.status_code == 422, answer.text
    details = {item["location"]: item["message"] for item in answer.json()["details"]}
    assert set(details) == {"body.content_type", "body.size"}
    assert all("give `text`" in message for message in details.values())
    assert media_count(clean_database) == 0


@pytest.mark.parametrize(
    ("histogram", "field"),
    [
        ({"bins": [0, 1, 2], "counts": [1]}, "histogram.bins"),
        ({"bins": [0, 2, 1], "counts": [1, 1]}, "histogram.bins"),
        ({"bins": [0, 1], "counts": [-1]}, "histogram.counts"),
        ({"values": []}, "histogram.values"),
        ({"values": [1, 2], "bins": [0, 1], "counts": [2]}, "histogram"),
        ({"values": [1.0], "num_bins": 10_000}, "num_bins"),
    ],
)
def test_histogram_with_bad_bins_counts_or_values_is_refused(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    histogram: dict[str, Any],
    field: str,
) -> None:
    answer = _create(
        api, user, run.id, {"name": "weights", "kind": "histogram", "histogram": histogram}
    )

    assert answer.status_code == 422, answer.text
    assert any(item["location"].endswith(field) for item in answer.json()["details"])
    assert media_count(clean_database) == 0


def test_histogram_from_raw_values_is_binned_and_ready_at_once(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    values = [index / 10 for index in range(1_000)]  # 0.0 .. 99.9

    answer = _create(
        api,
        user,
        run.id,
        {
            "name": "weights",
            "step": 3,
            "kind": "histogram",
            "histogram": {"values": values, "num_bins": 10},
        },
    )

    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["upload"] is None
    histogram = created["media"]["histogram"]
    assert created["media"]["status"] == "ready"
    assert len(histogram["bins"]) == 11
    assert histogram["bins"][0] == 0.0
    assert histogram["bins"][-1] == pytest.approx(99.9)
    assert histogram["counts"] == [100.0] * 10


def test_histogram_with_given_bins_is_stored_as_given(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    histogram = {"bins": [-1.0, 0.0, 0.5, 2.0], "counts": [3.0, 0.0, 7.0]}

    created = _create(
        api, user, run.id, {"name": "grads", "kind": "histogram", "histogram": histogram}
    ).json()

    fetched = api.get(
        f"/v1/runs/{run.id}/media/{created['media']['id']}", headers=user.bearer
    ).json()
    assert fetched["histogram"] == histogram


def test_short_text_is_stored_inline_and_long_text_must_be_uploaded(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    short = "é" * 32_768  # 65,536 bytes as UTF-8: the inline limit
    stored = _create(api, user, run.id, {"name": "notes", "kind": "text", "text": short})
    too_long = _create(api, user, run.id, {"name": "notes", "kind": "text", "text": short + "a"})

    assert stored.status_code == 201, stored.text
    assert stored.json()["media"]["status"] == "ready"
    assert stored.json()["media"]["text"] == short
    assert too_long.status_code == 422
    assert "give content_type and size" in too_long.json()["message"]
    assert media_count(clean_database) == 1


def test_listing_shortens_long_inline_text_and_the_item_has_all_of_it(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    text = "line of text\n" * 1_000
    created = _create(api, user, run.id, {"name": "log", "kind": "text", "text": text}).json()

    listed = api.get(f"/v1/runs/{run.id}/media", headers=user.bearer).json()["items"][0]
    item = api.get(f"/v1/runs/{run.id}/media/{created['media']['id']}", headers=user.bearer)

    assert listed["text_truncated"] is True
    assert text.startswith(listed["text"])
    assert len(listed["text"]) == 2_000
    assert item.json()["text"] == text
    assert item.json()["text_truncated"] is False


def test_listing_follows_cursors_through_every_item_in_name_then_step_order(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    expected = []
    for name in ("predictions", "attention"):
        for step in (30, 10, 20, 0):
            _create(api, user, run.id, {"name": name, "step": step, "kind": "text", "text": "x"})
            expected.append((name, step))
    seen: list[tuple[str, int]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/v1/runs/{run.id}/media", params=params, headers=user.bearer).json()
        pages += 1
        seen.extend((item["name"], item["step"]) for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == sorted(expected)
    assert pages == 3


def test_listing_filters_by_name_kind_status_and_step_range(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    for step in range(5):
        _create(api, user, run.id, {"name": "captions", "step": step, "kind": "text", "text": "t"})
    _create(api, user, run.id, {**IMAGE, "name": "captions", "step": 2})  # pending image

    def names(**params: Any) -> list[tuple[str, int, str]]:
        page = api.get(f"/v1/runs/{run.id}/media", params=params, headers=user.bearer).json()
        return [(item["kind"], item["step"], item["status"]) for item in page["items"]]

    in_range = names(name="captions", step_min=1, step_max=2)
    assert [step for _, step, _ in in_range] == [1, 2, 2]  # by step, then id
    assert sorted(in_range) == [("image", 2, "pending"), ("text", 1, "ready"), ("text", 2, "ready")]
    assert names(kind="image") == [("image", 2, "pending")]
    assert names(status="ready", step_min=4) == [("text", 4, "ready")]
    assert names(name="nothing") == []


@pytest.mark.parametrize(
    "cursor",
    [
        "bm90IGpzb24",  # not JSON
        encode_cursor({"n": "samples", "s": "seven", "i": "not-an-id"}),  # our keys, bad values
    ],
)
def test_listing_with_a_forged_cursor_is_a_400(
    api: TestClient, user: SignedUpUser, run: SeededRun, cursor: str
) -> None:
    answer = api.get(f"/v1/runs/{run.id}/media", params={"cursor": cursor}, headers=user.bearer)

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_cursor"


def test_media_names_summarise_kind_counts_and_step_range(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    for step in (5, 1, 9):
        _create(api, user, run.id, {"name": "samples", "step": step, "kind": "text", "text": "a"})
    _create(api, user, run.id, {**IMAGE, "name": "frames", "step": 4})

    answer = api.get(f"/v1/runs/{run.id}/media/names", headers=user.bearer)

    assert answer.status_code == 200
    assert answer.json()["items"] == [
        {"name": "frames", "kind": "image", "count": 1, "ready": 0, "min_step": 4, "max_step": 4},
        {"name": "samples", "kind": "text", "count": 3, "ready": 3, "min_step": 1, "max_step": 9},
    ]


def test_create_media_retried_with_its_id_answers_the_same_item_with_a_fresh_grant(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    body = {**IMAGE, "media_id": "5c7c1a52-3f43-4b0f-9a55-0f6f5d8e9a10"}

    first = _create(api, user, run.id, body)
    second = _create(api, user, run.id, body)
    changed = _create(api, user, run.id, {**body, "step": 2})

    assert first.status_code == second.status_code == 201
    assert first.json()["media"]["id"] == second.json()["media"]["id"] == body["media_id"]
    assert second.json()["upload"]["fields"]["key"] == first.json()["upload"]["fields"]["key"]
    assert changed.status_code == 409
    assert changed.json()["code"] == "media_id_conflict"
    assert media_count(clean_database) == 1


def test_another_users_run_is_not_found_for_every_media_route(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    created = _create(api, user, run.id, {"name": "t", "kind": "text", "text": "mine"}).json()
    media_id = created["media"]["id"]
    stranger = sign_up(api)

    answers = [
        _create(api, stranger, run.id, IMAGE),
        api.get(f"/v1/runs/{run.id}/media", headers=stranger.bearer),
        api.get(f"/v1/runs/{run.id}/media/names", headers=stranger.bearer),
        api.get(f"/v1/runs/{run.id}/media/{media_id}", headers=stranger.bearer),
        api.delete(f"/v1/runs/{run.id}/media/{media_id}", headers=stranger.bearer),
    ]

    assert [answer.status_code for answer in answers] == [404] * 5
    assert {answer.json()["code"] for answer in answers} == {"run_not_found"}


def test_media_of_another_run_is_not_found_through_my_run(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    other_run = seed_run(clean_database, user.id, name="other")
    created = _create(api, user, other_run.id, {"name": "t", "kind": "text", "text": "x"}).json()

    answer = api.get(f"/v1/runs/{run.id}/media/{created['media']['id']}", headers=user.bearer)

    assert answer.status_code == 404
    assert answer.json()["code"] == "media_not_found"


def test_viewer_lists_media_but_may_not_create_or_delete(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    created = _create(api, user, run.id, {"name": "t", "kind": "text", "text": "x"}).json()
    viewer = sign_up(api)
    add_member(clean_database, run.workspace_id, viewer.id, "viewer")

    listed = api.get(f"/v1/runs/{run.id}/media", headers=viewer.bearer)
    refused = _create(api, viewer, run.id, IMAGE)
    not_deleted = api.delete(
        f"/v1/runs/{run.id}/media/{created['media']['id']}", headers=viewer.bearer
    )

    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1
    assert refused.status_code == not_deleted.status_code == 403
    assert media_count(clean_database) == 1


def test_deleting_a_run_leaves_its_objects_to_the_janitor_which_removes_them(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, run: SeededRun
) -> None:
    data = png_bytes()
    created = _create(api, user, run.id, {**IMAGE, "size": len(data)}).json()
    upload(created["upload"], data)
    drain_media_queue(local_stack)
    key = created["upload"]["fields"]["key"]
    s3 = s3_client(local_stack)
    bucket = local_stack.environment["MEDIA_BUCKET"]

    assert api.delete(f"/v1/runs/{run.id}", headers=user.bearer).status_code == 204
    assert s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions")
    report = sweep()

    assert report.purged == 1
    assert not s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions")
    assert sweep().purged == 0


def test_janitor_rejects_items_whose_grant_ran_out_without_an_upload(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    abandoned = _create(api, user, run.id, IMAGE).json()
    waiting = _create(api, user, run.id, {**IMAGE, "step": 2}).json()

    report = sweep(datetime.now(UTC) + timedelta(hours=1))

    assert report.abandoned == 2
    for created in (abandoned, waiting):
        item = api.get(
            f"/v1/runs/{run.id}/media/{created['media']['id']}", headers=user.bearer
        ).json()
        assert item["status"] == "rejected"
        assert item["reject_reason"] == ABANDONED_REASON


def test_janitor_leaves_grants_that_are_still_valid(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    created = _create(api, user, run.id, IMAGE).json()

    assert sweep().abandoned == 0
    item = api.get(f"/v1/runs/{run.id}/media/{created['media']['id']}", headers=user.bearer)
    assert item.json()["status"] == "pending"
