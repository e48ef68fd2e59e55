"""What the SDK sends, one operation at a time, in order: create the run, a metric batch,
results, a run update, a media item, the final status. Every operation is idempotent on the
server (client-chosen run, batch and media ids), so sending one twice changes nothing; this
is what makes retries, spooling and `wavedb sync` exactly-once."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wavedb.api import ApiClient
from wavedb.errors import ApiError

logger = logging.getLogger("wavedb")

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


# Run fields an API may refuse while the rest of the request is good: an API older than
# this SDK does not know them (a 422 for an unknown field), or a client's clock was never set.
# Without them the run is still created and ended, on the API's clock.
OPTIONAL_RUN_FIELDS = ("started_at", "ended_at", "provenance")


def without_refused_fields(send: Callable[[dict[str, Any]], Any], body: dict[str, Any]) -> Any:
    """`send(body)`; when the API refuses it (422) naming one of OPTIONAL_RUN_FIELDS,
    `send` again without those fields (not at all when nothing else is left)."""
    try:
        return send(body)
    except ApiError as error:
        named = [name for name in OPTIONAL_RUN_FIELDS if name in body and name in error.message]
        if error.status != 422 or not named:
            raise
        logger.warning("wavedb: the API refused %s (%s); sent without it", named[0], error)
    rest = {name: value for name, value in body.items() if name not in OPTIONAL_RUN_FIELDS}
    return send(rest) if rest else None


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
        without_refused_fields(lambda fields: client.update_run(run_id, **fields), body)
    elif operation.kind == "media":
        _media(client, operation)
    else:  # pragma: no cover - the kinds are closed
        raise ValueError(f"unknown operation {operation.kind}")


def _create_run(client: ApiClient, operation: Operation) -> None:
    body = operation.body
    project = client.resolve_project(body["project"], body.get("workspace"))
    request = dict(body["run"], id=operation.run_id)
    project_id = str(project["id"])
    run = without_refused_fields(lambda fields: client.create_run(project_id, fields), request)
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
