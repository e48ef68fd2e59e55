"""Turning what training code has (paths, bytes, PIL images, NumPy arrays) into media
requests: the body of POST /v1/runs/{id}/media and the bytes to upload."""

from __future__ import annotations

import io
import math
import mimetypes
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_INLINE_TEXT_BYTES = 64 * 1024
MAX_HISTOGRAM_VALUES = 100_000
MAX_HISTOGRAM_BINS = 512

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
)

# the error for a file uploaded as it is (a path or bytes) that is not of its kind
_UNRECOGNISED_FILE = {
    "image": "not an image this SDK recognises (PNG, JPEG, GIF, WebP or BMP)",
    "audio": "not an audio file this SDK recognises (WAV, FLAC, OGG or MP3)",
}


@dataclass(frozen=True)
class MediaPayload:
    body: dict[str, Any]
    data: bytes | None = None


def sniff(data: bytes) -> str | None:
    """The content type the first bytes show, for the formats training code produces."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _read(source: str | Path | bytes | bytearray) -> tuple[bytes, str | None, str | None]:
    """Bytes, the content type the file name suggests, and the file name."""
    if isinstance(source, bytes | bytearray):
        return bytes(source), None, None
    path = Path(source)
    guessed, _ = mimetypes.guess_type(path.name)
    return path.read_bytes(), guessed, path.name


def _upload(
    kind: str,
    name: str,
    step: int,
    data: bytes,
    content_type: str,
    filename: str | None,
    caption: str | None,
) -> MediaPayload:
    body: dict[str, Any] = {
        "name": name,
        "step": step,
        "kind": kind,
        "content_type": content_type,
        "size": len(data),
    }
    if filename:
        body["filename"] = filename
    if caption:
        body["caption"] = caption
    return MediaPayload(body, data)


def _file_upload(
    kind: str,
    name: str,
    step: int,
    source: str | Path | bytes | bytearray,
    caption: str | None,
) -> MediaPayload:
    """A file (a path or its bytes) uploaded as it is, once its first bytes (or else its
    name) show it is of `kind` ("image": image/*)."""
    data, guessed, filename = _read(source)
    content_type = sniff(data) or guessed
    if content_type is None or not content_type.startswith(f"{kind}/"):
        raise ValueError(_UNRECOGNISED_FILE[kind])
    return _upload(kind, name, step, data, content_type, filename, caption)


def image_payload(name: str, step: int, image: Any, caption: str | None) -> MediaPayload:
    """An image from a path, PNG/JPEG/... bytes, a PIL image or an array (HxW, HxWx3/4;
    floats in [0, 1] or integers in [0, 255])."""
    if isinstance(image, str | Path | bytes | bytearray):
        return _file_upload("image", name, step, image, caption)
    pil_image = _to_pil(image)
    buffer = io.BytesIO()
    pil_image.save(buffer, format="PNG")
    return _upload("image", name, step, buffer.getvalue(), "image/png", None, caption)


def _to_pil(image: Any) -> Any:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the extras installed
        raise ValueError(
            "logging PIL images or arrays needs Pillow: pip install 'wavedb[media]'"
        ) from None
    if isinstance(image, Image.Image):
        return image
    import numpy as np

    array = np.asarray(_detached(image))
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = np.moveaxis(array, 0, -1)  # channels first (PyTorch) -> channels last
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3):
        raise ValueError(f"an image array must be HxW or HxWxC, got shape {array.shape}")
    if array.dtype.kind == "f":
        array = np.clip(np.nan_to_num(array), 0.0, 1.0) * 255.0
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def _detached(value: Any) -> Any:
    """A tensor's values on the CPU (PyTorch, TensorFlow, JAX), without importing them."""
    for method in ("detach", "cpu", "numpy"):
        if hasattr(value, method) and not isinstance(value, (list, tuple)):
            value = getattr(value, method)()
    return value


def audio_payload(
    name: str, step: int, audio: Any, sample_rate: int | None, caption: str | None
) -> MediaPayload:
    """Audio from a path or bytes (WAV, FLAC, OGG, MP3), or samples (a 1-D array, or
    samples x channels, floats in [-1, 1]) with `sample_rate`, written as 16-bit WAV."""
    if isinstance(audio, str | Path | bytes | bytearray):
        return _file_upload("audio", name, step, audio, caption)
    if not sample_rate or sample_rate <= 0:
        raise ValueError("audio samples need a positive sample_rate")
    return _upload(
        "audio", name, step, _wav(_detached(audio), sample_rate), "audio/wav", None, caption
    )


def _wav(samples: Any, sample_rate: int) -> bytes:
    import numpy as np

    array = np.asarray(samples, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"audio samples must be 1-D or samples x channels, got {array.shape}")
    pcm = (np.clip(np.nan_to_num(array), -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as file:
        file.setnchannels(pcm.shape[1])
        file.setsampwidth(2)
        file.setframerate(int(sample_rate))
        file.writeframes(pcm.tobytes())
    return buffer.getvalue()


def text_payload(name: str, step: int, text: str, caption: str | None) -> MediaPayload:
    """Short text is stored inline; longer text is uploaded as a text/plain file."""
    if not isinstance(text, str):
        raise ValueError("text must be a str")
    encoded = text.encode()
    if len(encoded) <= MAX_INLINE_TEXT_BYTES:
        body: dict[str, Any] = {"name": name, "step": step, "kind": "text", "text": text}
        if caption:
            body["caption"] = caption
        return MediaPayload(body)
    return _upload("text", name, step, encoded, "text/plain", None, caption)


def histogram_payload(
    name: str, step: int, values: Any, bins: int, caption: str | None
) -> MediaPayload:
    """A histogram of values (a sequence or an array of any shape; NaN and ±Inf left out),
    or of precomputed `(counts, bin_edges)` as `np.histogram` answers."""
    if not 1 <= bins <= MAX_HISTOGRAM_BINS:
        raise ValueError(f"bins must be 1 to {MAX_HISTOGRAM_BINS}")
    histogram: dict[str, Any]
    if isinstance(values, tuple) and len(values) == 2:
        counts, edges = (_flat(part) for part in values)
        if len(edges) != len(counts) + 1:
            raise ValueError("(counts, bin_edges) need one more edge than counts")
        histogram = {"counts": counts, "bins": edges}
    else:
        flat = [value for value in _flat(values) if math.isfinite(value)]
        if not flat:
            raise ValueError("a histogram needs at least one finite value")
        if len(flat) <= MAX_HISTOGRAM_VALUES:
            histogram = {"values": flat, "num_bins": bins}
        else:
            histogram = _binned(flat, bins)
    body: dict[str, Any] = {"name": name, "step": step, "kind": "histogram", "histogram": histogram}
    if caption:
        body["caption"] = caption
    return MediaPayload(body)


def _flat(values: Any) -> list[float]:
    values = _detached(values)
    if hasattr(values, "ravel"):
        values = values.ravel().tolist()
    if not isinstance(values, Sequence) or isinstance(values, str | bytes):
        raise ValueError("histogram values must be a sequence or an array of numbers")
    flat: list[float] = []
    for value in values:
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            flat.extend(_flat(value))
        else:
            flat.append(float(value))
    return flat


def _binned(values: list[float], bins: int) -> dict[str, Any]:
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 0.5, high + 0.5
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / width))] += 1
    return {"counts": counts, "bins": [low + index * width for index in range(bins)] + [high]}
