"""A synchronous client of the WaveDB REST API (one attempt per call; the background
sender and `wavedb sync` decide about retries)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from wavedb import __version__
from wavedb.errors import ApiError, ApiUnreachable, ConfigError
from wavedb.settings import Settings

_USER_AGENT = f"wavedb-python/{__version__}"
# Bodies from this size on are sent gzip-compressed (smaller ones gain too little); level 5
# keeps most of the gain at a fraction of level 9's time.
GZIP_MIN_BYTES = 4_096
GZIP_LEVEL = 5


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso_time(micros: int) -> str:
    """A time in µs since the epoch as the API writes times (ISO 8601, UTC, "Z")."""
    return (_EPOCH + timedelta(microseconds=micros)).isoformat().replace("+00:00", "Z")


def _micros(timestamp: str) -> int:
    delta = datetime.fromisoformat(timestamp.replace("Z", "+00:00")) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _as_columns(items: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {
        "steps": [item["step"] for item in items],
        "values": [item["value"] for item in items],
        "timestamps_us": [_micros(item["timestamp"]) for item in items],
    }


def error_from_response(response: httpx.Response) -> ApiError:
    code, message = "http_error", response.reason_phrase or "request failed"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("code") or body.get("name") or code)
        message = str(body.get("message") or body.get("detail") or message)
    return ApiError(response.status_code, code, message, retry_after=_retry_after(response))


class ApiClient:
    """Calls the API with an API key; answers parsed JSON or raises ApiError/ApiUnreachable."""

    def __init__(
        self,
        api_url: str,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_url:
            raise ConfigError(
                "no API URL: set WAVEDB_API_URL (or pass api_url=, or run `wavedb login`)"
            )
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError(f"the API URL must start with http:// or https://, got {api_url!r}")
        if not api_key:
            raise ConfigError(
                "no API key: set WAVEDB_API_KEY (or pass api_key=, or run `wavedb login`)"
            )
        self.api_url = api_url.rstrip("/")
        headers = {"x-api-key": api_key, "user-agent": _USER_AGENT}
        self._http = httpx.Client(
            base_url=self.api_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            trust_env=False,
        )
        # Uploads go to presigned URLs, which must not see the API key.
        self._uploads = httpx.Client(
            timeout=httpx.Timeout(max(timeout, 300.0), connect=10.0), trust_env=False
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiClient:
        return cls(settings.api_url, settings.api_key, timeout=settings.request_timeout)

    def close(self) -> None:
        self._http.close()
        self._uploads.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport
    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        content_encoding: str | None = None,
    ) -> Any:
        headers = {"content-type": "application/json"} if content is not None else None
        if headers is not None and content_encoding is not None:
            headers["content-encoding"] = content_encoding
        try:
            response = self._http.request(
                method, path, json=json_body, content=content, params=params, headers=headers
            )
        except httpx.TransportError as error:
            raise ApiUnreachable(f"{method} {self.api_url}{path}: {error}") from error
        if response.status_code >= 400:
            raise error_from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(response.status_code, "invalid_response", "not JSON") from None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json_body=body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json_body=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a cursor-paged listing ({"items": [...], "next_cursor": ...})."""
        query = dict(params or {})
        while True:
            page = self.get(path, query)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return
            query["cursor"] = cursor

    def stream(self, path: str, params: dict[str, Any] | None = None) -> Iterator[bytes]:
        """A streamed body (CSV export), chunk by chunk."""
        try:
            with self._http.stream("GET", path, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from_response(response)
                yield from response.iter_bytes()
        except httpx.TransportError as error:
            raise ApiUnreachable(f"GET {self.api_url}{path}: {error}") from error

    # ------------------------------------------------------------------ accounts
    def me(self) -> dict[str, Any]:
        answer: dict[str, Any] = self.get("/v1/me")
        return answer

    def workspaces(self) -> list[dict[str, Any]]:
        return list(self.paginate("/v1/workspaces"))

    def resolve_workspace(self, name_or_id: str | None) -> dict[str, Any]:
        """The workspace with this id or name (case-insensitive); None: the personal one."""
        workspaces = self.workspaces()
        if name_or_id is None:
            for workspace in workspaces:
                if workspace.get("is_personal"):
                    return workspace
            if workspaces:
                return workspaces[0]
            raise ConfigError("this account has no workspace")
        wanted = name_or_id.strip().lower()
        for workspace in workspaces:
            if str(workspace["id"]) == wanted or str(workspace["name"]).lower() == wanted:
                return workspace
        names = ", ".join(sorted(str(workspace["name"]) for workspace in workspaces))
        raise ConfigError(f"no workspace {name_or_id!r} is visible to this key (yours: {names})")

    # ------------------------------------------------------------------ projects
    def projects(self, workspace_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"/v1/workspaces/{workspace_id}/projects"))

    def find_project(self, workspace_id: str, name_or_id: str) -> dict[str, Any] | None:
        wanted = name_or_id.strip().lower()
        for project in self.projects(workspace_id):
            if str(project["id"]) == wanted or str(project["name"]).lower() == wanted:
                return project
        return None

    def get_project(self, project_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.get(f"/v1/projects/{project_id}")
        return answer

    def ensure_project(self, workspace_id: str, name: str) -> dict[str, Any]:
        """The project of that name in the workspace, created when missing."""
        found = self.find_project(workspace_id, name)
        if found is not None:
            return found
        try:
            created: dict[str, Any] = self.post(
                f"/v1/workspaces/{workspace_id}/projects", {"name": name}
            )
        except ApiError as error:
            if error.status != 409:
                raise
            # Created meanwhile by another process.
            found = self.find_project(workspace_id, name)
            if found is None:
                raise
            return found
        return created

    def resolve_project(self, project: str, workspace: str | None = None) -> dict[str, Any]:
        """A project by id, or by name in a workspace (created when missing)."""
        if is_uuid(project):
            try:
                return self.get_project(project)
            except ApiError as error:
                if error.status != 404:
                    raise
        workspace_id = str(self.resolve_workspace(workspace)["id"])
        return self.ensure_project(workspace_id, project)

    # ------------------------------------------------------------------ runs
    def create_run(self, project_id: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.post(f"/v1/projects/{project_id}/runs", body)
        return answer

    def get_run(self, run_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.get(f"/v1/runs/{run_id}")
        return answer

    def update_run(self, run_id: str, **fields: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.patch(f"/v1/runs/{run_id}", fields)
        return answer

    def list_runs(self, project_id: str, **filters: Any) -> Iterator[dict[str, Any]]:
        params = {name: value for name, value in filters.items() if value is not None}
        return self.paginate(f"/v1/projects/{project_id}/runs", params)

    def list_visible_runs(
        self, workspace_id: str | None = None, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """Runs of every project the key can read (or of one workspace), newest first."""
        params = {name: value for name, value in filters.items() if value is not None}
        if workspace_id is not None:
            params["workspace_id"] = workspace_id
        return self.paginate("/v1/runs", params)

    def heartbeat(self, run_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.post(f"/v1/runs/{run_id}/heartbeat")
        return answer

    # ------------------------------------------------------------------ metrics
    def send_batch(
        self,
        run_id: str,
        batch_id: str,
        points: list[dict[str, Any]] | None = None,
        *,
        encoded_points: bytes | None = None,
    ) -> dict[str, Any]:
        """Queue a batch of points; sending the same batch id again changes nothing.
        `encoded_points` is the JSON array already encoded (what the sender keeps)."""
        if encoded_points is None:
            encoded_points = json.dumps(points, separators=(",", ":")).encode()
        body = b'{"batch_id":' + json.dumps(batch_id).encode() + b',"points":' + encoded_points
        answer: dict[str, Any] = self.request(
            "POST", f"/v1/runs/{run_id}/metrics", content=body + b"}"
        )
        return answer

    def send_series(self, run_id: str, batch_id: str, encoded_series: bytes) -> dict[str, Any]:
        """Queue a columnar batch (`encoded_series`: a JSON array of series, as
        `wavedb.points.encode_series` writes it), gzip-compressed when that pays; sending
        the same batch id again changes nothing."""
        body = b'{"batch_id":' + json.dumps(batch_id).encode() + b',"series":' + encoded_series
        body += b"}"
        encoding = None
        if len(body) >= GZIP_MIN_BYTES:
            import gzip  # only the sender needs it

            body, encoding = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0), "gzip"
        answer: dict[str, Any] = self.request(
            "POST", f"/v1/runs/{run_id}/metrics", content=body, content_encoding=encoding
        )
        return answer

    def batch_status(self, run_id: str, batch_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.get(f"/v1/runs/{run_id}/metrics/batches/{batch_id}")
        return answer

    def post_results(self, run_id: str, results: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.post(f"/v1/runs/{run_id}/results", {"results": results})
        return answer

    def results(self, run_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get(f"/v1/runs/{run_id}/results")["items"]
        return items

    def metric_summaries(self, run_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get(f"/v1/runs/{run_id}/metrics")["items"]
        return items

    def series(self, run_id: str, name: str) -> Iterator[dict[str, Any]]:
        """Every raw point of one metric, by step, as {"step", "value", "timestamp"} (an ISO
        time in UTC); read as columns, a page of up to 80,000 points at a time."""
        for page in self.series_columns(run_id, name):
            times = (_iso_time(us) for us in page["timestamps_us"])
            for step, value, timestamp in zip(page["steps"], page["values"], times, strict=True):
                yield {"step": step, "value": value, "timestamp": timestamp}

    def series_columns(self, run_id: str, name: str) -> Iterator[dict[str, list[Any]]]:
        """Every raw point of one metric as pages of columns, by step: {"steps": [...],
        "values": [...], "timestamps_us": [...]} (values are numbers or "NaN", "Infinity",
        "-Infinity"; times are microseconds since the epoch)."""
        query: dict[str, Any] = {"name": name, "layout": "columns"}
        while True:
            page = self.get(f"/v1/runs/{run_id}/series", query)
            if "columns" in page:
                yield page["columns"]
            else:  # a server from before history pages as columns: one object per point
                yield _as_columns(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return
            query["cursor"] = cursor

    def metrics_csv(self, run_id: str) -> Iterator[bytes]:
        return self.stream(f"/v1/runs/{run_id}/metrics.csv")

    # ------------------------------------------------------------------ exports
    def create_run_export(self, run_id: str, kind: str = "run_metrics_long") -> dict[str, Any]:
        """Ask the server to write the run's metrics to a file (an export job)."""
        answer: dict[str, Any] = self.post(f"/v1/runs/{run_id}/exports", {"kind": kind})
        return answer

    def export_job(self, export_id: str) -> dict[str, Any]:
        """Where an export job stands; once done, with a short-lived `download_url`."""
        answer: dict[str, Any] = self.get(f"/v1/exports/{export_id}")
        return answer

    def download(self, url: str) -> tuple[int | None, Iterator[bytes]]:
        """A presigned URL's body (without the API key): its size if known, and its chunks."""
        request = self._uploads.build_request("GET", url)
        try:
            response = self._uploads.send(request, stream=True)
        except httpx.TransportError as error:
            raise ApiUnreachable(f"download: {error}") from error
        if response.status_code >= 300:
            response.read()
            response.close()
            raise ApiError(response.status_code, "download_failed", response.text[:500])
        length = response.headers.get("content-length")

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_bytes(1024 * 1024)
            except httpx.TransportError as error:
                raise ApiUnreachable(f"download: {error}") from error
            finally:
                response.close()

        return (int(length) if length and length.isdigit() else None), chunks()

    # ------------------------------------------------------------------ media
    def create_media(self, run_id: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.post(f"/v1/runs/{run_id}/media", body)
        return answer

    def list_media(self, run_id: str, **filters: Any) -> Iterator[dict[str, Any]]:
        params = {name: value for name, value in filters.items() if value is not None}
        return self.paginate(f"/v1/runs/{run_id}/media", params)

    def upload_to_grant(self, upload: dict[str, Any], data: bytes, content_type: str) -> None:
        """POST the bytes to a presigned grant (the fields, then the file, as S3 wants)."""
        fields = {str(name): str(value) for name, value in upload["fields"].items()}
        try:
            response = self._uploads.post(
                upload["url"],
                data=fields,
                files={"file": ("upload", data, content_type)},
            )
        except httpx.TransportError as error:
            raise ApiUnreachable(f"upload to {upload['url']}: {error}") from error
        if response.status_code >= 300:
            raise ApiError(response.status_code, "upload_refused", response.text[:500])

    def download_to(self, url: str, path: Path) -> None:
        """Save the body of a presigned GET (never sent the API key) to `path`, through a
        temporary file beside it, so that an interrupted download leaves no partial file."""
        temporary = path.with_name(path.name + ".part")
        try:
            _, chunks = self.download(url)
            with temporary.open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        temporary.replace(path)


def is_uuid(value: str) -> bool:
    """Whether `value` is an id (a UUID) rather than a name."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
