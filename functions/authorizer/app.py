"""The HTTP API's Lambda authorizer (payload 2.0, simple responses).

It authenticates the caller from `Authorization: Bearer <jwt>` or `x-api-key` and passes
the result to the function in its context. A request whose credentials are missing or
invalid is passed on marked as unauthenticated, so that the function answers a 401 with a
JSON body in its own format (API Gateway itself could only answer a bare 403); functions
refuse such requests before doing any work.

When the authorizer cannot decide (the database or a secret is unreachable), the request
is passed on marked `authentication_unavailable` and the function refuses it, still before
doing any work, with a 503 and Retry-After in its own format: clients retry that, whereas
they take API Gateway's bare 403 for a deny (or its 500 for a raised error) as final or
unexplained. There is no authorizer cache, so no such verdict outlives its request.
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
    APIGatewayAuthorizerResponseV2,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from wavedb_core.principal import (
    AUTHENTICATION_UNAVAILABLE,
    AuthFailure,
    Principal,
    to_authorizer_context,
)
from wavedb_core.services.authentication import authenticate
from wavedb_core.tracing import function_tracer

logger = Logger()
tracer = function_tracer()
metrics = Metrics()


@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerEventV2)
def handler(event: APIGatewayAuthorizerEventV2, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(route=event.route_key, request_id=event.request_context.request_id)
    result: Principal | AuthFailure
    try:
        result = authenticate(event.headers or {})
    except Exception:
        logger.exception("authorizer could not decide; the function answers 503")
        metrics.add_metric(name="AuthorizerErrors", unit=MetricUnit.Count, value=1)
        result = AUTHENTICATION_UNAVAILABLE
    if isinstance(result, AuthFailure) and not result.unavailable:
        logger.info("unauthenticated request", extra={"reason": result.code})
        metrics.add_metric(name="UnauthenticatedRequests", unit=MetricUnit.Count, value=1)
    return APIGatewayAuthorizerResponseV2(
        authorize=True, context=to_authorizer_context(result)
    ).asdict()
