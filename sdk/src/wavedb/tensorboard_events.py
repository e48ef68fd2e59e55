"""What a TensorBoard log directory holds: its runs' scalars, images, text and hparams,
read with TensorBoard's own event loader (the optional `tensorboard` package)."""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from wavedb.errors import WaveDBError
from wavedb.media import sniff

# What the API takes in one histogram.
MAX_HISTOGRAM_BINS = 512
# TensorBoard writes text summaries of tag "notes" under "notes/text_summary".
_TEXT_SUFFIX = "/text_summary"
_HPARAMS_START_TAG = "_hparams_/session_start_info"


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


@dataclass(frozen=True)
class HistogramSample:
    tag: str
    step: int
    index: int
    bins: list[float]  # edges: one more than counts, strictly increasing
    counts: list[float]


@dataclass
class EventRun:
    """Everything one directory's event files hold that WaveDB can store."""

    path: Path
    scalars: dict[str, list[ScalarPoint]] = field(default_factory=dict)
    images: list[ImageSample] = field(default_factory=list)
    texts: list[TextSample] = field(default_factory=list)
    histograms: list[HistogramSample] = field(default_factory=list)
    hparams: dict[str, Any] = field(default_factory=dict)
    # What was left out and how much of it, e.g. {"tags of audio summaries": 3}.
    skipped: Counter[str] = field(default_factory=Counter)
    # The wall-clock times of the first and last events (seconds since the epoch): when the
    # training ran.
    first_time: float | None = None
    last_time: float | None = None

    @property
    def scalar_count(self) -> int:
        return sum(len(points) for points in self.scalars.values())

    def saw(self, wall_time: float) -> None:
        """An event written at `wall_time` (0 or less: the writer did not say)."""
        if wall_time > 0 and math.isfinite(wall_time):
            if self.first_time is None or wall_time < self.first_time:
                self.first_time = wall_time
            if self.last_time is None or wall_time > self.last_time:
                self.last_time = wall_time


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
    """The media type of encoded image bytes, by their signature; None when unknown (or not
    an image)."""
    content_type = sniff(data)
    return content_type if content_type is not None and content_type.startswith("image/") else None


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


def histogram_bins(
    buckets: list[tuple[float, float, float]], max_bins: int = MAX_HISTOGRAM_BINS
) -> tuple[list[float], list[float]] | None:
    """(edges, counts) from (left, right, count) buckets: infinite or empty-width buckets
    give their count to a neighbour, gaps between buckets become empty bins, and more than
    `max_bins` bins are merged in runs. None when no finite bucket is left."""
    edges: list[float] = []
    counts: list[float] = []
    carried = 0.0
    for left, right, count in buckets:
        if not (math.isfinite(left) and math.isfinite(right)) or right <= left:
            if counts:
                counts[-1] += count
            else:
                carried += count
            continue
        if not edges:
            edges.append(left)
        elif left > edges[-1]:
            edges.append(left)  # a gap: an empty bin
            counts.append(0.0)
        elif right <= edges[-1]:
            counts[-1] += count
            continue
        edges.append(right)
        counts.append(count + carried)
        carried = 0.0
    if not counts:
        return None
    if len(counts) > max_bins:
        group = math.ceil(len(counts) / max_bins)
        counts = [sum(counts[index : index + group]) for index in range(0, len(counts), group)]
        edges = edges[::group] if (len(edges) - 1) % group == 0 else [*edges[::group], edges[-1]]
    return edges, counts


def _classic_buckets(histogram: Any) -> list[tuple[float, float, float]]:
    """A HistogramProto's buckets: bucket i covers (limit[i-1], limit[i]], the first starts
    at the smallest value, the last ends at the largest."""
    limits = [float(limit) for limit in histogram.bucket_limit]
    counts = [float(count) for count in histogram.bucket]
    if not limits:
        return []
    lows = [min(float(histogram.min), limits[0]), *limits[:-1]]
    highs = [*limits[:-1], min(limits[-1], max(float(histogram.max), lows[-1]))]
    return list(zip(lows, highs, counts, strict=False))


def _add_histogram(
    run: EventRun, tag: str, step: int, index: int, buckets: list[tuple[float, float, float]]
) -> bool:
    binned = histogram_bins(buckets)
    if binned is None:
        run.skipped["histograms without a finite bucket"] += 1
        return False
    run.histograms.append(HistogramSample(tag, step, index, *binned))
    return True


def _read_tensor_histograms(
    run: EventRun, tag: str, events: list[Any], tensors: ModuleType
) -> None:
    seen: Counter[int] = Counter()
    for event in events:
        run.saw(float(event.wall_time))
        array = tensors.make_ndarray(event.tensor_proto)
        if array.ndim != 2 or array.shape[-1] != 3:
            run.skipped["histograms of an unknown shape"] += 1
            continue
        step = int(event.step)
        buckets = [(float(left), float(right), float(count)) for left, right, count in array]
        if _add_histogram(run, tag, step, seen[step], buckets):
            seen[step] += 1


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
        run.saw(float(event.wall_time))
        # [width, height, encoded image, encoded image, ...]
        step = int(event.step)
        for data in tensors.make_ndarray(event.tensor_proto).reshape(-1)[2:]:
            if _add_image(run, tag, step, seen[step], data):
                seen[step] += 1


def _read_tensor_texts(run: EventRun, tag: str, events: list[Any], tensors: ModuleType) -> None:
    name = tag.removesuffix(_TEXT_SUFFIX) or tag
    seen: Counter[int] = Counter()
    for event in events:
        run.saw(float(event.wall_time))
        step = int(event.step)
        text = _text(tensors.make_ndarray(event.tensor_proto))
        run.texts.append(TextSample(name, step, seen[step], text))
        seen[step] += 1


_TENSOR_READERS = {
    "scalars": _read_tensor_scalars,
    "histograms": _read_tensor_histograms,
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
            accumulators.HISTOGRAMS: 0,
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
            run.saw(float(event.wall_time))
            step = int(event.step)
            if _add_image(run, tag, step, seen[step], event.encoded_image_string):
                seen[step] += 1
    for tag in tags[accumulators.HISTOGRAMS]:
        seen = Counter()
        for event in accumulator.Histograms(tag):
            run.saw(float(event.wall_time))
            step = int(event.step)
            if _add_histogram(run, tag, step, seen[step], _classic_buckets(event.histogram_value)):
                seen[step] += 1
    for tag in tags[accumulators.TENSORS]:
        plugin = accumulator.SummaryMetadata(tag).plugin_data.plugin_name
        reader = _TENSOR_READERS.get(plugin)
        if reader is not None:
            reader(run, tag, accumulator.Tensors(tag), tensors)
        elif plugin != "hparams":
            run.skipped[f"tags of {plugin or 'unknown'} summaries"] += 1
    if tags[accumulators.AUDIO]:
        run.skipped[f"tags of {accumulators.AUDIO} summaries"] += len(tags[accumulators.AUDIO])
    run.scalars = {tag: points for tag, points in sorted(run.scalars.items()) if points}
    for points in run.scalars.values():
        run.saw(points[0].wall_time)
        run.saw(points[-1].wall_time)
    return run
