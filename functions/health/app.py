"""GET /health: is the service up, and can it reach the database, S3 and SQS?"""

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from wavedb_core.http import create_app, http_handler
from wavedb_core.models.health import HealthReport
from wavedb_core.services.health import health_report

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "A dependency is unreachable"}},
)
def get_health() -> JSONResponse:
    report = health_report()
    return JSONResponse(
        status_code=200 if report.status == "ok" else 503, content=report.model_dump(mode="json")
    )


app = create_app(router, title="health")
handler = http_handler(app)
