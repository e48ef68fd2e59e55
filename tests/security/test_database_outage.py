"""While the database is unreachable the authorizer cannot check any credential. It must
fail closed (nothing is done for the caller) with an answer clients retry: a 503 with
Retry-After from every function behind it, in the function's own error shape, never a
403 or 401 that clients (the SDK among them) take as final."""

from __future__ import annotations

import httpx
import pytest

from tests.security.objects import make_objects
from tests.security.probes import probes_of, send_probe
from tests.support.accounts import create_api_key, sign_up
from tests.support.ingest import drain_ingest_queue
from wavedb_local.stack import LocalStack


def test_database_unreachable_every_function_answers_503_with_retry_after_in_its_shape(
    http: httpx.Client, served_stack: LocalStack, request: pytest.FixtureRequest
) -> None:
    objects = make_objects(http, sign_up(http))
    key = create_api_key(http, objects.owner)
    probes = probes_of(served_stack)
    values = objects.path_values()
    credentials = {"session": objects.owner.bearer, "key": {"x-api-key": str(key["key"])}}

    # The objects' metric batch is written first: a batch the stack's worker found while the
    # database was unreachable would be held back on the queue (minutes) for the next tests.
    drain_ingest_queue(served_stack)
    request.getfixturevalue("unreachable_database")
    answers = {
        (probe.function_id, kind): send_probe(http, probe, values, headers)
        for probe in probes
        for kind, headers in credentials.items()
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 503
    )
    for (function_id, _), answer in answers.items():
        assert int(answer.headers["retry-after"]) >= 1
        body = answer.json()
        if function_id == "ToraFunction":
            assert body["status"] == 503
            assert body["error"] == "SERVICE_UNAVAILABLE"
        elif function_id == "WaveDBCompatFunction":
            assert body["name"] == "ServiceUnavailable"
        else:
            assert body["code"] == "authentication_unavailable"
        assert "retry" in body["message"]
