"""What the bytes of an upload really are: the format their first bytes show, and an
image's width and height. Clients declare a content type; S3 stores whatever arrives."""

from __future__ import annotations

import io
from dataclasses import dataclass

# Enough for every format's header, with large EXIF blocks before a JPEG's frame header.
HEADER_BYTES = 256 * 1024

# Declared type → the types the bytes may show (as `filetype` names them).
_SNIFFED_AS: dict[str, frozenset[str]] = {
    "image/png": frozenset({"image/png", "image/apng"}),
    "image/jpeg": frozenset({"image/jpeg"}),
    "image/gif": frozenset({"image/gif"}),
    "image/webp": frozenset({"image/webp"}),
    "image/bmp": frozenset({"image/bmp"}),
    "image/avif": frozenset({"image/avif"}),
    "audio/wav": frozenset({"audio/x-wav"}),
    "audio/x-wav": frozenset({"audio/x-wav"}),
    "audio/mpeg": frozenset({"audio/mpeg"}),
    "audio/ogg": frozenset({"audio/ogg"}),
    "audio/flac": frozenset({"audio/x-flac"}),
    "audio/x-flac": frozenset({"audio/x-flac"}),
    "audio/webm": frozenset({"video/webm"}),
    "audio/mp4": frozenset({"audio/mp4", "video/mp4"}),
    "audio/aac": frozenset({"audio/aac"}),
}


@dataclass(frozen=True)
class Inspection:
    """What the bytes are; `problem` says why they do not match their declared type."""

    problem: str | None
    sniffed_type: str | None = None
    width: int | None = None
    height: int | None = None


def sniff(header: bytes) -> str | None:
    """The content type the first bytes show, if they show one."""
    import filetype

    kind = filetype.guess(header)
    return None if kind is None else str(kind.mime)


def _image_size(header: bytes) -> tuple[int, int] | None:
    import imagesize

    try:
        width, height = imagesize.get(io.BytesIO(header))
    except (ValueError, OSError, IndexError):
        return None
    return (int(width), int(height)) if width > 0 and height > 0 else None


def inspect(kind: str, content_type: str, header: bytes) -> Inspection:
    """Check an image's or audio file's first bytes against its declared type; text and
    files are whatever their owner says they are."""
    accepted = _SNIFFED_AS.get(content_type)
    if kind not in ("image", "audio") or accepted is None:
        return Inspection(problem=None)
    sniffed = sniff(header)
    if sniffed not in accepted:
        found = sniffed or "no known format"
        return Inspection(
            problem=f"the bytes are not {content_type} (they look like {found})",
            sniffed_type=sniffed,
        )
    if kind != "image":
        return Inspection(problem=None, sniffed_type=sniffed)
    size = _image_size(header)
    if size is None:
        return Inspection(
            problem=f"the {content_type} image has no readable width and height",
            sniffed_type=sniffed,
        )
    return Inspection(problem=None, sniffed_type=sniffed, width=size[0], height=size[1])
