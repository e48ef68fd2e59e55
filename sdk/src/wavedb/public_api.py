"""Reading what was logged: projects, runs searched on the server, summaries, metric
history, media.

    import wavedb

    api = wavedb.Api()  # WAVEDB_API_URL / WAVEDB_API_KEY, or what `wavedb login` saved
    for run in api.runs("mnist", filter="config.lr < 1e-3 and loss.min < 0.5", order="-acc"):
        print(run.name, run.config["lr"], run.summary["loss"])
    frame = api.runs_df("mnist")  # one row per run (pandas: `pip install 'wavedb[pandas]'`)
    history = run.history(["loss", "acc"])  # one column per metric, one row per step

`Api.runs` is lazy: pages of runs are fetched while you iterate. pandas is imported only by
the functions that answer DataFrames.
"""

from __future__ import annotations

import heapq
import math
import mimetypes
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from wavedb.api import ApiClient, is_uuid
from wavedb.errors import ApiError, ConfigError
from wavedb.settings import load_settings

if TYPE_CHECKING:
    import pandas

DEFAULT_ORDER = "-created_at"
RUNS_PAGE = 500
HISTORY_PAGE = 10_000
MEDIA_PAGE = 100
HistoryAxis = Literal["step", "time"]


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _number(value: Any) -> float:
    """A metric value as the API writes it (a number, or "NaN" / "Infinity" / "-Infinity")."""
    return float(value) if value is not None else math.nan


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:  # pragma: no cover - depends on the environment
        raise ConfigError("DataFrames need pandas: pip install 'wavedb[pandas]'") from None
    return pandas


