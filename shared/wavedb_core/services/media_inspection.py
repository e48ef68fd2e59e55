"""What the bytes of an upload really are: the format their first bytes show and, for an
image, whether it decodes whole within the pixel limit, and its width and height. Clients
declare a content type; S3 stores whatever arrives."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

# Enough for every audio format's header (and to tell any format by its first bytes).
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

# Declared image type → Pillow's plugin module and format name: only that decoder is tried.
_PILLOW_FORMATS: dict[str, tuple[str, str]] = {
    "image/png": ("PngImagePlugin", "PNG"),  # APNG too
    "image/jpeg": ("JpegImagePlugin", "JPEG"),
    "image/gif": ("GifImagePlugin", "GIF"),
    "image/webp": ("WebPImagePlugin", "WEBP"),
    "image/bmp": ("BmpImagePlugin", "BMP"),
    "image/avif": ("AvifImagePlugin", "AVIF"),
}

# How a whole image of these types ends (PNG: the IEND chunk; GIF: the trailer byte): Pillow
# has every pixel before it reaches these bytes, so it would not notice them missing.
_END_OF_IMAGE: dict[str, bytes] = {
    "image/png": b"\x00\x00\x00\x00IEND\xaeB`\x82",
    "image/gif": b"\x3b",
}

# What Pillow raises for bytes that end early or break the format's rules.
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)


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


def _damaged(content_type: str) -> str:
    return f"the {content_type} image is truncated or damaged: it does not decode to its end"


def _too_many_pixels(max_pixels: int, found: str) -> str:
    return f"the image has {found}; at most {max_pixels} pixels are accepted"


def decode_image(data: bytes, content_type: str, *, max_pixels: int) -> tuple[int, int] | str:
    """Decode every frame of an image of the declared type: its width and height, or why it
    is refused (more pixels than `max_pixels`, frames together, or bytes that do not decode
    to the end). Pillow is imported here only: the functions that never see an image do
    not pay for it."""
    import importlib
    import warnings

    from PIL import Image

    plugin, format_name = _PILLOW_FORMATS[content_type]
    importlib.import_module(f"PIL.{plugin}")  # registers that format only (no plugin scan)
    # Pillow's own guard, on opening and on every frame: over the limit it warns, over
    # twice the limit it raises. The header's size is checked here first, to say it.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[format_name]) as image:
                width, height = image.size
                if width * height > max_pixels:
                    found = f"{width * height} pixels ({width} x {height})"
                    return _too_many_pixels(max_pixels, found)
                image.verify()  # PNG: every chunk and its checksum, up to the end chunk
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[format_name]) as image:
                frames = int(getattr(image, "n_frames", 1))
                if width * height * frames > max_pixels:
                    found = (
                        f"{width * height * frames} pixels ({width} x {height} x {frames} frames)"
                    )
                    return _too_many_pixels(max_pixels, found)
                for frame in range(frames):
                    image.seek(frame)
                    image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _too_many_pixels(max_pixels, f"more than {max_pixels} pixels")
    except _UNREADABLE:
        return _damaged(content_type)
    end = _END_OF_IMAGE.get(content_type)
    if end is not None and not data.endswith(end):
        return _damaged(content_type)  # cut short of its end, or something after it
    if width <= 0 or height <= 0:
        return f"the {content_type} image has no width and height"
    return width, height


def inspect(kind: str, content_type: str, data: bytes, *, max_image_pixels: int) -> Inspection:
    """Check an image's or audio file's bytes against its declared type; text and files are
    whatever their owner says they are. An image is given whole and decoded; audio needs
    its first HEADER_BYTES only."""
    accepted = _SNIFFED_AS.get(content_type)
    if kind not in ("image", "audio") or accepted is None:
        return Inspection(problem=None)
    sniffed = sniff(data[:HEADER_BYTES])
    if sniffed not in accepted:
        found = sniffed or "no known format"
        return Inspection(
            problem=f"the bytes are not {content_type} (they look like {found})",
            sniffed_type=sniffed,
        )
    if kind != "image":
        return Inspection(problem=None, sniffed_type=sniffed)
    decoded = decode_image(data, content_type, max_pixels=max_image_pixels)
    if isinstance(decoded, str):
        return Inspection(problem=decoded, sniffed_type=sniffed)
    return Inspection(problem=None, sniffed_type=sniffed, width=decoded[0], height=decoded[1])
