"""Deleting a run while the ingest worker writes its metrics: the deletion removes the
run's metric rows by cascade, the worker locks those rows and then refers to the run, so
PostgreSQL finds a deadlock and aborts one of the two. Found by the fuzz suite as a 503
("the database cannot be reached") on DELETE; the deletion now succeeds.

The worker's side is played here by a transaction that takes the locks in the worker's
order, which makes the deadlock certain rather than a matter of timing."""

from __future__ import annotations

import threading
import time

import httpx
import psycopg
import pytest

from tests.security.objects import make_objects
from tests.support.accounts import sign_up

pytestmark = pytest.mark.timeout(60)


def _wait_for_a_blocked_delete(database_url: str, *, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as observer:
        while time.monotonic() < deadline:
            waiting = observer.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query ILIKE 'DELETE%'"
            ).fetchone()
            if waiting and waiting[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the deletion never waited for the worker's rows")


def test_deleting_a_run_while_the_worker_writes_its_metrics_succeeds(
    http: httpx.Client, clean_database: str
) -> None:
    objects = make_objects(http, sign_up(http))
    path = f"/v1/runs/{objects.run_id}"
    answers: list[httpx.Response] = []

    with psycopg.connect(clean_database) as worker:
        # The worker's order: its metric rows first ...
        worker.execute(
            "INSERT INTO run_metrics (run_id, name) VALUES (%s, 'loss') ON CONFLICT DO NOTHING",
            (objects.run_id,),
        )
        worker.execute(
            "UPDATE run_metrics SET count = count + 1 WHERE run_id = %s", (objects.run_id,)
        )
        deleting = threading.Thread(
            target=lambda: answers.append(http.delete(path, headers=objects.owner.bearer)),
            daemon=True,
        )
        deleting.start()
        _wait_for_a_blocked_delete(clean_database)  # it locked the run, waits for the rows
        # ... then a row that refers to the run: a deadlock with the deletion.
        try:
            worker.execute(
                "INSERT INTO run_results (run_id, name, value) VALUES (%s, 'accuracy', 0.5)",
                (objects.run_id,),
            )
        except psycopg.errors.DeadlockDetected:
            worker.rollback()  # PostgreSQL chose the worker; its batch would come back
        else:
            worker.rollback()  # the deletion was chosen, and must still succeed
        deleting.join(timeout=30)

    assert [answer.status_code for answer in answers] == [204], [a.text for a in answers]
    gone = http.get(f"/v1/runs/{objects.run_id}", headers=objects.owner.bearer)
    assert gone.status_code == 404
