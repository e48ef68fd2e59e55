"""The run table on the server's search, in the browser: the server filters, sorts and pages;
only the rows in view are in the DOM; more load as the table is scrolled; while a run is live
only the first page and the live runs are asked for again."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

import wavedb
from tests.support.dashboard import DashboardUser, log_in

pytestmark = pytest.mark.timeout(240)

RUNS = 260
PAGE = 100


def _create_runs(user: DashboardUser, project_id: str) -> None:
    with httpx.Client(
        base_url=user.sdk.api_url, headers=user.bearer, timeout=30, trust_env=False
    ) as http:
        for index in range(RUNS):
            response = http.post(
                f"/v1/projects/{project_id}/runs",
                json={
                    "name": f"run-{index:03d}",
                    "config": {"idx": index, "optimizer": "adam" if index % 2 else "sgd"},
                    "status": "running",
                },
            )
            assert response.status_code == 201, response.text
            run_id = response.json()["id"]
            finished = http.patch(f"/v1/runs/{run_id}", json={"status": "finished"})
            assert finished.status_code == 200, finished.text


def _run_listings(requests: list[Request]) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlparse(request.url).query)
        for request in requests
        if re.search(r"/v1/projects/[^/]+/runs\?", request.url) and request.method == "GET"
    ]


def test_run_table_searches_sorts_and_pages_on_the_server_with_rows_virtualised(
    page: Page, user: DashboardUser
) -> None:
    seed = wavedb.init(project="many", name="seed", config={"idx": -1, "optimizer": "none"})
    seed.finish()
    project_id = str(seed.project_id)
    _create_runs(user, project_id)
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))

    log_in(page, user, f"/projects/{project_id}")
    rows = page.get_by_test_id("run-row")
    expect(page.get_by_test_id("run-count")).to_have_text(re.compile(r"^100\+ runs"))
    # Only the rows in view (and a few either side) are in the DOM.
    assert 10 <= rows.count() < 60, rows.count()
    listings = _run_listings(requests)
    assert listings
    assert all(query.get("limit") == [str(PAGE)] for query in listings)
    assert all("cursor" not in query for query in listings)

    # Scrolling to the end loads the next pages by cursor; the DOM stays small.
    scroller = page.get_by_test_id("run-table-scroll")
    for _ in range(30):
        scroller.evaluate("element => { element.scrollTop = element.scrollHeight; }")
        page.wait_for_timeout(150)
        if page.get_by_test_id("run-count").inner_text().startswith(f"{RUNS + 1} runs"):
            break
    expect(page.get_by_test_id("run-count")).to_have_text(re.compile(rf"^{RUNS + 1} runs"))
    assert rows.count() < 60
    assert any("cursor" in query for query in _run_listings(requests))
    scroller.evaluate("element => { element.scrollTop = element.scrollHeight; }")
    expect(page.get_by_test_id("run-link").last).to_have_text(
        "seed"
    )  # newest first: seed is oldest
    assert rows.count() < 60

    # The query box's conditions go to the server as filter=.
    requests.clear()
    page.get_by_test_id("filter-query").fill("idx>=250 optimizer=adam")
    expect(rows).to_have_count(5)
    assert sorted(page.get_by_test_id("run-link").all_inner_texts()) == [
        f"run-{index}" for index in (251, 253, 255, 257, 259)
    ]
    assert any(
        query.get("filter") == ["idx>=250 optimizer=adam"] for query in _run_listings(requests)
    )

    # A column's sort goes to the server as sort=.
    requests.clear()
    header = page.locator('[data-testid="column-header"][data-key="config:idx"]')
    header.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.get_by_test_id("run-link").first).to_have_text("run-251")
    header.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.get_by_test_id("run-link").first).to_have_text("run-259")
    assert any(query.get("sort") == ["-config.idx"] for query in _run_listings(requests))

    # A key no run has: the server's message next to the query box.
    page.get_by_test_id("filter-query").fill("no_such_key>1")
    expect(page.get_by_test_id("filter-query-error")).to_contain_text("no_such_key")
    page.get_by_test_id("filter-query").fill("")
    expect(page.get_by_test_id("filter-query-error")).to_have_count(0)


def test_live_refresh_asks_only_for_the_first_page_and_the_live_runs(
    page: Page, user: DashboardUser
) -> None:
    seed = wavedb.init(project="live-many", name="seed", config={"idx": -1})
    seed.finish()
    project_id = str(seed.project_id)
    _create_runs(user, project_id)
    live = wavedb.init(project="live-many", name="live-one", config={"idx": 999})
    log_in(page, user, f"/projects/{project_id}")
    row = page.locator(f'[data-testid="run-row"][data-run-id="{live.id}"]')
    expect(row).to_have_attribute("data-status", "running")
    scroller = page.get_by_test_id("run-table-scroll")
    for _ in range(30):
        scroller.evaluate("element => { element.scrollTop = element.scrollHeight; }")
        page.wait_for_timeout(150)
        if page.get_by_test_id("run-table-more").count() == 0:
            break
    expect(page.get_by_test_id("run-table-more")).to_have_count(0)

    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    page.wait_for_timeout(11_000)  # two refreshes
    listings = _run_listings(requests)
    assert 1 <= len(listings) <= 3, listings
    assert all("cursor" not in query for query in listings), listings

    live.finish()
    scroller.evaluate("element => { element.scrollTop = 0; }")
    expect(row).to_have_attribute("data-status", "finished", timeout=15_000)
