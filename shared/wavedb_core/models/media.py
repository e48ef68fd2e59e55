"""Media of runs: what a client asks for, what it is granted, and what it reads back."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints

from wavedb_core.models.base import RequestModel, ResponseModel, any_case
from wavedb_core.models.metrics import MAX_METRIC_NAME_LENGTH, MAX_STEP, METRIC_NAME_PATTERN

MediaKind = Literal["image", "audio", "text", "file", "histogram"]
UploadKind = Literal["image", "audio", "text", "file"]
# `missing`: was ready, but its object is no longer in the bucket; uploading it again repairs it.
MediaStatus = Literal["pending", "ready", "rejected", "missing"]

UPLOAD_KINDS: tuple[UploadKind, ...] = ("image", "audio", "text", "file")
MEDIA_KINDS: tuple[MediaKind, ...] = (*UPLOAD_KINDS, "histogram")
MEDIA_STATUSES: tuple[MediaStatus, ...] = ("pending", "ready", "rejected", "missing")

# Text up to this size is stored inline; longer text is uploaded to S3 like a file.
MAX_INLINE_TEXT_BYTES = 64 * 1024
# A listing carries at most this much of each inline text (`text_truncated` says so);
# the item itself carries all of it.
TEXT_PREVIEW_CHARACTERS = 2_000
MAX_CAPTION_LENGTH = 1_000
MAX_FILENAME_LENGTH = 255
MAX_HISTOGRAM_BINS = 512
DEFAULT_HISTOGRAM_BINS = 64
MAX_HISTOGRAM_VALUES = 100_000
DEFAULT_MEDIA_PAGE = 50
MAX_MEDIA_PAGE = 100

_IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"}
)
_AUDIO_TYPES = frozenset(
    {
        "audio/wav",
        "audio/x-wav",
        "audio/mpeg",
        "audio/ogg",
        "audio/flac",
        "audio/x-flac",
        "audio/webm",
        "audio/mp4",
        "audio/aac",
    }
)
_TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/csv", "application/json"})
_FILE_TYPES = frozenset(
    {
        "application/octet-stream",
        "application/zip",
        "application/gzip",
        "application/x-tar",
        "application/pdf",
        "application/x-ndjson",
        "application/x-hdf5",
        "application/vnd.apache.parquet",
        "application/x-npy",
        "video/mp4",
        "video/webm",
    }
)
# What each kind accepts. Never anything a browser would run (HTML, SVG, JavaScript).
ACCEPTED_CONTENT_TYPES: dict[UploadKind, frozenset[str]] = {
    "image": _IMAGE_TYPES,
    "audio": _AUDIO_TYPES,
    "text": _TEXT_TYPES,
    "file": _FILE_TYPES | _IMAGE_TYPES | _AUDIO_TYPES | _TEXT_TYPES,
}

# The file name extensions of each accepted type, the first one added when a name lacks one.
_OPAQUE_EXTENSIONS = (".bin",)
_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/png": (".png", ".apng"),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/bmp": (".bmp", ".dib"),
    "image/avif": (".avif",),
    "audio/wav": (".wav", ".wave"),
    "audio/x-wav": (".wav", ".wave"),
    "audio/mpeg": (".mp3",),
    "audio/ogg": (".ogg", ".oga", ".opus"),
    "audio/flac": (".flac",),
    "audio/x-flac": (".flac",),
    "audio/webm": (".weba", ".webm"),
    "audio/mp4": (".m4a", ".mp4"),
    "audio/aac": (".aac",),
    "text/plain": (".txt", ".text", ".log"),
    "text/markdown": (".md", ".markdown"),
    "text/csv": (".csv",),
    "application/json": (".json",),
    "application/octet-stream": _OPAQUE_EXTENSIONS,
    "application/zip": (".zip",),
    "application/gzip": (".gz", ".tgz"),
    "application/x-tar": (".tar",),
    "application/pdf": (".pdf",),
    "application/x-ndjson": (".ndjson", ".jsonl"),
    "application/x-hdf5": (".h5", ".hdf5"),
    "application/vnd.apache.parquet": (".parquet",),
    "application/x-npy": (".npy",),
    "video/mp4": (".mp4", ".m4v"),
    "video/webm": (".webm",),
}
# Extensions a browser or a desktop opens as something it runs or renders as a page.
_ACTIVE_EXTENSIONS = frozenset(
    {
        ".htm", ".html", ".xhtml", ".xht", ".shtml", ".mht", ".mhtml", ".svg", ".svgz",
        ".xml", ".xsl", ".xslt", ".js", ".mjs", ".hta", ".swf",
    }
)  # fmt: skip


def served_filename(filename: str | None, content_type: str) -> str | None:
    """The name the bytes are served under: the client's name, ending in an extension of the
    type they are served as (`x.html` served as image/png is `x.html.png`). A file of
    `application/octet-stream` keeps its name unless it names a page or a script."""
    if not filename:
        return None
    extensions = _EXTENSIONS.get(bare_content_type(content_type), _OPAQUE_EXTENSIONS)
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix in extensions:
        return filename
    if extensions is _OPAQUE_EXTENSIONS and suffix not in _ACTIVE_EXTENSIONS:
        return filename  # opaque bytes: a browser only saves them, under their own name
    return filename + extensions[0]


# A file name is a name, not a path: no separators, no "..", no control characters.
_FILENAME_RE = re.compile(r"^(?!\.{1,2}$)[^/\\\x00-\x1f\x7f]+$")


def filename_problem(filename: str) -> str | None:
    """Why a client's file name is refused, or None."""
    if not filename or len(filename) > MAX_FILENAME_LENGTH:
        return f"1 to {MAX_FILENAME_LENGTH} characters"
    if not _FILENAME_RE.match(filename):
        return "a plain file name: no '/', '\\' or control characters, not '.' or '..'"
    return None


