"""An ASGI app that behaves like the template's API Gateway HTTP API ($default stage).

Each request is matched to a route, turned into a payload-2.0 event, passed through the
route's Lambda authorizer and handed to the function; both run in a bounded thread pool
(each worker thread is one execution environment with its own database connection).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from wavedb_local import cors
from wavedb_local.http_events import (
    GatewayResponse,
    IncomingRequest,
    MalformedResponse,
    build_authorizer_event,
    build_http_event,
    identity_source_values,
    message_response,
    new_request_id,
    parse_authorizer_response,
    response_from_result,
)
from wavedb_local.limits import (
    HTTP_API_INTEGRATION_TIMEOUT_SECONDS,
    HTTP_API_PAYLOAD_LIMIT_BYTES,
    InvocationFailed,
    RequestTooLarge,
)
from wavedb_local.model import CorsSpec, HttpRoute, StackModel
from wavedb_local.naming import LocalNaming
from wavedb_local.routing import RouteTable
from wavedb_local.runtime import Invoker
from wavedb_local.site import StaticSite

logger = logging.getLogger("wavedb_local.gateway")

MAX_BODY_BYTES = HTTP_API_PAYLOAD_LIMIT_BYTES
INTEGRATION_TIMEOUT_SECONDS = HTTP_API_INTEGRATION_TIMEOUT_SECONDS
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"


class _BodyTooLarge(Exception):
    pass


class HttpApiGateway:
    """The local HTTP API: routes, CORS, authorizers and functions of one template."""

    def __init__(
        self,
        *,
        model: StackModel,
        registry: Invoker,
        executor: Executor,
        naming: LocalNaming,
        openapi: Callable[[], dict[str, Any]] | None = None,
        site: StaticSite | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        integration_timeout_seconds: float = INTEGRATION_TIMEOUT_SECONDS,
    ) -> None:
        self._model = model
        self._registry = registry
        self._executor = executor
        self._naming = naming
        self._routes = RouteTable(model.routes)
        self._openapi = openapi
        self._openapi_cache: dict[str, Any] | None = None
        self._max_body_bytes = max_body_bytes
        self._integration_timeout = integration_timeout_seconds
        self._cors = _stack_cors(model)
        self._site = site

    # ------------------------------------------------------------------ ASGI
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        started = time.perf_counter()
        request_id = new_request_id()
        try:
            response = await self._handle(request, request_id)
        except Exception:
            logger.exception("the gateway failed on %s %s", request.method, request.url.path)
            response = message_response(500, "Internal Server Error")
        response.headers.append(("apigw-requestid", request_id))
        await _send_response(response, send)
        route = self._routes.match(request.method.upper(), request.scope["path"])
        logger.info(
            "%s %s -> %d (%.1f ms) %s %s",
            request.method,
            request.url.path,
            response.status,
            (time.perf_counter() - started) * 1000,
            route.route.function_id if route is not None else "-",
            request_id,
        )

    async def _handle(self, request: Request, request_id: str) -> GatewayResponse:
        method = request.method.upper()
        path: str = request.scope["path"]
        headers = {name.lower(): value for name, value in request.headers.items()}
        local = await self._local_route(method, path)
        if local is not None:
            return local
        if self._cors is not None and cors.is_preflight(method, headers):
            return GatewayResponse(status=204, headers=cors.preflight_headers(self._cors, headers))
        try:
            body = await self._read_body(request)
        except _BodyTooLarge:
            return message_response(413, "Request Entity Too Large")
        raw_path = request.scope.get("raw_path") or path.encode()
        client = request.client
        incoming = IncomingRequest(
            method=method,
            raw_path=raw_path.decode("latin-1"),
            path=path,
            raw_query_string=request.scope.get("query_string", b"").decode("latin-1"),
            headers=[
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in request.scope["headers"]
            ],
            body=body,
            source_ip=client.host if client else "127.0.0.1",
            protocol=f"HTTP/{request.scope.get('http_version', '1.1')}",
            port=int((request.scope.get("server") or ("", 80))[1] or 80),
        )
        response = await self._dispatch(incoming, request_id)
        if self._cors is not None:
            response.headers = [
                (name, value)
                for name, value in response.headers
                if not name.startswith("access-control-")
            ] + cors.response_headers(self._cors, headers)
        return response

    async def _local_route(self, method: str, path: str) -> GatewayResponse | None:
        """The dashboard's files and the local-only documentation routes (unless the
        template declares those paths)."""
        if self._site is not None and not self._routes.has_exact_path(path):
            site_file = self._site.response(method, path)
            if site_file is not None:
                return site_file
        if method != "GET" or path not in {OPENAPI_PATH, DOCS_PATH} or self._openapi is None:
            return None
        if self._routes.has_exact_path(path):
            return None
        if path == OPENAPI_PATH:
            if self._openapi_cache is None:
                loop = asyncio.get_running_loop()
                self._openapi_cache = await loop.run_in_executor(self._executor, self._openapi)
            return GatewayResponse(
                status=200,
                headers=[("content-type", "application/json")],
                body=bytes(JSONResponse(self._openapi_cache).body),
            )
        page = get_swagger_ui_html(openapi_url=OPENAPI_PATH, title="WaveDB API (local)")
        return GatewayResponse(
            status=200,
            headers=[("content-type", "text/html; charset=utf-8")],
            body=bytes(page.body),
        )

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_body_bytes:
            raise _BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self._max_body_bytes:
                raise _BodyTooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    # ------------------------------------------------------------------ routing and invocation
    async def _dispatch(self, incoming: IncomingRequest, request_id: str) -> GatewayResponse:
        match = self._routes.match(incoming.method, incoming.raw_path)
        if match is None:
            return message_response(404, "Not Found")
        event = build_http_event(incoming, match, naming=self._naming, request_id=request_id)
        route = match.route
        if route.authorizer is not None:
            denial = await self._authorize(route, event, request_id)
            if denial is not None:
                return denial
        return await self._invoke_function(route, event, request_id)

    async def _authorize(
        self, route: HttpRoute, event: dict[str, Any], request_id: str
    ) -> GatewayResponse | None:
        """Run the route's authorizer; None if allowed (its context is put into `event`)."""
        authorizer = route.authorizer
        assert authorizer is not None
        identity = identity_source_values(authorizer, event)
        if identity is None:
            return message_response(401, "Unauthorized")
        path = route.path if route.path.startswith("/") else f"/{route.path}"
        authorizer_event = build_authorizer_event(
            event,
            route_arn=self._naming.execute_api_arn(event["requestContext"]["http"]["method"], path),
            identity_source=identity,
        )
        try:
            result = await self._run(authorizer.function_id, authorizer_event, request_id)
            decision = parse_authorizer_response(result, simple=authorizer.simple_responses)
        except TimeoutError:
            logger.error("authorizer %s timed out", authorizer.function_id)
            return message_response(500, "Internal Server Error")
        except MalformedResponse as error:
            logger.error("authorizer %s answered badly: %s", authorizer.function_id, error)
            return message_response(500, "Internal Server Error")
        except Exception:
            logger.exception("authorizer %s raised", authorizer.function_id)
            return message_response(500, "Internal Server Error")
        if not decision.authorized:
            return message_response(403, "Forbidden")
        event["requestContext"]["authorizer"] = {"lambda": decision.context}
        return None

    async def _invoke_function(
        self, route: HttpRoute, event: dict[str, Any], request_id: str
    ) -> GatewayResponse:
        try:
            result = await self._run(route.function_id, event, request_id)
        except RequestTooLarge as error:
            logger.error("%s cannot be invoked: %s", route.function_id, error)
            return message_response(413, "Request Entity Too Large")
        except TimeoutError:
            spec = self._model.functions[route.function_id]
            if spec.timeout_seconds > self._integration_timeout:
                logger.error(
                    "%s exceeded the %g s integration timeout",
                    route.function_id,
                    self._integration_timeout,
                )
                return message_response(503, "Service Unavailable")
            logger.error("%s timed out after %d s", route.function_id, spec.timeout_seconds)
            return message_response(500, "Internal Server Error")
        except InvocationFailed as error:
            logger.error("%s failed: %s", route.function_id, error)
            return message_response(500, "Internal Server Error")
        except Exception:
            logger.exception("%s raised while serving %s", route.function_id, route.route_key)
            return message_response(500, "Internal Server Error")
        try:
            return response_from_result(result)
        except MalformedResponse as error:
            logger.error("%s answered badly: %s", route.function_id, error)
            return message_response(500, "Internal Server Error")

    async def _run(self, function_id: str, event: dict[str, Any], request_id: str) -> Any:
        """Invoke a function in the pool, waiting at most its timeout (30 s at most)."""
        spec = self._model.functions[function_id]
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            self._executor, self._registry.invoke_synchronously, function_id, event, request_id
        )
        timeout = min(float(spec.timeout_seconds), self._integration_timeout)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            # A thread cannot be stopped: the invocation finishes in the background.
            future.add_done_callback(lambda done: done.exception())
            raise


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop: the stack owns the resources."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _send_response(response: GatewayResponse, send: Send) -> None:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1", errors="replace"))
        for name, value in response.headers
        if name.lower() != "content-length"
    ]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


def _stack_cors(model: StackModel) -> CorsSpec | None:
    """The CORS configuration of the API(s) that have routes."""
    used = {route.api_logical_id for route in model.routes}
    configurations = [
        api.cors
        for api in model.http_apis.values()
        if api.cors is not None and api.logical_id in used
    ]
    if len({json.dumps(config.__dict__, sort_keys=True) for config in configurations}) > 1:
        logger.warning("several HTTP APIs configure CORS differently; using the first")
    return configurations[0] if configurations else None
