"""Media of runs: what a client asks for, what it is granted, and what it reads back."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StringConstraints,
    Tag,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from wavedb_core.models.base import (
    NOT_BLANK,
    WHITE_SPACE,
    RequestModel,
    ResponseModel,
    any_case,
    as_sent,
)
from wavedb_core.models.metrics import (
    MAX_METRIC_NAME_LENGTH,
    MAX_STEP,
    METRIC_NAME_PATTERN,
    name_problem,
)

MediaKind = Literal["image", "audio", "text", "file", "histogram"]
UploadKind = Literal["image", "audio", "text", "file"]
# `missing`: was ready, but its object is no longer in the bucket; uploading it again repairs it.
MediaStatus = Literal["pending", "ready", "rejected", "missing"]

UPLOAD_KINDS: tuple[UploadKind, ...] = ("image", "audio", "text", "file")
MEDIA_KINDS: tuple[MediaKind, ...] = (*UPLOAD_KINDS, "histogram")
MEDIA_STATUSES: tuple[MediaStatus, ...] = ("pending", "ready", "rejected", "missing")

# Text up to this size is stored inline; longer text is uploaded to S3 like a file.
MAX_INLINE_TEXT_BYTES = 64 * 1024
INLINE_TEXT_CONTENT_TYPE = "text/plain"
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
# The same as the document states it of a name as sent, before its surrounding white space
# is stripped: some character that is not white space, and not "." or ".." once stripped.
_FILENAME_AS_SENT = (
    rf"^(?!{WHITE_SPACE}*\.{{1,2}}{WHITE_SPACE}*$)(?={WHITE_SPACE}*{NOT_BLANK})"
    r"[^/\\\x00-\x1f\x7f]+$"
)


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


def _content_type_pattern(kind: UploadKind, *, optional: bool = False) -> str:
    """A content type `kind` accepts, in any case, maybe with parameters (`; charset=...`);
    `optional`: or blank."""
    spelled = "|".join(any_case(accepted) for accepted in sorted(ACCEPTED_CONTENT_TYPES[kind]))
    accepted = rf"(?:{spelled})\s*(?:;[\s\S]*)?"
    return rf"^\s*(?:{accepted})?$" if optional else rf"^\s*{accepted}$"


def _accepted_content_type(kind: UploadKind, value: str) -> str:
    """The bare content type (`Image/PNG; x=y` is `image/png`) if `kind` accepts it."""
    content_type = bare_content_type(value)
    accepted = ACCEPTED_CONTENT_TYPES[kind]
    if not content_type:
        raise ValueError(f"required for {kind} media; accepted: " + ", ".join(sorted(accepted)))
    if content_type not in accepted:
        raise ValueError(
            f"{content_type} is not accepted for {kind} media; accepted: "
            + ", ".join(sorted(accepted))
        )
    return content_type


def _plain_filename(value: str | None) -> str | None:
    if value is not None and (problem := filename_problem(value)):
        raise ValueError(problem)
    return value


def _metric_name(value: str) -> str:
    if problem := name_problem(value):
        raise ValueError(problem)
    return value


MediaName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_METRIC_NAME_LENGTH,
        json_schema_extra={"pattern": METRIC_NAME_PATTERN},
    ),
    AfterValidator(_metric_name),
]
FileName = Annotated[
    str | None,
    Field(
        default=None,
        max_length=MAX_FILENAME_LENGTH,
        json_schema_extra={"pattern": _FILENAME_AS_SENT},
    ),
    AfterValidator(_plain_filename),
]
# A field another kind takes: null or left out (refused as "not used for ... media").
NotUsed = Annotated[None, Field(default=None, description="Not used for this kind.")]


class _MediaCreateFields(RequestModel):
    """What every kind of item takes."""

    # How the item is named in messages: "required for image media", and what a message
    # of a missing field adds.
    described_as: ClassVar[str]
    when_missing: ClassVar[str] = ""

    media_id: UUID | None = Field(
        default=None,
        description="Your own id for the item: a retried request with the same id and the"
        " same fields answers the same item (and a fresh upload grant while it is pending,"
        " or `missing`: its bytes were lost and can be uploaded again).",
    )
    name: MediaName
    step: int = Field(default=0, ge=0, le=MAX_STEP)
    caption: str | None = Field(default=None, max_length=MAX_CAPTION_LENGTH)

    # Every field but `kind`, the union's discriminator (which takes no `before` validator).
    @field_validator(
        "media_id", "name", "step", "caption", "content_type", "size", "filename", "text",
        "histogram", mode="before", check_fields=False,
    )  # fmt: skip
    @classmethod
    def _as_sent(cls, value: object, info: ValidationInfo) -> object:
        return as_sent(cls, value, info)


def _upload_size(kind: UploadKind) -> Any:
    def document_limit(schema: dict[str, Any]) -> None:
        from wavedb_core.services.media import max_upload_bytes  # the deployment's setting

        schema["maximum"] = max_upload_bytes(kind)

    return Field(
        ge=1,
        description=f"The exact size of the upload in bytes (at most the deployment's {kind}"
        " limit, stated as `maximum`).",
        json_schema_extra=document_limit,
    )


def _upload_content_type(kind: UploadKind) -> Any:
    return Field(max_length=100, json_schema_extra={"pattern": _content_type_pattern(kind)})


class _UploadFields(_MediaCreateFields):
    """An item whose bytes are uploaded straight to S3 with the presigned POST answered."""

    upload_kind: ClassVar[UploadKind]

    content_type: str
    size: int
    filename: FileName
    text: NotUsed
    histogram: NotUsed

    @field_validator("content_type", mode="after")
    @classmethod
    def _accepted(cls, value: str) -> str:
        return _accepted_content_type(cls.upload_kind, value)


class ImageMediaCreateRequest(_UploadFields):
    """An image (PNG, JPEG, GIF, WebP, BMP or AVIF) to upload."""

    described_as = "image media"
    upload_kind = "image"

    kind: Literal["image"]
    content_type: str = _upload_content_type("image")
    size: int = _upload_size("image")


class AudioMediaCreateRequest(_UploadFields):
    """A sound (WAV, MP3, Ogg, FLAC, WebM, MP4 or AAC) to upload."""

    described_as = "audio media"
    upload_kind = "audio"

    kind: Literal["audio"]
    content_type: str = _upload_content_type("audio")
    size: int = _upload_size("audio")


class FileMediaCreateRequest(_UploadFields):
    """A file to upload: archives, documents, arrays, video, and any image, audio or text."""

    described_as = "file media"
    upload_kind = "file"

    kind: Literal["file"]
    content_type: str = _upload_content_type("file")
    size: int = _upload_size("file")


class TextUploadMediaCreateRequest(_UploadFields):
    """Text longer than 64 KB, uploaded like a file."""

    described_as = "text uploads"
    when_missing = " (or give `text` to store up to 64 KB inline)"
    upload_kind = "text"

    kind: Literal["text"]
    content_type: str = _upload_content_type("text")
    size: int = _upload_size("text")


def _inline_text(value: str) -> str:
    encoded = len(value.encode())
    if encoded > MAX_INLINE_TEXT_BYTES:
        raise ValueError(
            f"{encoded} bytes; at most {MAX_INLINE_TEXT_BYTES} inline. Upload longer text:"
            " give content_type and size instead"
        )
    return value


def _inline_content_type(value: str | None) -> str:
    return _accepted_content_type("text", value or INLINE_TEXT_CONTENT_TYPE)


# Kept exactly as given (request fields are otherwise stripped of white space).
InlineText = Annotated[str, StringConstraints(strip_whitespace=False), AfterValidator(_inline_text)]


class InlineTextMediaCreateRequest(_MediaCreateFields):
    """Text of at most 64 KB as UTF-8, stored at once."""

    described_as = "inline text"

    kind: Literal["text"]
    text: InlineText = Field(description="The text, at most 64 KB as UTF-8.")
    content_type: Annotated[str | None, AfterValidator(_inline_content_type)] = Field(
        default=None,
        validate_default=True,
        max_length=100,
        description=f"What the text is; {INLINE_TEXT_CONTENT_TYPE} when left out or blank.",
        json_schema_extra={"pattern": _content_type_pattern("text", optional=True)},
    )
    filename: FileName
    size: NotUsed
    histogram: NotUsed


class HistogramMediaCreateRequest(_MediaCreateFields):
    """A histogram, stored at once."""

    described_as = "histogram media"

    kind: Literal["histogram"]
    histogram: HistogramIn
    content_type: NotUsed
    size: NotUsed
    filename: NotUsed
    text: NotUsed


def _text_form(value: Any) -> str:
    """Text is given inline (`text`) or uploaded (`content_type` and `size`)."""
    given = value.get("text") if isinstance(value, dict) else getattr(value, "text", None)
    return "upload" if given is None else "inline"


class TextMediaCreateRequest(
    RootModel[
        Annotated[
            Annotated[InlineTextMediaCreateRequest, Tag("inline")]
            | Annotated[TextUploadMediaCreateRequest, Tag("upload")],
            Discriminator(_text_form),
        ]
    ]
):
    """Text: `text` inline (at most 64 KB), or `content_type` and `size` to upload longer
    text."""


MediaCreateItem = (
    ImageMediaCreateRequest
    | AudioMediaCreateRequest
    | FileMediaCreateRequest
    | InlineTextMediaCreateRequest
    | TextUploadMediaCreateRequest
    | HistogramMediaCreateRequest
)
_FORMS: dict[tuple[str, ...], type[_MediaCreateFields]] = {
    ("image",): ImageMediaCreateRequest,
    ("audio",): AudioMediaCreateRequest,
    ("file",): FileMediaCreateRequest,
    ("text", "inline"): InlineTextMediaCreateRequest,
    ("text", "upload"): TextUploadMediaCreateRequest,
    ("histogram",): HistogramMediaCreateRequest,
}
_KINDS_MESSAGE = "Input should be " + ", ".join(f"'{kind}'" for kind in MEDIA_KINDS[:-1])
_KINDS_MESSAGE += f" or '{MEDIA_KINDS[-1]}'"


def _as_the_client_sent_it(error: ErrorDetails) -> InitErrorDetails:
    """One error located as the client wrote the body (`body.size`, not the union's
    `body.image.size`), saying what the kind needs or does not take."""
    location = tuple(error["loc"])
    message, error_type = error["msg"], error["type"]
    if error_type in ("union_tag_invalid", "union_tag_not_found"):
        location = ("kind",)
        if error_type == "union_tag_invalid":
            message, error_type = _KINDS_MESSAGE, "literal_error"
        else:
            message, error_type = "Field required", "missing"
    else:
        form = next((tags for tags in _FORMS if location[: len(tags)] == tags), None)
        if form is not None:
            model, location = _FORMS[form], location[len(form) :]
            field = location[0] if len(location) == 1 else None
            if error_type == "none_required" and field is not None:
                message = f"not used for {model.described_as}"
            elif error_type == "missing" and field not in _MediaCreateFields.model_fields:
                message = f"required for {model.described_as}{model.when_missing}"
    return InitErrorDetails(
        type=PydanticCustomError(error_type, message),
        loc=location,
        input=error["input"],
    )


class MediaCreateRequest(
    RootModel[
        Annotated[
            ImageMediaCreateRequest
            | AudioMediaCreateRequest
            | FileMediaCreateRequest
            | TextMediaCreateRequest
            | HistogramMediaCreateRequest,
            Discriminator("kind"),
        ]
    ]
):
    """One media item of a run, by `kind`.

    `image`, `audio`, `file` and long `text`: give `content_type` and `size` (bytes); the
    answer carries a presigned POST to upload the bytes straight to S3. Short `text`
    (≤ 64 KB): give `text`. `histogram`: give `histogram`. Both are stored at once.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _located_as_sent(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Errors name the field as the body has it: `body.size`, not `body.image.size`."""
        try:
            return handler(value)
        except ValidationError as error:
            problems = [_as_the_client_sent_it(item) for item in error.errors(include_url=False)]
            raise ValidationError.from_exception_data(error.title, problems) from None

    @property
    def item(self) -> MediaCreateItem:
        """The item asked for, whichever form its kind takes."""
        item = self.root
        return item.root if isinstance(item, TextMediaCreateRequest) else item


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