def bare_content_type(value: str) -> str:
    """`Image/PNG; charset=x` → `image/png`."""
    return value.split(";", 1)[0].strip().lower()


class HistogramIn(RequestModel):
    """Either `bins` (edges, one more than `counts`) with `counts`, or raw `values` that
    the server bins into `num_bins` equal bins."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["bins", "counts"],
                    "properties": {"bins": {"type": "array"}, "counts": {"type": "array"}},
                },
                {"required": ["values"], "properties": {"values": {"type": "array"}}},
            ]
        }
    )

    bins: list[float] | None = Field(default=None, max_length=MAX_HISTOGRAM_BINS + 1)
    counts: list[float] | None = Field(default=None, max_length=MAX_HISTOGRAM_BINS)
    values: list[float] | None = Field(default=None, max_length=MAX_HISTOGRAM_VALUES)
    num_bins: int = Field(default=DEFAULT_HISTOGRAM_BINS, ge=1, le=MAX_HISTOGRAM_BINS)


_ABSENT: dict[str, Any] = {"type": "null"}


def _content_types(types: frozenset[str], *, optional: bool = False) -> dict[str, Any]:
    """A content type of `types` in any case, maybe with parameters (`; charset=...`)."""
    spelled = "|".join(any_case(kind) for kind in sorted(types))
    accepted = rf"(?:{spelled})\s*(?:;[\s\S]*)?"
    if optional:
        return {"anyOf": [{"type": "string", "pattern": rf"^\s*(?:{accepted})?$"}, _ABSENT]}
    return {"type": "string", "pattern": rf"^\s*{accepted}$"}


def media_kinds_schema(schema: dict[str, Any], _: type) -> None:
    """What each kind takes (checked in services.media; the upload sizes are the
    deployment's, read when the document is made)."""
    from wavedb_core.services.media import max_upload_bytes

    uploads = [
        {
            "required": ["kind", "content_type", "size"],
            "properties": {
                "kind": {"const": kind},
                "content_type": _content_types(ACCEPTED_CONTENT_TYPES[kind]),
                "size": {"type": "integer", "maximum": max_upload_bytes(kind)},
                "text": _ABSENT,
                "histogram": _ABSENT,
            },
        }
        for kind in UPLOAD_KINDS
    ]
    inline_text = {
        "required": ["kind", "text"],
        "properties": {
            "kind": {"const": "text"},
            "text": {"type": "string"},
            "content_type": _content_types(ACCEPTED_CONTENT_TYPES["text"], optional=True),
            "size": _ABSENT,
            "histogram": _ABSENT,
        },
    }
    histogram = {
        "required": ["kind", "histogram"],
        "properties": {
            "kind": {"const": "histogram"},
            "histogram": {"type": "object"},
            **dict.fromkeys(("content_type", "size", "filename", "text"), _ABSENT),
        },
    }
    schema["anyOf"] = [*uploads, inline_text, histogram]


class MediaCreateRequest(RequestModel):
    """One media item of a run.

    `image`, `audio`, `file` and long `text`: give `content_type` and `size` (bytes); the
    answer carries a presigned POST to upload the bytes straight to S3. Short `text`
    (≤ 64 KB): give `text`. `histogram`: give `histogram`. Both are stored at once.
    """

    model_config = ConfigDict(json_schema_extra=media_kinds_schema)

    media_id: UUID | None = Field(
        default=None,
        description="Your own id for the item: a retried request with the same id and the"
        " same fields answers the same item (and a fresh upload grant while it is pending,"
        " or `missing`: its bytes were lost and can be uploaded again).",
    )
    name: str = Field(
        min_length=1,
        max_length=MAX_METRIC_NAME_LENGTH,
        # Checked with the item (see services.media); stated here so the document says it.
        json_schema_extra={"pattern": METRIC_NAME_PATTERN},
    )
    step: int = Field(default=0, ge=0, le=MAX_STEP)
    kind: MediaKind
    caption: str | None = Field(default=None, max_length=MAX_CAPTION_LENGTH)
    content_type: str | None = Field(default=None, max_length=100)
    size: int | None = Field(default=None, ge=1, description="The exact size of the upload.")
    filename: str | None = Field(
        default=None,
        max_length=MAX_FILENAME_LENGTH,
        json_schema_extra={"pattern": _FILENAME_RE.pattern},
    )
    # Text is kept exactly as given (request fields are otherwise stripped of white space).
    text: Annotated[str, StringConstraints(strip_whitespace=False)] | None = Field(
        default=None, description="Inline text, at most 64 KB as UTF-8."
    )
    histogram: HistogramIn | None = None


class Histogram(ResponseModel):
    bins: list[float] = Field(description="Bin edges, one more than `counts`.")
    counts: list[float]


class UploadGrant(ResponseModel):
    """A presigned POST: send `fields` and then the file as multipart/form-data to `url`."""

    method: Literal["POST"] = "POST"
    url: str
    fields: dict[str, str]
    expires_at: datetime
    max_bytes: int


class MediaView(ResponseModel):
    id: UUID
    run_id: UUID
    name: str
    step: int
    kind: MediaKind
    status: MediaStatus
    caption: str | None
    content_type: str | None
    filename: str | None
    size_bytes: int | None
    width: int | None
    height: int | None
    reject_reason: str | None = Field(
        description="Why a `rejected` item was refused, or why a `missing` one is unavailable."
    )
    text: str | None = None
    text_truncated: bool = False
    histogram: Histogram | None = None
    url: str | None = Field(
        default=None, description="A short-lived presigned GET of the bytes (ready items)."
    )
    url_expires_at: datetime | None = None
    created_at: datetime
    ready_at: datetime | None


class MediaCreated(ResponseModel):
    media: MediaView
    upload: UploadGrant | None = Field(
        default=None, description="Where to upload the bytes (null for inline items)."
    )


class MediaPage(ResponseModel):
    items: list[MediaView]
    next_cursor: str | None


class MediaNameSummary(ResponseModel):
    name: str
    kind: MediaKind
    count: int
    ready: int
    min_step: int
    max_step: int


class MediaNameList(ResponseModel):
    items: list[MediaNameSummary]
