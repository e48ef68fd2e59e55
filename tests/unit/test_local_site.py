"""The dashboard's static files as the local stack serves them."""

from __future__ import annotations

from pathlib import Path

import pytest

from wavedb_local.http_events import GatewayResponse
from wavedb_local.site import StaticSite


@pytest.fixture
def site(tmp_path: Path) -> StaticSite:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html>")
    (root / "assets" / "app-1a2b.css").write_text("body{}")
    (root / ".env").write_text("SECRET=1")
    (tmp_path / "outside.txt").write_text("not part of the site")
    return StaticSite(root)


def _header(response: GatewayResponse, name: str) -> str:
    return dict(response.headers)[name]


def test_site_root_is_index_html_never_cached_stale(site: StaticSite) -> None:
    response = site.response("GET", "/")

    assert response is not None
    assert response.status == 200
    assert response.body == b"<!doctype html>"
    assert _header(response, "cache-control") == "no-cache"
    assert _header(response, "x-content-type-options") == "nosniff"


def test_site_hashed_assets_are_cached_for_a_year(site: StaticSite) -> None:
    response = site.response("GET", "/assets/app-1a2b.css")

    assert response is not None
    assert _header(response, "content-type") == "text/css; charset=utf-8"
    assert _header(response, "cache-control") == "public, max-age=31536000, immutable"


def test_site_head_has_headers_and_no_body(site: StaticSite) -> None:
    response = site.response("HEAD", "/index.html")

    assert response is not None
    assert response.body == b""
    assert _header(response, "content-length") == str(len("<!doctype html>"))


@pytest.mark.parametrize(
    "path", ["/../outside.txt", "/assets/../../outside.txt", "/.env", "/assets/nope.js", "/x/"]
)
def test_site_never_serves_files_outside_it_hidden_or_missing(site: StaticSite, path: str) -> None:
    assert site.response("GET", path) is None


def test_site_only_answers_reads(site: StaticSite) -> None:
    assert site.response("POST", "/") is None
    assert site.response("DELETE", "/index.html") is None


def test_site_not_built_says_how_to_build_it(tmp_path: Path) -> None:
    response = StaticSite(tmp_path / "missing").response("GET", "/")

    assert response is not None
    assert response.status == 200
    assert b"make web" in response.body
