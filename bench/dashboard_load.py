"""Dashboard load times in a real browser, on a project of 100 runs x 10 metrics x 10,000
steps (10M points).

Starts the local stack (embedded PostgreSQL, emulated SQS and S3, the real handlers, the
built dashboard at /), creates an account, a project and 100 runs through the HTTP API, loads
their points with COPY plus the ingest worker's own SQL (summaries, rollups), then drives
headless Chromium (Playwright, /usr/bin/chromium) and measures, from navigation start:

1. the run table: until all 100 rows are in the table;
2. compare of 20 runs: until the first chart, and until all 10 charts, show all 20 runs;
3. a run page: until all 10 metric charts are drawn;
4. a second project of 20,000 runs (seeded straight into PostgreSQL, each with a config,
   two metric summaries and a result): until the run table's first rows show, unsorted,
   sorted by a summary column, and filtered by the query box (the server searches, sorts
   and pages; the table keeps only the rows in view in the DOM).

Each is measured on a cold page load (new browser context) several times; the figures are
the median, fastest and slowest. The API time of the reads behind each view is shown next
to them.

    make bench-web                   # or: .venv/bin/python bench/dashboard_load.py
    .venv/bin/python bench/dashboard_load.py --only-large   # just the 20,000-run project
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "shared"), str(REPOSITORY / "infra"), str(REPOSITORY)]

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from tests.support.browser import CHROMIUM, launch_chromium  # noqa: E402
from wavedb_local.config import LocalStackConfig  # noqa: E402
from wavedb_local.site import StaticSite  # noqa: E402
from wavedb_local.stack import LocalStack  # noqa: E402

LOGGED_US = 1_795_428_930_000_000
METRICS = [
    "train/loss",
    "train/acc",
    "train/lr",
    "train/grad_norm",
    "eval/loss",
    "eval/acc",
    "eval/f1",
    "system/gpu_util",
    "system/memory",
    "throughput",
]
PASSWORD = "correct horse battery staple"


def _ok(response: httpx.Response, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


# ---------------------------------------------------------------- data


def create_project(client: httpx.Client, runs: int) -> tuple[dict[str, Any], str, list[str]]:
    """A new user's tokens, a project, and its runs (created through the API)."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    signup = _ok(
        client.post(
            "/v1/auth/signup", json={"email": email, "password": PASSWORD, "name": "Bench"}
        ),
        201,
    )
    tokens = signup["tokens"]
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    workspace = _ok(client.post("/v1/workspaces", json={"name": "bench"}, headers=bearer), 201)
    project = _ok(
        client.post(
            f"/v1/workspaces/{workspace['id']}/projects",
            json={"name": "sweep-100"},
            headers=bearer,
        ),
        201,
    )
    run_ids = []
    for index in range(runs):
        config = {
            "lr": round(10 ** (-4 + 3 * index / runs), 6),
            "batch_size": [32, 64, 128, 256][index % 4],
            "optimizer": ["adam", "sgd", "adamw"][index % 3],
            "model": {"layers": 4 + index % 9, "dropout": round(0.05 * (index % 6), 2)},
        }
        run = _ok(
            client.post(
                f"/v1/projects/{project['id']}/runs",
                json={
                    "name": f"run-{index:03d}",
                    "config": config,
                    "tags": ["sweep"],
                    "provenance": _provenance(index),
                },
                headers=bearer,
            ),
            201,
        )
        run_ids.append(run["id"])
    return tokens, project["id"], run_ids


def _provenance(index: int) -> dict[str, Any]:
    """Where a run came from, as the SDK records it (for the run page's picture)."""
    return {
        "sdk": {"version": "0.1.0"},
        "host": f"gpu-node-{index % 4:02d}",
        "user": "ada",
        "os": "Linux-6.8.0-x86_64-with-glibc2.39",
        "cwd": "/home/ada/sweep",
        "python": {
            "version": "3.11.9",
            "implementation": "cpython",
            "executable": "/usr/bin/python3",
        },
        "command": {"argv": ["train.py", "--config", "configs/sweep.yaml", f"--index={index}"]},
        "git": {
            "commit": "4f2c9e1b7d3a8c6e5f0a1b2c3d4e5f6a7b8c9d0e",
            "branch": "sweep",
            "remote": "https://github.com/acme/vision.git",
            "dirty": False,
        },
        "packages": {"count": 187},
        "gpu": {"count": 8, "models": ["NVIDIA H100 80GB HBM3"] * 8},
    }


