"""What a TensorBoard log directory holds: its runs' scalars, images, text and hparams,
read with TensorBoard's own event loader (the optional `tensorboard` package)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from wavedb.errors import WaveDBError

# TensorBoard writes text summaries of tag "notes" under "notes/text_summary".
_TEXT_SUFFIX = "/text_summary"
_HPARAMS_START_TAG = "_hparams_/session_start_info"
_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


class TensorBoardMissing(WaveDBError):
    """The `tensorboard` package, which reads event files, is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "reading TensorBoard logs needs the tensorboard package:"
            " pip install 'wavedb[tensorboard]'"
        )


@dataclass(frozen=True)
class ScalarPoint:
    step: int
    value: float
    wall_time: float  # seconds since the epoch, as the writer recorded it


@dataclass(frozen=True)
class ImageSample:
    tag: str
    step: int
    index: int  # its place among the images of the same tag and step
    data: bytes
    content_type: str


@dataclass(frozen=True)
class TextSample:
    tag: str
    step: int
    index: int
    text: str


@dataclass
class EventRun:
    """Everything one directory's event files hold that WaveDB can store."""

    path: Path
    scalars: dict[str, list[ScalarPoint]] = field(default_factory=dict)
    images: list[ImageSample] = field(default_factory=list)
    texts: list[TextSample] = field(default_factory=list)
    hparams: dict[str, Any] = field(default_factory=dict)
    # What was left out and how much of it, e.g. {"tags of histograms summaries": 3}.
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def scalar_count(self) -> int:
        return sum(len(points) for points in self.scalars.values())


def _tensorboard() -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        from tensorboard.backend.event_processing import (  # type: ignore[import-untyped]
            event_accumulator,
        )
        from tensorboard.plugins.hparams import plugin_data_pb2  # type: ignore[import-untyped]
        from tensorboard.util import tensor_util  # type: ignore[import-untyped]
    except ImportError as error:
        raise TensorBoardMissing() from error
    return event_accumulator, tensor_util, plugin_data_pb2


def is_event_file(name: str) -> bool:
    """A TensorBoard event file (`events.out.tfevents.*`), not a profiler placeholder."""
    return "tfevents" in name and not name.endswith(".profile-empty")


def find_run_directories(logdir: Path) -> list[Path]:
    """Every directory under `logdir` (itself included) that holds event files, sorted."""
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(logdir):
        subdirectories.sort()
        if any(is_event_file(name) for name in files):
            found.append(Path(directory))
    return sorted(found)


def image_content_type(data: bytes) -> str | None:
    """The media type of encoded image bytes, by their signature; None when unknown."""
    for signature, content_type in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _float32(value: float) -> float:
    """A float32 (what TensorBoard stores) as the shortest decimal that reads back as the
    same float32, so a logged 0.1 stays 0.1 rather than 0.10000000149011612."""
    import numpy  # a dependency of tensorboard

    return float(str(numpy.float32(value)))


def _tensor_scalar(array: Any) -> float:
    scalar = array.reshape(())[()]
    if array.dtype.kind == "f" and array.dtype.itemsize < 8:
        return float(str(scalar))
    return float(scalar)


def _decoded(cell: Any) -> str:
    return cell.decode("utf-8", errors="replace") if isinstance(cell, bytes) else str(cell)


def _text(array: Any) -> str:
    """A text summary as Markdown: one string as it is, a list as paragraphs, a 2-D array as
    a table (TensorBoard shows arrays of strings as tables)."""
    if array.size == 1:
        return _decoded(array.reshape(()).item())
    if array.ndim == 1:
        return "\n\n".join(_decoded(cell) for cell in array)
    rows = array.reshape(-1, array.shape[-1])
    header = "|" + " |" * rows.shape[1]
    rule = "|" + "---|" * rows.shape[1]
    body = [
        "| " + " | ".join(_decoded(cell).replace("|", "\\|") for cell in row) + " |" for row in rows
    ]
    return "\n".join([header, rule, *body])


