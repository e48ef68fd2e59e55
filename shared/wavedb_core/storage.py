"""The media bucket, reached only through boto3: presigned uploads and downloads, what an
object is, and removing objects (every version: the bucket keeps versions, so that a
second upload with the same grant can be undone)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wavedb_core.aws import aws_client
from wavedb_core.errors import ServiceUnavailable
from wavedb_core.settings import get_settings

# Objects carry this tag until the media worker accepts them; the bucket's lifecycle
# expires objects still `pending` (abandoned or refused uploads).
UPLOAD_TAG = "wavedb-upload"
PENDING = "pending"
ACCEPTED = "accepted"
_PENDING_TAGGING = (
    f"<Tagging><TagSet><Tag><Key>{UPLOAD_TAG}</Key><Value>{PENDING}</Value></Tag>"
    "</TagSet></Tagging>"
)
_DELETE_BATCH = 1_000  # DeleteObjects takes at most 1,000 keys


@dataclass(frozen=True)
class StoredObject:
    """What HEAD says about the current version of an object."""

    key: str
    version_id: str | None
    size: int
    content_type: str
    last_modified: datetime


def _bucket() -> str:
    bucket = get_settings().media_bucket
    if not bucket:
        raise ServiceUnavailable("media storage is not configured", code="media_unavailable")
    return bucket


def _s3() -> Any:
    return aws_client("s3")


def _status(error: Exception) -> int | None:
    response = getattr(error, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def presigned_upload(
    key: str, *, content_type: str, size: int, expires_in: int
) -> tuple[str, dict[str, str]]:
    """A presigned POST for exactly this key, content type and size, tagged pending."""
    fields = {"Content-Type": content_type, "tagging": _PENDING_TAGGING}
    conditions: list[Any] = [
        {"Content-Type": content_type},
        {"tagging": _PENDING_TAGGING},
        ["content-length-range", size, size],
    ]
    post = _s3().generate_presigned_post(
        Bucket=_bucket(), Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
    )
    return str(post["url"]), {name: str(value) for name, value in post["fields"].items()}


def presigned_download(
    key: str,
    *,
    version_id: str | None,
    content_type: str,
    filename: str | None,
    inline: bool,
    expires_in: int,
) -> str:
    """A presigned GET of one version, answered with our content type and disposition."""
    disposition = "inline" if inline else "attachment"
    if filename:
        escaped = filename.replace("\\", "_").replace('"', "_")
        disposition += f'; filename="{escaped}"'
    params: dict[str, Any] = {
        "Bucket": _bucket(),
        "Key": key,
        "ResponseContentType": content_type,
        "ResponseContentDisposition": disposition,
    }
    if version_id:
        params["VersionId"] = version_id
    return str(_s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))


def head(key: str) -> StoredObject | None:
    """The current version of the object, or None when there is none."""
    s3 = _s3()
    try:
        answer = s3.head_object(Bucket=_bucket(), Key=key)
    except s3.exceptions.ClientError as error:
        if _status(error) == 404:
            return None
        raise
    return StoredObject(
        key=key,
        version_id=answer.get("VersionId"),
        size=int(answer["ContentLength"]),
        content_type=str(answer.get("ContentType") or ""),
        last_modified=answer["LastModified"],
    )


def read_start(key: str, version_id: str | None, length: int) -> bytes:
    """The first `length` bytes of one version."""
    params: dict[str, Any] = {"Bucket": _bucket(), "Key": key, "Range": f"bytes=0-{length - 1}"}
    if version_id:
        params["VersionId"] = version_id
    body = _s3().get_object(**params)["Body"]
    try:
        return bytes(body.read())
    finally:
        body.close()


def put(key: str, data: bytes, *, content_type: str) -> str | None:
    """Store bytes the server itself received; answers the version id."""
    answer = _s3().put_object(
        Bucket=_bucket(),
        Key=key,
        Body=data,
        ContentType=content_type,
        Tagging=f"{UPLOAD_TAG}={ACCEPTED}",
    )
    version = answer.get("VersionId")
    return str(version) if version else None


def mark_accepted(key: str, version_id: str | None) -> None:
    """Tag the accepted version so the lifecycle rule for abandoned uploads spares it."""
    params: dict[str, Any] = {
        "Bucket": _bucket(),
        "Key": key,
        "Tagging": {"TagSet": [{"Key": UPLOAD_TAG, "Value": ACCEPTED}]},
    }
    if version_id:
        params["VersionId"] = version_id
    _s3().put_object_tagging(**params)


def versions(key: str) -> list[str | None]:
    """The version ids stored under exactly this key (None: an unversioned object)."""
    answer = _s3().list_object_versions(Bucket=_bucket(), Prefix=key)
    found: list[str | None] = []
    for entry in [*answer.get("Versions", []), *answer.get("DeleteMarkers", [])]:
        if entry.get("Key") == key:
            version = entry.get("VersionId")
            found.append(None if version in (None, "null") else str(version))
    return found


def stored_versions(prefix: str) -> set[tuple[str, str | None]]:
    """Every (key, version id) under `prefix`, and (key, None) for each key with a current
    version (what an item stored without a version id is served from)."""
    found: set[tuple[str, str | None]] = set()
    pages = _s3().get_paginator("list_object_versions").paginate(Bucket=_bucket(), Prefix=prefix)
    for page in pages:
        for entry in page.get("Versions", []):
            key = str(entry["Key"])
            version = entry.get("VersionId")
            if version not in (None, "null"):
                found.add((key, str(version)))
            if entry.get("IsLatest"):
                found.add((key, None))
    return found


def delete_all_versions(key: str) -> None:
    """Remove the object entirely (every version, or the object of an unversioned bucket)."""
    delete_objects([key])


def delete_other_versions(key: str, *, keep: str | None) -> int:
    """Delete every version of the object but `keep`; answers how many went. Without
    versioning (`keep` None) there is nothing else to delete."""
    if keep is None:
        return 0
    doomed = [version for version in versions(key) if version != keep]
    s3 = _s3()
    for version in doomed:
        params: dict[str, Any] = {"Bucket": _bucket(), "Key": key}
        if version is not None:
            params["VersionId"] = version
        s3.delete_object(**params)
    return len(doomed)


def delete_objects(keys: Sequence[str]) -> list[str]:
    """Delete every version of each key; answers the keys that are gone."""
    s3 = _s3()
    bucket = _bucket()
    gone: list[str] = []
    for start in range(0, len(keys), _DELETE_BATCH):
        chunk = keys[start : start + _DELETE_BATCH]
        targets: list[dict[str, str]] = []
        for key in chunk:
            found = versions(key)
            targets.extend(
                {"Key": key, "VersionId": version} if version else {"Key": key} for version in found
            )
            if not found:
                targets.append({"Key": key})
        failed: set[str] = set()
        for offset in range(0, len(targets), _DELETE_BATCH):
            answer = s3.delete_objects(
                Bucket=bucket,
                Delete={"Objects": targets[offset : offset + _DELETE_BATCH], "Quiet": True},
            )
            failed.update(str(error["Key"]) for error in answer.get("Errors", []))
        gone.extend(key for key in chunk if key not in failed)
    return gone


class MultipartUpload:
    """An object written part by part (bounded memory: one part at a time). Nothing is
    readable under the key until `complete()`; `abort()` throws the parts away. Use it
    through `multipart_upload()`, which aborts on any error."""

    def __init__(self, key: str, *, content_type: str, filename: str, part_bytes: int) -> None:
        self.key = key
        self.size = 0
        self._part_bytes = part_bytes
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        escaped = filename.replace("\\", "_").replace('"', "_")
        answer = _s3().create_multipart_upload(
            Bucket=_bucket(),
            Key=key,
            ContentType=content_type,
            ContentDisposition=f'attachment; filename="{escaped}"',
        )
        self._upload_id = str(answer["UploadId"])

    def write(self, data: bytes) -> None:
        self._buffer += data
        self.size += len(data)
        if len(self._buffer) >= self._part_bytes:
            self._send_part()

    def _send_part(self) -> None:
        number = len(self._parts) + 1
        answer = _s3().upload_part(
            Bucket=_bucket(),
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=bytes(self._buffer),
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self._buffer.clear()

    def complete(self) -> str | None:
        """Upload what is left and make the object readable; answers its version id."""
        if self._buffer or not self._parts:  # an empty object is one empty part
            self._send_part()
        answer = _s3().complete_multipart_upload(
            Bucket=_bucket(),
            Key=self.key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )
        version = answer.get("VersionId")
        return str(version) if version else None

    def abort(self) -> None:
        self._buffer.clear()
        _s3().abort_multipart_upload(Bucket=_bucket(), Key=self.key, UploadId=self._upload_id)


@contextmanager
def multipart_upload(
    key: str, *, content_type: str, filename: str, part_bytes: int
) -> Iterator[MultipartUpload]:
    """A multipart upload that is aborted when the block raises (the caller completes it).
    Should the process die instead, the incomplete upload stays invisible and the bucket's
    lifecycle rule removes it."""
    upload = MultipartUpload(
        key, content_type=content_type, filename=filename, part_bytes=part_bytes
    )
    try:
        yield upload
    except BaseException:
        # The original error matters more; should the abort fail too, the lifecycle rule
        # removes the parts.
        with suppress(Exception):
            upload.abort()
        raise