def _curve(name: str, step: int, steps: int, run: int) -> float:
    """A plausible value of each metric at a step, before noise."""
    progress = step / steps
    quality = 1 + (run % 10) / 10  # runs differ, as in a sweep
    if name.endswith("loss"):
        return 2.3 * math.exp(-5 * progress / quality) + 0.08 * quality
    if name.endswith(("acc", "f1")):
        return 0.95 - 0.85 * math.exp(-6 * progress / quality)
    if name.endswith("lr"):
        warmup = min(1.0, step / (0.05 * steps))
        return 3e-4 * warmup * 0.5 * (1 + math.cos(math.pi * progress))
    if name.endswith("grad_norm"):
        return 1.5 * math.exp(-3 * progress) + 0.3
    if name.endswith("gpu_util"):
        return 92.0
    if name.endswith("memory"):
        return 38.0 + 2 * min(1.0, progress * 20)
    return 1450.0  # throughput, samples/s


_NOISE = {"loss": 0.08, "acc": 0.02, "f1": 0.02, "lr": 0.0, "grad_norm": 0.25}


def _points(metric_id: int, name: str, run: int, steps: int) -> Iterator[str]:
    """A series with noise, and a few spikes that a min/max band must keep."""
    noise = next((value for key, value in _NOISE.items() if name.endswith(key)), 0.03)
    rng = random.Random(f"{run}/{name}")  # noqa: S311 (made-up data, repeatable)
    for step in range(steps):
        value = _curve(name, step, steps, run) * (1 + rng.gauss(0, noise))
        if name.endswith("grad_norm") and rng.random() < 0.002:
            value *= rng.uniform(3, 6)
        yield f"{metric_id}\t{step}\t{value!r}\t{LOGGED_US + step * 250_000}\t\\N\t\\N\n"


def load_points(database_url: str, run_ids: list[str], steps: int) -> float:
    """Every run's metrics through COPY and the worker's SQL, one transaction per run."""
    from wavedb_core.repositories import metric_points, run_metrics
    from wavedb_core.services.ingest_writer import write_staged_points

    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as connection:
        for run_index, run_id in enumerate(run_ids):
            with connection.transaction():
                ids = run_metrics.ensure_metrics(connection, uuid.UUID(run_id), METRICS)
                metric_points.create_staging_table(connection)
                with (
                    connection.cursor() as cursor,
                    cursor.copy(
                        f"COPY {metric_points.STAGING_TABLE}"
                        " (metric_id, step, value, logged_us, msg_id, metadata) FROM STDIN"
                    ) as copy,
                ):
                    for name in METRICS:
                        copy.write("".join(_points(ids[name], name, run_index, steps)))
                write_staged_points(connection, list(ids.values()), False)
            connection.execute("UPDATE runs SET status = 'finished' WHERE id = %s", (run_id,))
        connection.execute("ANALYZE")
    return time.perf_counter() - started


LARGE_OPTIMIZERS = ["adam", "sgd", "adamw", "lion"]
LARGE_STATUSES = ["finished", "finished", "finished", "failed", "crashed"]
# (what it shows, the run table's URL query)
LARGE_VIEWS: list[tuple[str, str]] = [
    ("first rows, newest first", ""),
    ("first rows sorted by a summary column (loss, descending)", "?sort=-summary:loss"),
    ("first rows filtered by the query box", "?q=lr%3C0.001%20optimizer.name%3Dadam%20loss%3C0.5"),
]


