"""Large read answers serialised once, straight from their model.

FastAPI validates a returned model against the route's response model again before it
serialises it; for a compare chart's tens of thousands of buckets that doubles the time of
the request. Routes that answer such bodies declare `response_model=` (so the OpenAPI
document is unchanged) and return `model_response(model)`."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response


def model_response(model: BaseModel) -> Response:
    """The model as its JSON body (with its own serialisers: NaN as "NaN" and so on)."""
    return Response(content=model.model_dump_json(), media_type="application/json")
