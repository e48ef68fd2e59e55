"""A user who posts metric batches through the HTTP API, and what they expect to be stored."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from tests.support.accounts import SignedUpUser, sign_up
from tests.support.ingest import seed_run
from tests.support.sdk import allow_signups

Point = tuple[int, float]  # step, value
Series = dict[str, list[Point]]  # metric name -> points


@dataclass
class MetricWriter:
    http: httpx.Client
    database_url: str
    user: SignedUpUser
    # run id -> batch id -> the points of the batch the API accepted (a batch id sent again
    # is the same batch)
    accepted: dict[str, dict[str, Series]] = field(default_factory=dict)

    def new_run(self, name: str = "run") -> str:
        run_id = seed_run(self.database_url, self.user.id, name=name).id
        self.accepted[run_id] = {}
        return run_id

    def posted(self, run_id: str, *, excluding: frozenset[str] = frozenset()) -> Series:
        """Every point of the run's accepted batches (but those excluded), by metric."""
        merged: Series = {}
        for batch_id, series in self.accepted[run_id].items():
            if batch_id not in excluding:
                for name, points in series.items():
                    merged.setdefault(name, []).extend(points)
        return merged

    def post(
        self, run_id: str, batch_id: str, series: Series, *, client: httpx.Client | None = None
    ) -> httpx.Response:
        """POST one batch; remembered as posted once the API accepted it (202)."""
        body = {
            "batch_id": batch_id,
            "points": [
                {"name": name, "step": step, "value": value}
                for name, points in series.items()
                for step, value in points
            ],
        }
        response = (client or self.http).post(
            f"/v1/runs/{run_id}/metrics", json=body, headers=self.user.bearer
        )
        if response.status_code == 202:
            self.accepted[run_id][batch_id] = series
        return response

    def accept(self, run_id: str, batch_id: str, series: Series) -> None:
        response = self.post(run_id, batch_id, series)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "queued"


def new_writer(http: httpx.Client, database_url: str) -> MetricWriter:
    allow_signups(database_url)
    return MetricWriter(http, database_url, sign_up(http))


def steps(first: int, count: int, *, scale: float = 1.0) -> list[Point]:
    """`count` consecutive steps from `first`, each with its own value."""
    return [(step, scale * step + 0.5) for step in range(first, first + count)]