def seed_large_project(
    client: httpx.Client, database_url: str, workspace_id: str, runs: int
) -> str:
    """A project of `runs` runs in the bench user's workspace: created through the API, its
    runs COPYed into PostgreSQL (configs, two metric summaries and a result each)."""
    project = _ok(
        client.post(f"/v1/workspaces/{workspace_id}/projects", json={"name": f"sweep-{runs}"}),
        201,
    )
    rng = random.Random(20_000)  # noqa: S311 (made-up data, repeatable)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    run_rows, metric_rows, result_rows = [], [], []
    for index in range(runs):
        run_id = uuid.uuid4()
        created = start + timedelta(seconds=30 * index)
        config = {
            "lr": round(10 ** rng.uniform(-5, -1), 8),
            "optimizer": {"name": rng.choice(LARGE_OPTIMIZERS), "momentum": rng.choice([0.0, 0.9])},
            "batch": rng.choice([16, 32, 64, 128]),
            "seed": index % 1000,
            "model": {"layers": rng.randint(2, 48), "width": rng.choice([256, 512, 1024])},
        }
        run_rows.append(
            (
                run_id,
                project["id"],
                workspace_id,
                f"run-{index}",
                json.dumps(config),
                "{sweep-" + str(index % 10) + "}",
                rng.choice(LARGE_STATUSES),
                created,
                created,
                created,
                created + timedelta(hours=2),
            )
        )
        low = rng.uniform(0, 1)
        metric_rows.append((run_id, "loss", 1000, low, 3 * rng.random() + low, low + 0.1, 999, 0))
        metric_rows.append((run_id, "val/acc", 100, 0.1, 0.99, rng.random(), 99, 0))
        result_rows.append((run_id, "acc", rng.random(), created))
    with psycopg.connect(database_url) as connection:
        for table, columns, rows in (
            (
                "runs",
                "id, project_id, workspace_id, name, config, tags, status, created_at,"
                " updated_at, started_at, ended_at",
                run_rows,
            ),
            (
                "run_metrics",
                "run_id, name, count, min, max, last_value, last_step, first_step",
                metric_rows,
            ),
            ("run_results", "run_id, name, value, logged_at", result_rows),
        ):
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        connection.execute("ANALYZE")
    return str(project["id"])


# ---------------------------------------------------------------- browser


def _session_script(tokens: dict[str, Any]) -> str:
    session = {
        "accessToken": tokens["access_token"],
        "accessExpiresAt": 0,
        "refreshToken": tokens["refresh_token"],
        "user": {
            "id": tokens["user"]["id"],
            "email": tokens["user"]["email"],
            "name": tokens["user"]["name"],
        },
    }
    return f"localStorage.setItem('wavedb.session', {json.dumps(json.dumps(session))});"


def time_view(
    browser: Browser,
    base_url: str,
    tokens: dict[str, Any],
    path: str,
    ready: Callable[[Page], None],
    repeat: int,
) -> list[float]:
    """Milliseconds from navigation start until `ready` returns, each in a fresh context."""
    timings = []
    for _ in range(repeat):
        context = browser.new_context(base_url=base_url, viewport={"width": 1600, "height": 1000})
        context.add_init_script(_session_script(tokens))
        page = context.new_page()
        page.goto(f"/#{path}", wait_until="commit")
        ready(page)
        timings.append(float(page.evaluate("() => performance.now()")))
        context.close()
    return timings


def _table_ready(rows: int) -> Callable[[Page], None]:
    """Ready once the table shows `rows` rows (it renders only those in view, so the first
    screenful: at most about 30 on a 1000 px high window)."""

    def ready(page: Page) -> None:
        page.wait_for_function(
            f"() => document.querySelectorAll('[data-testid=run-row]').length >= {rows}",
            timeout=60_000,
            polling="raf",
        )

    return ready


def _compare_ready(runs: int, *, every_chart: bool) -> Callable[[Page], None]:
    """Ready once the first compare chart (or every chart on the page: system/ charts start
    folded) shows all `runs` runs."""
    wanted = (
        f"charts.length >= {len(METRICS) - 2} && drawn === charts.length"
        if every_chart
        else "drawn >= 1"
    )

    def ready(page: Page) -> None:
        page.wait_for_function(
            "() => { const charts = [...document.querySelectorAll('[data-testid=compare-chart]')];"
            f" const drawn = charts.filter(c => Number(c.dataset.series) === {runs}).length;"
            f" return {wanted}; }}",
            timeout=60_000,
            polling="raf",
        )

    return ready


