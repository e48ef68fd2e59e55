"""What the SDK sends, one operation at a time, in order: create the run, a metric batch,
results, a run update, a media item, the final status. Every operation is idempotent on the
server (client-chosen run, batch and media ids), so sending one twice changes nothing; this
is what makes retries, spooling and `wavedb sync` exactly-once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wavedb.api import ApiClient
from wavedb.errors import ApiError

OperationKind = Literal["create_run", "batch", "results", "update", "media", "finish"]


@dataclass(slots=True)
class Operation:
    kind: OperationKind
    run_id: str
    body: dict[str, Any] = field(default_factory=dict)
    # A batch's points, already encoded as a JSON array: of series (what this version sends)
    # or of points (operations spooled by earlier versions).
    points: bytes | None = None
    point_count: int = 0
    columnar: bool = False
    # A media item's bytes, when it has an upload.
    data: bytes | None = None

    def describe(self) -> str:
        if self.kind == "batch":
            return f"batch {self.body['batch_id']} ({self.point_count} points)"
        if self.kind == "media":
            return f"{self.body.get('kind', 'media')} {self.body.get('name')!r}"
        return self.kind.replace("_", " ")

    # ------------------------------------------------------------------ files
    def encode(self) -> bytes:
        """The operation as one JSON document (the points are embedded as they are)."""
        header = json.dumps(
            {
                "kind": self.kind,
                "run_id": self.run_id,
                "body": self.body,
                "point_count": self.point_count,
                "columnar": self.columnar,
            },
            separators=(",", ":"),
        ).encode()
        if self.points is None:
            return header
        return header[:-1] + b',"points":' + self.points + b"}"

    @classmethod
    def decode(cls, raw: bytes, data: bytes | None = None) -> Operation:
        document = json.loads(raw)
        points = document.get("points")
        return cls(
            kind=document["kind"],
            run_id=document["run_id"],
            body=document.get("body") or {},
            points=None if points is None else json.dumps(points, separators=(",", ":")).encode(),
            point_count=int(document.get("point_count") or 0),
            columnar=bool(document.get("columnar")),
            data=data,
        )


def perform(client: ApiClient, operation: Operation) -> None:
    """Send one operation; ApiError / ApiUnreachable tell what went wrong."""
    run_id = operation.run_id
    body = operation.body
    if operation.kind == "create_run":
        _create_run(client, operation)
    elif operation.kind == "batch":
        if operation.columnar and operation.points is not None:
            client.send_series(run_id, body["batch_id"], operation.points)
        else:
            client.send_batch(run_id, body["batch_id"], encoded_points=operation.points)
    elif operation.kind == "results":
        client.post_results(run_id, body["results"])
    elif operation.kind in ("update", "finish"):
        client.update_run(run_id, **body)
    elif operation.kind == "media":
        _media(client, operation)
    else:  # pragma: no cover - the kinds are closed
        raise ValueError(f"unknown operation {operation.kind}")


def _create_run(client: ApiClient, operation: Operation) -> None:
    body = operation.body
    project = client.resolve_project(body["project"], body.get("workspace"))
    request = dict(body["run"], id=operation.run_id)
    run = client.create_run(str(project["id"]), request)
    if body.get("resume") and run.get("status") != "running":
        client.update_run(operation.run_id, status="running")


def _media(client: ApiClient, operation: Operation) -> None:
    answer = client.create_media(operation.run_id, operation.body)
    upload = answer.get("upload")
    if upload is None:
        return  # stored at once (text, histogram), or uploaded by an earlier attempt
    if operation.data is None:
        raise ApiError(400, "media_bytes_missing", "the bytes of this item were not kept")
    client.upload_to_grant(upload, operation.data, operation.body["content_type"])


def media_file(path: Path) -> Path:
    """Where the bytes of a spooled media operation lie, next to it."""
    return path.with_suffix(".bin")
