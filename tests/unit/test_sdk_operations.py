"""The SDK's spooled operations: a batch spooled by an earlier version (points) is still
sent as points; this version's batches are columnar and stay so through the outbox."""

from __future__ import annotations

from typing import Any

from wavedb.operations import Operation, perform


class _RecordingClient:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def send_batch(self, run_id: str, batch_id: str, *, encoded_points: bytes | None) -> None:
        self.calls.append(("points", encoded_points))

    def send_series(self, run_id: str, batch_id: str, encoded_series: bytes) -> None:
        self.calls.append(("series", encoded_series))


def test_operation_spooled_by_an_earlier_version_is_sent_as_points() -> None:
    spooled = (
        b'{"kind":"batch","run_id":"r","body":{"batch_id":"b"},"point_count":1,'
        b'"points":[{"name":"a","value":1,"step":0}]}'
    )
    client = _RecordingClient()

    perform(client, Operation.decode(spooled))  # type: ignore[arg-type]

    assert client.calls == [("points", b'[{"name":"a","value":1,"step":0}]')]


def test_columnar_operation_stays_columnar_through_the_outbox() -> None:
    series = b'[{"name":"a","steps":[0],"values":[1.0],"timestamps_us":[0]}]'
    operation = Operation("batch", "r", {"batch_id": "b"}, series, 1, columnar=True)
    client = _RecordingClient()

    perform(client, Operation.decode(operation.encode()))  # type: ignore[arg-type]

    assert client.calls == [("series", series)]
