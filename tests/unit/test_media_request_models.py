"""The body of POST /v1/runs/{run_id}/media: one shape per kind, told apart by `kind`, which
the OpenAPI document states (oneOf with a discriminator mapping) and whose errors name the
field as the body has it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from pydantic import ValidationError

from wavedb_core.http import create_app
from wavedb_core.models.media import (
    InlineTextMediaCreateRequest,
    MediaCreateRequest,
    TextUploadMediaCreateRequest,
)
from wavedb_core.settings import get_settings

IMAGE = {"name": "samples", "step": 1, "kind": "image", "content_type": "image/png", "size": 1000}


@pytest.fixture
def settings_of_a_deployment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The settings a function reads when it makes its document (upload limits among them)."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://unused@127.0.0.1/unused")
    monkeypatch.setenv("JWT_SECRET", "x" * 48)
    monkeypatch.setenv("MEDIA_MAX_IMAGE_BYTES", "3000000")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _document() -> dict[str, Any]:
    router = APIRouter()

    @router.post("/v1/runs/{run_id}/media", status_code=201)
    def create_media(run_id: str, body: MediaCreateRequest) -> None:
        raise NotImplementedError

    return create_app(router, title="media").openapi()


def _resolved(document: dict[str, Any], schema: dict[str, Any] | str) -> dict[str, Any]:
    reference = schema if isinstance(schema, str) else schema.get("$ref")
    if reference is None:
        assert isinstance(schema, dict)
        return schema
    resolved: dict[str, Any] = document["components"]["schemas"][reference.rpartition("/")[2]]
    return resolved


def _shapes_by_kind(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each kind's body shapes, found through the discriminator's mapping."""
    body = document["paths"]["/v1/runs/{run_id}/media"]["post"]["requestBody"]
    schema = _resolved(document, body["content"]["application/json"]["schema"])
    assert schema["discriminator"]["propertyName"] == "kind"
    assert len(schema["oneOf"]) == len(schema["discriminator"]["mapping"])
    shapes: dict[str, list[dict[str, Any]]] = {}
    for kind, reference in schema["discriminator"]["mapping"].items():
        shape = _resolved(document, reference)
        forms = [_resolved(document, form) for form in shape.get("oneOf", [shape])]
        shapes[kind] = forms
    return shapes


@pytest.mark.usefixtures("settings_of_a_deployment")
def test_media_request_document_states_each_kinds_required_fields_through_the_discriminator() -> (
    None
):
    shapes = _shapes_by_kind(_document())

    assert set(shapes) == {"image", "audio", "file", "text", "histogram"}
    required = {kind: [set(form["required"]) for form in forms] for kind, forms in shapes.items()}
    common = {"name", "kind"}
    assert required["histogram"] == [common | {"histogram"}]
    for kind in ("image", "audio", "file"):
        assert required[kind] == [common | {"content_type", "size"}]
    assert sorted(required["text"], key=len) == [
        common | {"text"},
        common | {"content_type", "size"},
    ]
    for forms in shapes.values():
        for form in forms:
            kind = form["properties"]["kind"]
            assert kind["const"] in shapes
            assert form["additionalProperties"] is False


@pytest.mark.usefixtures("settings_of_a_deployment")
def test_media_request_document_states_accepted_types_limits_and_unused_fields_per_kind() -> None:
    shapes = _shapes_by_kind(_document())

    image = shapes["image"][0]["properties"]
    pattern = re.compile(image["content_type"]["pattern"])
    assert pattern.match("Image/PNG; charset=binary")
    assert not pattern.match("image/svg+xml")
    assert image["size"]["maximum"] == 3_000_000  # the deployment's MEDIA_MAX_IMAGE_BYTES
    assert image["text"]["type"] == "null"
    histogram = shapes["histogram"][0]["properties"]
    for unused in ("content_type", "size", "filename", "text"):
        assert histogram[unused]["type"] == "null"


@pytest.mark.parametrize(
    ("body", "location", "message"),
    [
        ({**IMAGE, "kind": "video"}, ("kind",), "'image', 'audio', 'text', 'file' or 'histogram'"),
        ({"name": "samples"}, ("kind",), "Field required"),
        ({key: IMAGE[key] for key in ("name", "kind")}, ("size",), "required for image media"),
        ({**IMAGE, "text": "inline"}, ("text",), "not used for image media"),
        ({"name": "n", "kind": "text", "text": "x", "size": 1}, ("size",), "not used for inline"),
        ({"name": "n", "kind": "text"}, ("size",), "required for text uploads"),
        ({"name": "n", "kind": "histogram", "histogram": {"values": [1], "num_bins": 0}},
         ("histogram", "num_bins"), "greater than or equal to 1"),
        ({**IMAGE, "content_type": "image/svg+xml"}, ("content_type",), "accepted: image/avif"),
        ({**IMAGE, "content_type": "  "}, ("content_type",), "required for image media"),
    ],
)  # fmt: skip
def test_media_request_errors_name_the_field_as_the_body_has_it_not_the_union_member(
    body: dict[str, Any], location: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        MediaCreateRequest.model_validate(body)

    errors = refused.value.errors()
    assert any(error["loc"] == location and message in error["msg"] for error in errors), errors


def test_media_request_null_for_a_field_of_another_kind_is_taken_as_left_out() -> None:
    item = MediaCreateRequest.model_validate({**IMAGE, "text": None, "histogram": None}).item

    assert (item.kind, item.size) == ("image", 1000)


def test_media_request_text_is_inline_with_text_and_an_upload_without() -> None:
    inline = MediaCreateRequest.model_validate({"name": "n", "kind": "text", "text": "  a "}).item
    upload = MediaCreateRequest.model_validate(
        {"name": "n", "kind": "text", "text": None, "content_type": "text/csv", "size": 9}
    ).item

    assert isinstance(inline, InlineTextMediaCreateRequest)
    assert (inline.text, inline.content_type) == ("  a ", "text/plain")
    assert isinstance(upload, TextUploadMediaCreateRequest)
    assert (upload.content_type, upload.size) == ("text/csv", 9)


@pytest.mark.parametrize(
    ("filename", "taken"),
    [("a.png", True), ("  a b.png ", True), (" ", False), ("", False), (" .. ", False),
     (".", False), ("..x", True), ("a/b.png", False), ("\u3000", False)],
)  # fmt: skip
@pytest.mark.usefixtures("settings_of_a_deployment")
def test_media_request_document_filename_pattern_takes_what_the_model_takes_as_sent(
    filename: str, taken: bool
) -> None:
    image = _shapes_by_kind(_document())["image"][0]["properties"]
    pattern = re.compile(image["filename"]["pattern"])

    try:
        MediaCreateRequest.model_validate({**IMAGE, "filename": filename})
        accepted = True
    except ValidationError:
        accepted = False

    assert (accepted, bool(pattern.search(filename))) == (taken, taken)