def flatten_config(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"optimizer": {"lr": 0.1}}` -> `{"optimizer.lr": 0.1}` (lists stay values)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict) and value:
            flat.update(flatten_config(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# ---------------------------------------------------------------- history pages


@dataclass(frozen=True)
class HistoryColumns:
    """One page of a metric's points as columns."""

    steps: list[int]
    values: list[float]
    timestamps: list[str]


def history_columns(page: dict[str, Any]) -> HistoryColumns:
    """The columns of one page of a metric's history, whatever shape the API sends it in
    (the one place that knows the page's shape)."""
    if "steps" in page:  # a columnar page: arrays per field
        return HistoryColumns(
            steps=[int(step) for step in page["steps"]],
            values=[_number(value) for value in page["values"]],
            timestamps=[str(moment) for moment in page.get("timestamps", [])],
        )
    items = page["items"]
    return HistoryColumns(
        steps=[int(item["step"]) for item in items],
        values=[_number(item["value"]) for item in items],
        timestamps=[str(item["timestamp"]) for item in items],
    )


def history_pages(
    client: ApiClient, run_id: str, name: str, *, page_size: int = HISTORY_PAGE
) -> Iterator[HistoryColumns]:
    """Every point of one metric, by step, a page of columns at a time."""
    params: dict[str, Any] = {"name": name, "limit": page_size}
    while True:
        page = client.get(f"/v1/runs/{run_id}/series", params)
        columns = history_columns(page)
        if columns.steps:
            yield columns
        cursor = page.get("next_cursor")
        if not cursor:
            return
        params["cursor"] = cursor


# ---------------------------------------------------------------- projects and runs


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    workspace_id: str
    description: str
    created_at: datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Project:
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            workspace_id=str(data["workspace_id"]),
            description=str(data.get("description") or ""),
            created_at=_moment(data.get("created_at")),
        )


class ApiRun:
    """A run as stored: its fields, config, summary and results, and readers of its
    history and media."""

    def __init__(self, client: ApiClient, data: dict[str, Any]) -> None:
        self._client = client
        self._load(data)

    def _load(self, data: dict[str, Any]) -> None:
        self.data = data
        self.id: str = str(data["id"])
        self.name: str = str(data["name"])
        self.project_id: str = str(data["project_id"])
        self.workspace_id: str = str(data["workspace_id"])
        self.description: str = str(data.get("description") or "")
        self.notes: str = str(data.get("notes") or "")
        self.config: dict[str, Any] = dict(data.get("config") or {})
        self.tags: list[str] = list(data.get("tags") or [])
        self.status: str = str(data["status"])
        self.created_at = _moment(data.get("created_at"))
        self.updated_at = _moment(data.get("updated_at"))
        self.started_at = _moment(data.get("started_at"))
        self.ended_at = _moment(data.get("ended_at"))
        self.heartbeat_at = _moment(data.get("heartbeat_at"))
        summary = data.get("summary") or {}
        self.metrics: dict[str, dict[str, Any]] = {
            name: {
                key: (_number(value) if key in ("last", "min", "max") else value)
                for key, value in digest.items()
            }
            for name, digest in (summary.get("metrics") or {}).items()
        }
        self.results: dict[str, float] = {
            name: _number(value) for name, value in (summary.get("results") or {}).items()
        }

    def __repr__(self) -> str:
        return f"<ApiRun {self.name!r} id={self.id} status={self.status}>"

    @property
    def summary(self) -> dict[str, float]:
        """Each metric's last value, and each result (a result wins over a metric of the same
        name), as the dashboard's run table shows them."""
        values = {name: digest.get("last", math.nan) for name, digest in self.metrics.items()}
        values.update(self.results)
        return values

    def refresh(self) -> ApiRun:
        """Read the run again (status, summary...)."""
        self._load(self._client.get_run(self.id))
        return self

    # ------------------------------------------------------------ history

    def metric_names(self) -> list[str]:
        """The names of the run's metrics, the user's first, then `system/*`."""
        names = [str(item["name"]) for item in self._client.metric_summaries(self.id)]
        return sorted(names, key=lambda name: (name.startswith("system/"), name))

    def _keys(self, keys: str | Sequence[str] | None) -> list[str]:
        if isinstance(keys, str):
            return [keys]
        if keys is not None:
            return list(dict.fromkeys(keys))
        return [name for name in self.metric_names() if not name.startswith("system/")]

    def history_columns(self, keys: str | Sequence[str] | None = None) -> dict[str, HistoryColumns]:
        """Every point of each metric (all but `system/*` when `keys` is None), as columns."""
        merged: dict[str, HistoryColumns] = {}
        for name in self._keys(keys):
            steps: list[int] = []
            values: list[float] = []
            timestamps: list[str] = []
            for page in history_pages(self._client, self.id, name):
                steps += page.steps
                values += page.values
                timestamps += page.timestamps
            merged[name] = HistoryColumns(steps, values, timestamps)
        return merged

    def history(
        self, keys: str | Sequence[str] | None = None, x: HistoryAxis = "step"
    ) -> pandas.DataFrame:
        """A wide DataFrame: a `step` (or `time`, UTC) column, then one column per metric
        (all but `system/*` when `keys` is None), one row per step (or time) any of them has;
        NaN where a metric has no point there. A step logged twice keeps its last value."""
        if x not in ("step", "time"):
            raise ValueError('x must be "step" or "time"')
        pd = _pandas()
        series = []
        for name, columns in self.history_columns(keys).items():
            if x == "step":
                index = pd.Index(columns.steps, dtype="int64", name="step")
            else:
                index = pd.DatetimeIndex(
                    pd.to_datetime(columns.timestamps, utc=True, format="ISO8601"), name="time"
                )
            values = pd.Series(columns.values, index=index, name=name, dtype="float64")
            series.append(values[~values.index.duplicated(keep="last")])
        if not series:
            return pd.DataFrame({x: pd.Series([], dtype="int64" if x == "step" else "object")})
        frame = pd.concat(series, axis=1, sort=True)
        frame.index.name = x
        return frame.reset_index()

    def scan_history(
        self, keys: str | Sequence[str] | None = None, *, page_size: int = HISTORY_PAGE
    ) -> Iterator[dict[str, Any]]:
        """Rows `{"step": s, "<metric>": value, ...}` in step order, read a page at a time
        per metric (memory stays small for any length); a row holds the metrics logged at
        that step."""
        names = self._keys(keys)
        streams = [
            _points(history_pages(self._client, self.id, name, page_size=page_size), name)
            for name in names
        ]
        row: dict[str, Any] | None = None
        for step, name, value in heapq.merge(*streams, key=lambda point: point[0]):
            if row is None or row["step"] != step:
                if row is not None:
                    yield row
                row = {"step": step}
            row[name] = value
        if row is not None:
            yield row

    # ------------------------------------------------------------ media

    def media(
        self,
        name: str | None = None,
        kind: str | None = None,
        *,
        step_min: int | None = None,
        step_max: int | None = None,
    ) -> list[dict[str, Any]]:
        """The run's media items (by name, then step), maybe of one name or kind; ready
        items carry a short-lived download `url`."""
        return list(
            self._client.list_media(
                self.id,
                name=name,
                kind=kind,
                step_min=step_min,
                step_max=step_max,
                limit=MEDIA_PAGE,
            )
        )

    def download(
        self,
        root: str | Path = ".",
        name: str | None = None,
        kind: str | None = None,
        *,
        replace: bool = False,
    ) -> list[Path]:
        """Save the run's ready media under `root`/<name>/ (a file per item: images, audio
        and files as uploaded, texts as .txt, histograms as .json); existing files are kept
        unless `replace`. The paths written (or kept)."""
        import json

        written: list[Path] = []
        for item in self.media(name, kind):
            if item.get("status") != "ready":
                continue
            path = Path(root) / _safe_path(str(item["name"])) / _file_name(item)
            written.append(path)
            if path.exists() and not replace:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if item.get("url"):
                self._client.download_to(str(item["url"]), path)
            elif item.get("histogram") is not None:
                path.write_text(json.dumps(item["histogram"]))
            else:
                path.write_text(str(item.get("text") or ""))
        return written


def _points(pages: Iterable[HistoryColumns], name: str) -> Iterator[tuple[int, str, float]]:
    for page in pages:
        for step, value in zip(page.steps, page.values, strict=True):
            yield step, name, value


_UNSAFE = re.compile(r"[^\w.\-]+")


def _safe_path(name: str) -> Path:
    """A media name (`samples/val`) as a relative path that stays inside the root."""
    parts = [_UNSAFE.sub("_", part) for part in name.split("/")]
    return Path(*[part for part in parts if part not in ("", ".", "..")] or ["media"])


def _file_name(item: dict[str, Any]) -> str:
    suffix = ""
    if item.get("filename"):
        suffix = Path(str(item["filename"])).suffix
    elif item.get("content_type"):
        suffix = mimetypes.guess_extension(str(item["content_type"])) or ""
    if item.get("kind") == "text":
        suffix = ".txt"
    elif item.get("kind") == "histogram":
        suffix = ".json"
    return f"{int(item['step'])}-{str(item['id'])[:8]}{_UNSAFE.sub('_', suffix)}"


class Runs:
    """The runs of a search, fetched a page at a time while iterated (each iteration asks
    the server again)."""

    def __init__(
        self, client: ApiClient, path: str, params: dict[str, Any], *, limit: int | None
    ) -> None:
        self._client = client
        self._path = path
        self._params = params
        self._limit = limit

    def __iter__(self) -> Iterator[ApiRun]:
        for count, data in enumerate(self._client.paginate(self._path, self._params)):
            if self._limit is not None and count >= self._limit:
                return
            yield ApiRun(self._client, data)

    def __repr__(self) -> str:
        return f"<Runs {self._path} {self._params}>"


class Api:
    """The read API. Settings as for `wavedb.init`: arguments, else WAVEDB_API_URL and
    WAVEDB_API_KEY, else what `wavedb login` saved."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        settings = load_settings(api_url=api_url, api_key=api_key, request_timeout=timeout)
        self.client = ApiClient.from_settings(settings)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ projects

    def projects(self, workspace: str | None = None) -> list[Project]:
        """The projects of one workspace (name or id), or of every workspace you can see."""
        if workspace is not None:
            workspaces = [self.client.resolve_workspace(workspace)]
        else:
            workspaces = self.client.workspaces()
        return [
            Project.from_json(project)
            for found in workspaces
            for project in self.client.projects(str(found["id"]))
        ]

    def project(self, project: str, workspace: str | None = None) -> Project:
        """A project by id, or by name (in `workspace`, else in any workspace you can see:
        the personal one first)."""
        if is_uuid(project):
            try:
                return Project.from_json(self.client.get_project(project))
            except ApiError as error:
                if error.status != 404:
                    raise
        if workspace is not None:
            workspaces = [self.client.resolve_workspace(workspace)]
        else:
            workspaces = sorted(self.client.workspaces(), key=lambda w: not w.get("is_personal"))
        for found in workspaces:
            match = self.client.find_project(str(found["id"]), project)
            if match is not None:
                return Project.from_json(match)
        raise ConfigError(f"no project {project!r} is visible to this key")

    # ------------------------------------------------------------ runs

    def runs(
        self,
        project: str | Project | None = None,
        filter: str | None = None,
        order: str = DEFAULT_ORDER,
        *,
        workspace: str | None = None,
        limit: int | None = None,
        per_page: int = RUNS_PAGE,
    ) -> Runs:
        """The runs of a project (name or id), else of a workspace, else of every workspace,
        matching `filter` (the run filter language: `config.lr < 1e-3 and loss.min < 0.5`),
        in `order` (`-results.acc`: best first; runs without the value last). Lazy."""
        params: dict[str, Any] = {"sort": order, "limit": per_page}
        if filter:
            params["filter"] = filter
        if limit is not None:
            params["limit"] = max(1, min(per_page, limit))
        if project is not None:
            found = project if isinstance(project, Project) else self.project(project, workspace)
            return Runs(self.client, f"/v1/projects/{found.id}/runs", params, limit=limit)
        if workspace is not None:
            params["workspace_id"] = str(self.client.resolve_workspace(workspace)["id"])
        return Runs(self.client, "/v1/runs", params, limit=limit)

    def run(self, run_id: str) -> ApiRun:
        return ApiRun(self.client, self.client.get_run(run_id))

    def runs_df(
        self,
        project: str | Project | None = None,
        filter: str | None = None,
        order: str = DEFAULT_ORDER,
        *,
        workspace: str | None = None,
        limit: int | None = None,
    ) -> pandas.DataFrame:
        """One row per run of `runs(...)`: id, name, status, tags, times, then
        `config.<key>` (nested keys joined by dots), `metrics.<name>` (last value) and
        `results.<name>` columns."""
        return runs_frame(self.runs(project, filter, order, workspace=workspace, limit=limit))


_RUN_COLUMNS = (
    "id", "name", "project_id", "status", "tags", "created_at", "started_at", "ended_at",
)  # fmt: skip


def runs_frame(runs: Iterable[ApiRun]) -> pandas.DataFrame:
    """The DataFrame of `Api.runs_df`."""
    pd = _pandas()
    rows = []
    for run in runs:
        row: dict[str, Any] = {column: getattr(run, column) for column in _RUN_COLUMNS}
        row.update({f"config.{key}": value for key, value in flatten_config(run.config).items()})
        row.update({f"metrics.{name}": d.get("last") for name, d in run.metrics.items()})
        row.update({f"results.{name}": value for name, value in run.results.items()})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=_columns(rows))
    for column in ("created_at", "started_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    extra: dict[str, None] = {}
    for row in rows:
        extra.update(dict.fromkeys(key for key in row if key not in _RUN_COLUMNS))

    def rank(column: str) -> tuple[int, str]:
        order = ("config.", "metrics.", "results.")
        return next(i for i, prefix in enumerate(order) if column.startswith(prefix)), column

    return [*_RUN_COLUMNS, *sorted(extra, key=rank)]