def _run_page_ready(page: Page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=metric-chart]')]"
        f".filter(chart => Number(chart.dataset.count) > 0).length >= {len(METRICS) - 2}",
        timeout=60_000,
        polling="raf",
    )


def save_run_page(
    browser: Browser, base_url: str, tokens: dict[str, Any], run_id: str, path: Path
) -> None:
    context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 1050})
    context.add_init_script(_session_script(tokens))
    page = context.new_page()
    page.goto(f"/#/runs/{run_id}?smooth=0.6")
    _run_page_ready(page)
    page.wait_for_timeout(500)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    context.close()
    print(f"screenshot: {path}")


def save_screenshots(
    browser: Browser,
    base_url: str,
    tokens: dict[str, Any],
    project_id: str,
    run_ids: list[str],
    compared: list[str],
    directory: Path,
) -> None:
    """The README's pictures: a run page, the project view grouped by optimizer (one line per
    group with its min-max band) and compare of runs grouped the same way."""
    save_run_page(browser, base_url, tokens, run_ids[0], directory / "run-page.png")
    context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 1050})
    context.add_init_script(_session_script(tokens))
    page = context.new_page()
    page.goto(f"/#/projects/{project_id}?charts=1&smooth=0.6")
    page.get_by_test_id("group-by-select").select_option("optimizer")
    _screenshot_grouped_charts(page, "project-chart", 6, directory / "grouping.png")
    page.locator('[data-testid="group-key"][data-key="optimizer"] button').click()
    page.wait_for_timeout(500)
    page.goto(f"/#/compare?runs={','.join(compared)}&group=optimizer&smooth=0.6")
    _screenshot_grouped_charts(page, "compare-chart", 4, directory / "compare.png")
    context.close()
    print(f"screenshots: {directory}")


def _screenshot_grouped_charts(page: Page, chart_test_id: str, charts: int, path: Path) -> None:
    """Once `charts` charts (test id `chart_test_id`) draw three lines each (one per
    optimizer group) and have settled, save the page to `path`."""
    page.wait_for_function(
        f"() => [...document.querySelectorAll('[data-testid={chart_test_id}] .chart')]"
        f".filter(chart => chart.dataset.lines === '3').length >= {charts}",
        timeout=60_000,
    )
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))


def api_ms(client: httpx.Client, path: str, params: dict[str, Any], repeat: int = 5) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        _ok(client.get(path, params=params))
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _row(label: str, timings: list[float], api: float) -> str:
    return (
        f"| {label} | {statistics.median(timings):,.0f} | {min(timings):,.0f} |"
        f" {max(timings):,.0f} | {api:,.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--compare", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--large-runs", type=int, default=20_000, help="runs of the large project (0: none)"
    )
    parser.add_argument(
        "--only-large", action="store_true", help="time only the large project's run table"
    )
    parser.add_argument("--chromium", default=str(CHROMIUM))
    parser.add_argument(
        "--screenshot", type=Path, help="also save a screenshot of a run page (PNG) here"
    )
    parser.add_argument(
        "--screenshots",
        type=Path,
        help="save the README's screenshots (run-page.png, grouping.png, compare.png) here",
    )
    options = parser.parse_args()

    site = StaticSite(REPOSITORY / "web" / "dist")
    if not site.built:
        sys.exit("the dashboard is not built: run `make web` first")
    config = LocalStackConfig(
        template_path=REPOSITORY / "template.yaml",
        data_dir=Path(tempfile.mkdtemp(prefix="wavedb-bench-web-")),
        port=0,
        jwt_secret=uuid.uuid4().hex * 2,
        site_dir=site.root,
        parameter_overrides={"LogLevel": "WARNING"},
    )
    stack = LocalStack(config)
    print("starting the local stack...", flush=True)
    stack.start(serve_http=True, event_sources=True)
    try:
        run_benchmark(stack, options)
    finally:
        stack.stop()


def _large_api_params(query: str) -> dict[str, Any]:
    """The listing's parameters behind one of LARGE_VIEWS (as the table asks for them)."""
    params: dict[str, Any] = {"limit": 100}
    if query.startswith("?sort="):
        params["sort"] = query.removeprefix("?sort=").replace("summary:", "summary.")
    elif query.startswith("?q="):
        from urllib.parse import unquote

        params["filter"] = unquote(query.removeprefix("?q="))
    return params


