"""Faults put into the suite's own database for one batch id, with a test-only trigger on
the worker's first write of a part (its row in ingest_batch_parts):

- `refused`: the write fails with a constraint error (a bug or a rule fixed later);
- `connection_cut`: the server ends the worker's connection mid-transaction, as a restart
  or a failover does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

_FAULTS = {
    "refused": "RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation';",
    "connection_cut": "PERFORM pg_terminate_backend(pg_backend_pid());",
}


@contextmanager
def fault_on_batch(database_url: str, batch_id: str, fault: str) -> Iterator[None]:
    function = sql.Identifier(f"reliability_{fault}")
    trigger = sql.Identifier(f"reliability_{fault}_trigger")
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL(
                "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN IF NEW.batch_id = TG_ARGV[0] THEN {action} END IF; RETURN NEW; END $$"
            ).format(function=function, action=sql.SQL(_FAULTS[fault]))
        )
        connection.execute(
            sql.SQL(
                "CREATE TRIGGER {trigger} AFTER INSERT ON ingest_batch_parts FOR EACH ROW"
                " EXECUTE FUNCTION {function}({batch_id})"
            ).format(trigger=trigger, function=function, batch_id=sql.Literal(batch_id))
        )
    try:
        yield
    finally:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP FUNCTION {function}() CASCADE").format(function=function)
            )
