"""Merging the functions' OpenAPI documents into the one the local stack serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tests.support.function_specs import function_with_routes
from wavedb_local.model import StackModel
from wavedb_local.openapi import merge_openapi


def _things_app() -> dict[str, Any]:
    app = FastAPI(title="things", version="2.0.0")

    @app.get("/things/{thing_id}")
    def get_thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @app.delete("/things/{thing_id}")
    def delete_thing(thing_id: str) -> None:
        return None

    @app.get("/internal")
    def internal() -> None:
        return None

    return app.openapi()


def _public_app() -> dict[str, Any]:
    app = FastAPI(title="public")

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    return app.openapi()


def test_merge_openapi_keeps_only_routed_operations_and_marks_secured_ones() -> None:
    model = StackModel(
        template_path=Path("template.yaml"),
        functions={
            "Things": function_with_routes("Things", [("GET", "/things/{thing_id}", True)]),
            "Public": function_with_routes("Public", [("GET", "/ping", False)]),
        },
        queues={},
        buckets={},
        http_apis={},
    )

    document = merge_openapi(model, {"Things": _things_app(), "Public": _public_app()}, title="API")

    assert sorted(document["paths"]) == ["/ping", "/things/{thing_id}"]
    assert list(document["paths"]["/things/{thing_id}"]) == ["get"]
    secured = document["paths"]["/things/{thing_id}"]["get"]
    assert secured["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert "security" not in document["paths"]["/ping"]["get"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["apiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "x-api-key"}
    assert "HTTPValidationError" in document["components"]["schemas"]