def run_benchmark(stack: LocalStack, options: argparse.Namespace) -> None:
    small = not options.only_large
    with httpx.Client(base_url=stack.api_url, timeout=120) as client:
        tokens, project_id, run_ids = create_project(client, options.runs if small else 0)
        client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        points = options.runs * len(METRICS) * options.steps
        if small:
            print(f"loading {points:,} points ...", flush=True)
            seconds = load_points(stack.database_url, run_ids, options.steps)
            print(f"loaded in {seconds:.0f} s", flush=True)
            compared = run_ids[: options.compare]
            table_api = api_ms(client, f"/v1/projects/{project_id}/runs", {"limit": 100})
            compare_api = api_ms(
                client,
                "/v1/series",
                {
                    "run_ids": ",".join(compared),
                    "name": "train/loss",
                    "points": 600,
                    "layout": "columns",
                },
            )
            run_api = api_ms(
                client,
                f"/v1/runs/{run_ids[0]}/series",
                {"name": "train/loss", "points": 600, "layout": "columns"},
            )
        large_id = ""
        large_api: list[float] = []
        if options.large_runs:
            workspace_id = _ok(client.get(f"/v1/projects/{project_id}"))["workspace_id"]
            print(f"seeding a project of {options.large_runs:,} runs ...", flush=True)
            large_id = seed_large_project(
                client, stack.database_url, workspace_id, options.large_runs
            )
            large_api = [
                api_ms(client, f"/v1/projects/{large_id}/runs", _large_api_params(query))
                for _, query in LARGE_VIEWS
            ]

    with sync_playwright() as driver:
        browser = launch_chromium(driver, Path(options.chromium))
        try:
            base = stack.api_url

            def timed(path: str, ready: Callable[[Page], None]) -> list[float]:
                return time_view(browser, base, tokens, path, ready, options.repeat)

            if small:
                table = timed(f"/projects/{project_id}", _table_ready(min(options.runs, 20)))
                compare_path = f"/compare?runs={','.join(compared)}"
                compare_first = timed(
                    compare_path, _compare_ready(len(compared), every_chart=False)
                )
                compare_all = timed(compare_path, _compare_ready(len(compared), every_chart=True))
                run_page = timed(f"/runs/{run_ids[0]}", _run_page_ready)
            large = [
                timed(f"/projects/{large_id}{query}", _table_ready(10))
                for _, query in LARGE_VIEWS
                if large_id
            ]
            version = browser.version
            if options.screenshot and small:
                save_run_page(browser, base, tokens, run_ids[0], options.screenshot)
            if options.screenshots and small:
                save_screenshots(
                    browser, base, tokens, project_id, run_ids, compared, options.screenshots
                )
        finally:
            browser.close()

    print()
    if small:
        print(
            f"{options.runs} runs x {len(METRICS)} metrics x {options.steps:,} steps"
            f" = {points:,} points"
        )
    if large_id:
        print(f"{options.large_runs:,} runs with configs, two metric summaries and a result each")
    print(f"Chromium {version}, headless; cold page loads, ms from navigation start")
    print()
    print("| view | median ms | fastest | slowest | API read behind it, median ms |")
    print("|---|---:|---:|---:|---:|")
    if small:
        print(_row(f"run table ({options.runs} runs, summaries): first rows", table, table_api))
        print(_row(f"compare {len(compared)} runs: first chart drawn", compare_first, compare_api))
        print(
            _row(
                f"compare {len(compared)} runs: all {len(METRICS) - 2} open charts",
                compare_all,
                compare_api,
            )
        )
        open_charts = len(METRICS) - 2  # the two system/ charts start folded
        print(
            _row(f"run page ({len(METRICS)} metrics, {open_charts} open charts)", run_page, run_api)
        )
    for (label, _), timings, api in zip(LARGE_VIEWS[: len(large)], large, large_api, strict=True):
        print(_row(f"run table of {options.large_runs:,} runs: {label}", timings, api))


if __name__ == "__main__":
    main()