def _hparam_value(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    if kind in ("number_value", "string_value", "bool_value"):
        return getattr(value, kind)
    return None


def _read_hparams(accumulator: Any, plugin_data_pb2: ModuleType) -> dict[str, Any]:
    try:
        content = accumulator.PluginTagToContent("hparams").get(_HPARAMS_START_TAG)
    except KeyError:  # no hparams in these files
        return {}
    if content is None:
        return {}
    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    if not data.HasField("session_start_info"):
        return {}
    hparams = data.session_start_info.hparams
    return {name: _hparam_value(hparams[name]) for name in sorted(hparams)}


def _add_image(run: EventRun, tag: str, step: int, index: int, data: bytes) -> bool:
    content_type = image_content_type(data)
    if content_type is None:
        run.skipped["images in an unknown format"] += 1
        return False
    run.images.append(ImageSample(tag, step, index, bytes(data), content_type))
    return True


def _read_tensor_scalars(run: EventRun, tag: str, events: list[Any], tensors: ModuleType) -> None:
    points = run.scalars.setdefault(tag, [])
    for event in events:
        array = tensors.make_ndarray(event.tensor_proto)
        if array.size != 1:
            run.skipped["scalars that are not single numbers"] += 1
            continue
        points.append(ScalarPoint(int(event.step), _tensor_scalar(array), float(event.wall_time)))


def _read_tensor_images(run: EventRun, tag: str, events: list[Any], tensors: ModuleType) -> None:
    seen: Counter[int] = Counter()
    for event in events:
        # [width, height, encoded image, encoded image, ...]
        step = int(event.step)
        for data in tensors.make_ndarray(event.tensor_proto).reshape(-1)[2:]:
            if _add_image(run, tag, step, seen[step], data):
                seen[step] += 1


def _read_tensor_texts(run: EventRun, tag: str, events: list[Any], tensors: ModuleType) -> None:
    name = tag.removesuffix(_TEXT_SUFFIX) or tag
    seen: Counter[int] = Counter()
    for event in events:
        step = int(event.step)
        text = _text(tensors.make_ndarray(event.tensor_proto))
        run.texts.append(TextSample(name, step, seen[step], text))
        seen[step] += 1


_TENSOR_READERS = {
    "scalars": _read_tensor_scalars,
    "images": _read_tensor_images,
    "text": _read_tensor_texts,
}


def read_event_run(path: Path) -> EventRun:
    """Load every event file of one directory (not its subdirectories), in full.

    Both kinds of summaries are read: the classic ones (PyTorch's SummaryWriter, TF1:
    `simple_value` scalars and encoded images) and the tensor ones (TF2 and text).
    """
    accumulators, tensors, plugin_data_pb2 = _tensorboard()
    accumulator = accumulators.EventAccumulator(
        str(path),
        # 0 keeps every event; kinds that are not imported keep one.
        size_guidance={
            accumulators.SCALARS: 0,
            accumulators.IMAGES: 0,
            accumulators.TENSORS: 0,
            accumulators.HISTOGRAMS: 1,
            accumulators.COMPRESSED_HISTOGRAMS: 1,
            accumulators.AUDIO: 1,
        },
    )
    accumulator.Reload()
    run = EventRun(path=path, hparams=_read_hparams(accumulator, plugin_data_pb2))
    tags = accumulator.Tags()
    for tag in tags[accumulators.SCALARS]:
        run.scalars[tag] = [
            ScalarPoint(int(event.step), _float32(event.value), float(event.wall_time))
            for event in accumulator.Scalars(tag)
        ]
    for tag in tags[accumulators.IMAGES]:
        seen: Counter[int] = Counter()
        for event in accumulator.Images(tag):
            step = int(event.step)
            if _add_image(run, tag, step, seen[step], event.encoded_image_string):
                seen[step] += 1
    for tag in tags[accumulators.TENSORS]:
        plugin = accumulator.SummaryMetadata(tag).plugin_data.plugin_name
        reader = _TENSOR_READERS.get(plugin)
        if reader is not None:
            reader(run, tag, accumulator.Tensors(tag), tensors)
        elif plugin != "hparams":
            run.skipped[f"tags of {plugin or 'unknown'} summaries"] += 1
    for kind in (accumulators.HISTOGRAMS, accumulators.AUDIO):
        if tags[kind]:
            run.skipped[f"tags of {kind} summaries"] += len(tags[kind])
    run.scalars = {tag: points for tag, points in sorted(run.scalars.items()) if points}
    return run
