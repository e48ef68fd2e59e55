"""Run search under attack: SQL in filter values, field names and sorts is data or a 400,
never SQL; a filter never reaches another tenant's runs or names."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from tests.support.accounts import SignedUpUser, sign_up
from tests.support.projects import add_metric_summary, make_project
from tests.support.run_search import create_run, run_names, search, seed_searchable_runs


@pytest.fixture
def project(owner: SignedUpUser, clean_database: str) -> str:
    return make_project(clean_database, owner.id)[1]


@pytest.fixture
def runs(
    http: httpx.Client, owner: SignedUpUser, project: str, clean_database: str
) -> dict[str, str]:
    return seed_searchable_runs(http, owner, project, clean_database)


_INJECTIONS = [
    "x' OR '1'='1",
    "'; DELETE FROM runs; --",
    '"; DROP TABLE runs; --',
    "\\' OR 1=1 --",
    ") OR TRUE --",
    "$$ OR TRUE $$",
]


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize("payload", _INJECTIONS)
@pytest.mark.parametrize(
    "template", ['name = "{}"', 'config.optimizer.name = "{}"', 'config.lr ~ "{}"', 'tags = "{}"']
)
def test_search_runs_injected_values_match_nothing_and_change_nothing(
    http: httpx.Client,
    owner: SignedUpUser,
    project: str,
    clean_database: str,
    template: str,
    payload: str,
) -> None:
    escaped = payload.replace("\\", "\\\\").replace('"', '\\"')

    response = search(http, owner, project, filter=template.format(escaped))

    assert run_names(response) == []
    with psycopg.connect(clean_database) as connection:
        count = connection.execute("SELECT count(*) FROM runs").fetchone()
    assert count == (4,)


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize(
    "field",
    [
        "config.lr'--",
        "metrics.loss');DROP",
        "config.a;b",
        'results."acc"',
        "name)or(1",
    ],
)
def test_search_runs_injected_field_names_are_400(
    http: httpx.Client, owner: SignedUpUser, project: str, field: str
) -> None:
    filtered = search(http, owner, project, filter=f"{field} = 1")
    sorted_ = search(http, owner, project, sort=field)

    assert filtered.status_code == 400, filtered.text
    assert sorted_.status_code == 400, sorted_.text


@pytest.mark.usefixtures("runs")
def test_search_runs_field_names_with_quotes_are_400_even_where_such_names_exist(
    http: httpx.Client, owner: SignedUpUser, project: str, clean_database: str
) -> None:
    run_id = create_run(http, owner, project, name="odd", config={"a'b": {'c"d': 1}})
    add_metric_summary(clean_database, run_id, "x'y", last=1.0)

    by_metric = search(http, owner, project, filter="metrics.x'y = 1")
    by_bare_name = search(http, owner, project, filter="x'y >= 1")

    assert by_metric.status_code == 400
    assert by_bare_name.status_code == 400


def test_search_runs_of_another_users_project_is_404(
    http: httpx.Client, owner: SignedUpUser, project: str, runs: dict[str, str]
) -> None:
    stranger = sign_up(http, name="Stranger")

    response = search(http, stranger, project, filter="name ~ a or not name ~ a")

    assert response.status_code == 404


def test_search_all_visible_runs_with_always_true_filter_shows_only_own_runs(
    http: httpx.Client, owner: SignedUpUser, project: str, runs: dict[str, str], clean_database: str
) -> None:
    stranger = sign_up(http, name="Stranger")
    stranger_project = make_project(clean_database, stranger.id)[1]
    create_run(http, stranger, stranger_project, name="mine", config={"lr": 0.5})

    response = http.get(
        "/v1/runs",
        params={"filter": "name ~ a or not name ~ a or lr > 0", "sort": "name"},
        headers=stranger.bearer,
    )

    assert run_names(response) == ["mine"]


def test_search_runs_bare_names_resolve_only_within_the_callers_scope(
    http: httpx.Client, owner: SignedUpUser, project: str, runs: dict[str, str], clean_database: str
) -> None:
    stranger = sign_up(http, name="Stranger")
    stranger_project = make_project(clean_database, stranger.id)[1]
    create_run(http, stranger, stranger_project, name="mine")

    response = search(http, stranger, stranger_project, filter="batch = 32")

    assert response.status_code == 400
    assert response.json()["details"]["known"] == {"config": [], "metrics": [], "results": []}
