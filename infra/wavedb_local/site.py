"""The dashboard's static files, served next to the API the way CloudFront serves them from
the site bucket: `/` is index.html, hashed `/assets/*` are cached for a year, and every page
carries the same security headers as the distribution's response-headers policy."""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath

from wavedb_local.http_events import GatewayResponse

INDEX = "index.html"
ASSETS_PREFIX = "assets/"

# The same policy as template.yaml's DashboardSecurityHeaders (media URLs are presigned S3
# GETs, on another origin: the emulator locally, the bucket's domain in AWS).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data: blob: http: https:; media-src 'self' blob: http: https:;"
    " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
]

NOT_BUILT_PAGE = b"""<!doctype html><meta charset="utf-8"><title>WaveDB</title>
<h1>The dashboard is not built</h1>
<p>Run <code>make web</code> (or <code>make run</code>, which builds it) and reload this page.
The API is up: see <a href="/docs">/docs</a>.</p>
"""


class StaticSite:
    """Files of one built site folder; None for paths it does not hold."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @property
    def built(self) -> bool:
        return (self.root / INDEX).is_file()

    def response(self, method: str, path: str) -> GatewayResponse | None:
        if method not in {"GET", "HEAD"}:
            return None
        relative = path.lstrip("/") or INDEX
        if relative == INDEX and not self.built:
            return _page(200, NOT_BUILT_PAGE, cache="no-store")
        file = self._file(relative)
        if file is None:
            return None
        body = b"" if method == "HEAD" else file.read_bytes()
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        immutable = relative.startswith(ASSETS_PREFIX)
        headers = [
            ("content-type", content_type),
            ("content-length", str(file.stat().st_size)),
            ("cache-control", "public, max-age=31536000, immutable" if immutable else "no-cache"),
            *SECURITY_HEADERS,
        ]
        return GatewayResponse(status=200, headers=headers, body=body)

    def _file(self, relative: str) -> Path | None:
        parts = PurePosixPath(relative).parts
        if not parts or any(part in {"..", "."} or part.startswith(".") for part in parts):
            return None
        candidate = self.root.joinpath(*parts)
        try:
            resolved = candidate.resolve()
        except OSError:
            return None
        if not resolved.is_file() or not resolved.is_relative_to(self.root):
            return None
        return resolved


def _page(status: int, body: bytes, *, cache: str) -> GatewayResponse:
    headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", cache),
        *SECURITY_HEADERS,
    ]
    return GatewayResponse(status=status, headers=headers, body=body)
