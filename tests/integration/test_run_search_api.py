"""Run search through the run listings: the filter language's semantics on config, metric
summaries, results, tags, status, names and times; sorting by any field with keyset
pagination that stays exact while runs are added; 400s that name the token (attacks:
tests/security/test_run_search.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.accounts import SignedUpUser
from tests.support.projects import add_metric_summary, add_result, make_project, set_run_times
from tests.support.run_search import BASE_TIME, create_run, run_names, search, seed_searchable_runs


@pytest.fixture
def project(owner: SignedUpUser, clean_database: str) -> str:
    return make_project(clean_database, owner.id)[1]


@pytest.fixture
def runs(api: Any, owner: SignedUpUser, project: str, clean_database: str) -> dict[str, str]:
    return seed_searchable_runs(api, owner, project, clean_database)


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # the dashboard's query box, as typed there
        ("lr>0.001 optimizer.name=adam", ["smoke-test"]),
        ("lr<=0.01", ["baseline", "wide-net"]),
        # config: nested keys, numbers, text, missing values
        ("config.optimizer.lr < 0.005", ["baseline"]),
        ("config.batch = 32", ["baseline"]),
        ("config.batch != 32", ["nan-run", "smoke-test", "wide-net"]),
        ('config.lr = "auto"', ["nan-run"]),
        ("config.lr = auto", ["nan-run"]),
        ("config.lr > 0", ["baseline", "smoke-test", "wide-net"]),
        ("config.optimizer.name ~ AD", ["baseline", "smoke-test"]),
        ("config.batch = null", ["nan-run", "smoke-test"]),
        ("config.optimizer.lr != null", ["baseline", "wide-net"]),
        # metric summaries: last (the default), min, max, count; NaN is never < or >
        ("loss.min < 0.5", ["baseline", "nan-run"]),
        ("metrics.loss.max >= 3", ["wide-net"]),
        ("metrics.loss.count > 4", ["baseline", "wide-net"]),
        ("loss < 1", ["baseline", "wide-net"]),
        ("metrics.loss = nan", ["nan-run"]),
        ("metrics.loss != 0.4", ["nan-run", "smoke-test", "wide-net"]),
        ("metrics.loss = null", ["smoke-test"]),
        ("val/acc > 0.5", ["baseline"]),
        # results, and summary (a result, else the metric's last value)
        ("results.acc >= 0.9", ["baseline"]),
        ("acc > 0.8", ["baseline", "wide-net"]),
        ("summary.loss < 0.5", ["baseline"]),
        ("summary.acc < 0.9", ["wide-net"]),
        # built-in fields
        ("tags = keep", ["baseline", "wide-net"]),
        ("tags != wide", ["baseline", "nan-run", "smoke-test"]),
        ("status = finished", ["baseline"]),
        ("status != running", ["baseline", "smoke-test"]),
        ("name = baseline", ["baseline"]),
        ("name ~ NET", ["wide-net"]),
        ("created_at >= 2027-01-01T02:00:00Z", ["nan-run", "smoke-test"]),
        ('created < "2027-01-01T01:00:00+00:00"', ["baseline"]),
        ("ended_at = null", ["nan-run", "wide-net"]),
        ("ended_at > 2027-01-02T12:00:00Z", ["smoke-test"]),
        ("ended_at != 2027-01-02T00:00:00Z", ["nan-run", "smoke-test", "wide-net"]),
        # and, or, not, parentheses
        ("tags = keep and loss < 0.5", ["baseline"]),
        ("status = failed or results.acc < 0.9", ["smoke-test", "wide-net"]),
        ("not tags = keep", ["nan-run", "smoke-test"]),
        ("not (loss.min < 0.5 or status = failed)", ["wide-net"]),
        ("(name ~ net OR name ~ smoke) AND NOT config.lr > 0.05", ["wide-net"]),
        ("", ["baseline", "nan-run", "smoke-test", "wide-net"]),
    ],
)
def test_search_runs_filter_matches_these_runs(
    api: Any, owner: SignedUpUser, project: str, query: str, expected: list[str]
) -> None:
    response = search(api, owner, project, filter=query, sort="name")

    assert run_names(response) == expected


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize(
    ("sort", "ordered", "missing"),
    [
        ("name", ["baseline", "nan-run", "smoke-test", "wide-net"], set()),
        ("-created_at", ["nan-run", "smoke-test", "wide-net", "baseline"], set()),
        ("loss.min", ["nan-run", "baseline", "wide-net"], {"smoke-test"}),
        ("-metrics.loss.min", ["wide-net", "baseline", "nan-run"], {"smoke-test"}),
        # NaN sorts with the missing values, last either way
        ("metrics.loss", ["baseline", "wide-net"], {"nan-run", "smoke-test"}),
        ("-results.acc", ["baseline", "wide-net"], {"nan-run", "smoke-test"}),
        ("config.batch", ["baseline", "wide-net"], {"nan-run", "smoke-test"}),
        ("-config.optimizer.lr", ["wide-net", "baseline"], {"nan-run", "smoke-test"}),
        ("ended_at", ["baseline", "smoke-test"], {"nan-run", "wide-net"}),
        ("-ended", ["smoke-test", "baseline"], {"nan-run", "wide-net"}),
    ],
)
def test_search_runs_sort_orders_runs_missing_values_last(
    api: Any, owner: SignedUpUser, project: str, sort: str, ordered: list[str], missing: set[str]
) -> None:
    whole = run_names(search(api, owner, project, sort=sort))
    paged: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 1}
        if cursor:
            params["cursor"] = cursor
        response = search(api, owner, project, **params)
        paged += run_names(response)
        cursor = response.json()["next_cursor"]
        if not cursor:
            break

    assert whole[: len(ordered)] == ordered
    assert set(whole[len(ordered) :]) == missing
    assert paged == whole


def _all_pages(
    api: Any, owner: SignedUpUser, project: str, *, between_pages: Any, **params: Any
) -> list[str]:
    names: list[str] = []
    cursor = None
    page = 0
    while True:
        paging = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = search(api, owner, project, **paging, **params)
        names += run_names(response)
        cursor = response.json()["next_cursor"]
        if not cursor:
            return names
        between_pages(page)
        page += 1


@pytest.mark.parametrize("sort", ["-created_at", "name", "loss", "-results.acc"])
def test_search_runs_pagination_with_runs_added_between_pages_skips_and_repeats_none(
    api: Any, owner: SignedUpUser, project: str, clean_database: str, sort: str
) -> None:
    before: list[str] = []
    for index in range(7):
        run_id = create_run(api, owner, project, name=f"old-{index}", tags=["old"])
        set_run_times(clean_database, run_id, created_at=BASE_TIME + timedelta(minutes=index))
        add_metric_summary(clean_database, run_id, "loss", last=index / 10)
        add_result(clean_database, run_id, "acc", 1 - index / 10)
        before.append(f"old-{index}")

    def add_runs(page: int) -> None:
        for extra in range(2):
            run_id = create_run(api, owner, project, name=f"new-{page}-{extra}", tags=["new"])
            add_metric_summary(clean_database, run_id, "loss", last=(page + extra) / 20)
            add_result(clean_database, run_id, "acc", 0.5 + extra / 10)

    seen = _all_pages(api, owner, project, between_pages=add_runs, sort=sort)

    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    old = [name for name in seen if name.startswith("old-")]
    expected = run_names(search(api, owner, project, sort=sort, filter="tags = old", limit=50))
    assert old == expected


@pytest.mark.usefixtures("runs")
def test_search_runs_unknown_field_is_400_listing_known_fields(
    api: Any, owner: SignedUpUser, project: str
) -> None:
    response = search(api, owner, project, filter="tags = keep and colour = red")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_field"
    assert body["details"]["token"] == "colour"
    assert body["details"]["position"] == 16
    assert body["details"]["known"] == {
        "config": ["batch", "lr", "optimizer"],
        "metrics": ["loss", "val/acc"],
        "results": ["acc"],
    }
    assert "config.<key>" in body["message"]
    assert "metrics.<name>" in body["message"]


@pytest.mark.usefixtures("runs")
def test_search_runs_unknown_sort_field_is_400(api: Any, owner: SignedUpUser, project: str) -> None:
    response = search(api, owner, project, sort="-colour")

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert response.json()["details"]["parameter"] == "sort"


@pytest.mark.parametrize(
    ("query", "token", "position"),
    [
        ("loss.min < ", "", 11),
        ("(status = failed", "(", 0),
        ("status = failed)", ")", 15),
        ("status = broken", "broken", 9),
        ("loss < 1 && acc > 1", "&&", 9),
        ("created_at > tomorrow", "tomorrow", 13),
    ],
)
def test_search_runs_malformed_filter_is_400_naming_token(
    api: Any, owner: SignedUpUser, project: str, query: str, token: str, position: int
) -> None:
    response = search(api, owner, project, filter=query)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_filter"
    assert body["details"]["token"] == token
    assert body["details"]["position"] == position
    assert f"position {position}" in body["message"]


def test_search_runs_cursor_of_another_sort_is_400(
    api: Any, owner: SignedUpUser, project: str, runs: dict[str, str]
) -> None:
    first = search(api, owner, project, sort="loss", limit=1).json()

    response = search(api, owner, project, sort="name", cursor=first["next_cursor"])

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
