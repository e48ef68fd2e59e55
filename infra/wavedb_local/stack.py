"""The local stack: services, environment, provisioning, the HTTP gateway and event sources."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn

from wavedb_local.aws_emulator import (
    EMULATOR_CREDENTIALS,
    MotoEmulator,
    account_id_of_caller,
    aws_client,
)
from wavedb_local.cfn_yaml import import_decoder_in_background
from wavedb_local.config import ConfigurationError, LocalStackConfig
from wavedb_local.environment import (
    REMOVED_LOCALLY,
    applied_environment,
    function_environment,
    local_environment,
)
from wavedb_local.function_processes import FunctionProcesses
from wavedb_local.gateway import HttpApiGateway
from wavedb_local.model import SqsEventSource, StackModel
from wavedb_local.naming import LOCAL_ACCOUNT_ID, LocalNaming
from wavedb_local.openapi import build_openapi
from wavedb_local.postgres import EmbeddedPostgres, apply_database_migrations, describe_database
from wavedb_local.provisioning import provision
from wavedb_local.runtime import FunctionRegistry, Invoker, add_layers_to_path
from wavedb_local.s3_persistence import STATE_FILE_NAME as S3_STATE_FILE_NAME
from wavedb_local.s3_source import S3EventPoller
from wavedb_local.schedules import ScheduleTicker
from wavedb_local.secret_store import persistent_secret
from wavedb_local.site import StaticSite
from wavedb_local.sqs_rules import observer_for
from wavedb_local.sqs_source import SqsPoller, VisibilityChanges
from wavedb_local.template import load_stack

logger = logging.getLogger("wavedb_local")

SERVICE_NAME = "wavedb-local"
STOP_SECONDS = 6.0  # HTTP server and event sources; PostgreSQL's fast shutdown comes after
GRACEFUL_SHUTDOWN_SECONDS = 3
_CREDENTIAL_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
_REAL_AWS_VARIABLES = frozenset(
    {
        *_CREDENTIAL_VARIABLES,
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    }
)


class LocalStack:
    """Everything `python -m wavedb_local run` starts, in one object (usable from tests)."""

    def __init__(self, config: LocalStackConfig) -> None:
        self.config = config
        self.port = config.port
        self.database_url = ""
        self.aws_endpoint: str | None = None
        self.naming = LocalNaming(region=config.region, stack_name=config.stack_name)
        self.model: StackModel | None = None
        self.registry: FunctionRegistry | None = None  # the functions in this process
        self.functions: Invoker | None = None  # what invokes them (here or in processes)
        self.environment: dict[str, str] = {}
        self._cleanup = contextlib.ExitStack()
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._server_thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._pollers: list[SqsPoller] = []
        self._function_processes: FunctionProcesses | None = None
        self._tickers: list[ScheduleTicker] = []

    # ------------------------------------------------------------------ lifecycle
    def start(
        self, *, serve_http: bool = True, event_sources: bool = True, preload: bool = True
    ) -> None:
        """Start everything; on failure, whatever was started is stopped again."""
        try:
            self._start(serve_http=serve_http, event_sources=event_sources, preload=preload)
        except BaseException:
            self.stop()
            raise

    def _start(self, *, serve_http: bool, event_sources: bool, preload: bool) -> None:
        config = self.config
        started = time.monotonic()
        config.data_dir.mkdir(parents=True, exist_ok=True)
        if serve_http:
            self._socket = _bind(config.host, config.port)
            self._cleanup.callback(self._close_socket)
            self.port = int(self._socket.getsockname()[1])
        import_decoder_in_background()  # read the template sooner, once the services are up
        self.database_url = self._start_database()
        self.aws_endpoint, account_id = self._start_aws()
        self.naming = LocalNaming(
            region=config.region,
            account_id=account_id,
            stack_name=config.stack_name,
            sqs_endpoint=self.aws_endpoint,
        )
        model = load_stack(
            config.template_path, naming=self.naming, parameter_overrides=config.parameter_overrides
        )
        self.model = model
        self._apply_environment(model)
        for spec in model.functions.values():
            add_layers_to_path(spec)
        _hold_a_connection_per_invoking_thread()
        internal_queues = []
        if not config.use_real_aws:
            internal_queues = provision(
                model, self.naming, sqs=self._client("sqs"), s3=self._client("s3")
            )
        if config.apply_migrations:
            applied = apply_database_migrations(self.database_url)
            if applied:
                logger.info("applied migrations: %s", ", ".join(applied))
        if self._runs_own_emulator and "MEDIA_BUCKET" in self.environment:
            _mark_media_without_objects_missing()
        self.registry = FunctionRegistry(model.functions)
        self.functions = self.registry
        if config.function_processes:
            self.functions = self._start_function_processes(model)
        elif preload:
            for logical_id, error in self.registry.load_all().items():
                logger.error("%s cannot be loaded: %s", logical_id, error)
        self._executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="lambda")
        self._cleanup.callback(self._executor.shutdown, wait=False, cancel_futures=True)
        if event_sources:
            self._start_event_sources(model, internal_queues)
        if serve_http:
            self._start_http(model)
        logger.info("local stack ready in %.1f s", time.monotonic() - started)

    def stop(self) -> None:
        """Stop everything that was started, in reverse order, and restore os.environ.

        Bounded in time: requests in flight get a few seconds, invocations still running
        after that are left to finish on their own (a thread cannot be stopped)."""
        deadline = time.monotonic() + STOP_SECONDS
        if self._server is not None:
            self._server.should_exit = True
        loops: list[SqsPoller | ScheduleTicker] = [*self._pollers, *self._tickers]
        for loop in loops:
            loop.request_stop()
        if self._function_processes is not None:
            # Busy environments are stopped too: their invocations fail at once.
            self._function_processes.close()
            self._function_processes = None
        if self._server_thread is not None:
            self._server_thread.join(max(0.0, deadline - time.monotonic()))
            self._server_thread = None
        for loop in loops:
            loop.stop(timeout=max(0.0, deadline - time.monotonic()))
        self._pollers, self._tickers = [], []
        self._cleanup.close()

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ services
    def _start_database(self) -> str:
        if self.config.database_url:
            return self.config.database_url
        postgres = EmbeddedPostgres(self.config.data_dir)
        url = postgres.start()
        self._cleanup.callback(postgres.stop)
        return url

    def _start_aws(self) -> tuple[str | None, str]:
        config = self.config
        if config.use_real_aws:
            try:
                return None, account_id_of_caller(config.region)
            except Exception as error:
                raise ConfigurationError(
                    f"WAVEDB_USE_REAL_AWS is set but no AWS credentials work: {error}"
                ) from error
        if config.aws_endpoint_url:
            return config.aws_endpoint_url, LOCAL_ACCOUNT_ID
        emulator = MotoEmulator(s3_state_file=config.data_dir / "aws" / S3_STATE_FILE_NAME)
        # The emulator's clients must not pick up real credentials.
        self._cleanup.enter_context(
            applied_environment(EMULATOR_CREDENTIALS, remove=_CREDENTIAL_VARIABLES)
        )
        endpoint = emulator.start()
        self._cleanup.callback(emulator.stop)
        return endpoint, LOCAL_ACCOUNT_ID

    @property
    def _runs_own_emulator(self) -> bool:
        return not (self.config.use_real_aws or self.config.aws_endpoint_url)

    def local_overrides(self) -> dict[str, str]:
        """What the local stack sets on top of the template's environment."""
        config = self.config
        overrides = {
            "DATABASE_URL": self.database_url,
            "JWT_SECRET": config.jwt_secret or persistent_secret(config.data_dir),
            "AWS_REGION": config.region,
            "AWS_DEFAULT_REGION": config.region,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            # Invitation and confirmation e-mails are printed here unless an EmailSender
            # is configured: their links work without SES.
            "PRINT_EMAILS": "true",
        }
        if not config.use_real_aws:
            assert self.aws_endpoint is not None
            overrides["AWS_ENDPOINT_URL"] = self.aws_endpoint
            overrides.update(EMULATOR_CREDENTIALS)
        return overrides

    def _overrides_for(self, model: StackModel) -> dict[str, str]:
        """The local values, less PUBLIC_BASE_URL where the template sets it."""
        overrides = self.local_overrides()
        if any("PUBLIC_BASE_URL" in spec.environment for spec in model.functions.values()):
            overrides.pop("PUBLIC_BASE_URL")  # the template sets it (e.g. PublicBaseUrl=...)
        return overrides

    def _apply_environment(self, model: StackModel) -> None:
        overrides = self._overrides_for(model)
        self.environment = local_environment(
            model.functions.values(), overrides, in_process=not self.config.function_processes
        )
        if self.config.use_real_aws:
            # Deployed resources have CloudFormation's names: the caller's values win.
            for name in set(self.environment) - set(overrides):
                if name in os.environ:
                    self.environment[name] = os.environ[name]
        removed = list(REMOVED_LOCALLY)
        if not self.config.use_real_aws:
            removed += list(_CREDENTIAL_VARIABLES)
        self._cleanup.enter_context(applied_environment(self.environment, remove=removed))

    def _client(self, service: str) -> Any:
        return aws_client(service, region=self.config.region, endpoint_url=self.aws_endpoint)

    def _queue_exists(self, name: str) -> bool:
        try:
            self._client("sqs").get_queue_url(QueueName=name)
        except Exception:
            return False
        return True

    # ------------------------------------------------------------------ event sources
    def invoke(self, logical_id: str, event: Any) -> Any:
        """Invoke one function's handler with `event` (on the calling thread, or in one of
        the function's execution environments in process mode)."""
        assert self.functions is not None, "start the stack first"
        return self.functions.invoke(logical_id, event)

    def _start_function_processes(self, model: StackModel) -> FunctionProcesses:
        """Process mode: each function in execution environments of its own, started with
        exactly its template environment and the local values on top."""
        overrides = self._overrides_for(model)
        environments = {
            logical_id: function_environment(spec, overrides)
            for logical_id, spec in model.functions.items()
        }
        if self.config.use_real_aws:
            # As in-process: deployed resources keep the caller's names, and the functions
            # reach AWS with the caller's credentials.
            credentials = {
                name: value for name, value in os.environ.items() if name in _REAL_AWS_VARIABLES
            }
            for logical_id, values in environments.items():
                for name in model.functions[logical_id].environment:
                    if name not in overrides and name in self.environment:
                        values[name] = self.environment[name]
                values.update(credentials)
        self._function_processes = FunctionProcesses(
            model.functions, environments, limit_per_function=self.config.workers
        )
        return self._function_processes

    def _invoke_from_source(self, logical_id: str, event: Any) -> Any:
        return self.invoke(logical_id, event)

    def visibility_changes(self) -> VisibilityChanges | None:
        """How an event source learns which messages a function held back itself (None
        when the emulator runs in another process, or this is real AWS)."""
        observer = observer_for(self.aws_endpoint)
        return None if observer is None else observer.take_visibility_changes

    def _start_event_sources(self, model: StackModel, internal_queues: list[Any]) -> None:
        config = self.config
        visibility_changes = self.visibility_changes()
        for spec in model.functions.values():
            for source in spec.sqs_sources:
                queue = model.queue_by_arn(source.queue_arn)
                if not source.enabled:
                    continue
                if queue is None:
                    logger.warning(
                        "%s.%s: queue %s is not in the template; not polled",
                        spec.logical_id,
                        source.event_name,
                        source.queue_arn,
                    )
                    continue
                if config.use_real_aws and not self._queue_exists(queue.name):
                    logger.warning(
                        "%s.%s: queue %s does not exist in AWS; not polled",
                        spec.logical_id,
                        source.event_name,
                        queue.name,
                    )
                    continue
                # Lambda polls a queue with several batches in flight at once, up to the
                # mapping's MaximumConcurrency; locally, that many pollers (or the default).
                concurrency = source.maximum_concurrency or config.sqs_concurrency
                self._pollers.extend(
                    SqsPoller(
                        client=self._client("sqs"),
                        queue=queue,
                        source=source,
                        invoke=self._invoke_from_source,
                        region=config.region,
                        retry_visibility_seconds=config.retry_visibility_seconds,
                        wait_seconds=config.sqs_wait_seconds,
                        visibility_changes=visibility_changes,
                    )
                    for _ in range(concurrency)
                )
            for schedule in spec.schedules:
                if schedule.enabled:
                    self._tickers.append(
                        ScheduleTicker(
                            source=schedule,
                            invoke=self._invoke_from_source,
                            naming=self.naming,
                            interval_seconds=config.schedule_interval_seconds,
                        )
                    )
        for item in internal_queues:
            self._pollers.append(
                S3EventPoller(
                    client=self._client("sqs"),
                    queue=item.queue,
                    source=SqsEventSource(
                        function_id=item.function_id,
                        event_name=item.event_name,
                        queue_arn=item.queue.arn,
                    ),
                    invoke=self._invoke_from_source,
                    region=config.region,
                    retry_visibility_seconds=config.retry_visibility_seconds,
                    wait_seconds=config.sqs_wait_seconds,
                    visibility_changes=visibility_changes,
                )
            )
        for poller in self._pollers:
            poller.start()
        for ticker in self._tickers:
            ticker.start()

    # ------------------------------------------------------------------ HTTP
    @property
    def site(self) -> StaticSite | None:
        """The dashboard's files, when the configuration names a folder for them."""
        return None if self.config.site_dir is None else StaticSite(self.config.site_dir)

    def build_gateway(self, **options: Any) -> HttpApiGateway:
        """The ASGI app of the local HTTP API (`options`: HttpApiGateway's limits)."""
        assert self.model is not None
        assert self.registry is not None
        assert self._executor is not None
        assert self.functions is not None
        model, registry = self.model, self.registry
        return HttpApiGateway(
            model=model,
            registry=self.functions,
            executor=self._executor,
            naming=self.naming,
            openapi=lambda: build_openapi(model, registry, title="WaveDB API"),
            site=self.site,
            **options,
        )

    def _start_http(self, model: StackModel) -> None:
        assert self._socket is not None
        server_config = uvicorn.Config(
            self.build_gateway(),
            host=self.config.host,
            port=self.port,
            lifespan="off",
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        self._server = uvicorn.Server(server_config)
        self._server_thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="http", daemon=True
        )
        self._server_thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._server_thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.02)

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    # ------------------------------------------------------------------ reporting
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        """Where everything is, for the person who started the stack."""
        model = self.model
        routes = len(model.routes) if model is not None else 0
        functions = len(model.functions) if model is not None else 0
        aws = "real AWS (default credentials)" if self.config.use_real_aws else self.aws_endpoint
        lines = [f"WaveDB local stack ready ({functions} functions, {routes} routes)"]
        if self.site is not None:
            built = "" if self.site.built else "  (not built: make web)"
            lines.append(f"  Dashboard:  {self.api_url}/{built}")
        lines += [
            f"  API:        {self.api_url}",
            f"  Docs:       {self.api_url}/docs",
            f"  OpenAPI:    {self.api_url}/openapi.json",
            f"  Data dir:   {self.config.data_dir}",
            f"  Database:   {describe_database(self.database_url)}",
            f"  AWS:        {aws} (region {self.config.region})",
        ]
        if model is not None:
            for queue in model.queues.values():
                lines.append(f"  Queue:      {queue.logical_id} -> {queue.url}")
            for bucket in model.buckets.values():
                lines.append(f"  Bucket:     {bucket.logical_id} -> {bucket.name}")
        return "\n".join(lines)


def _hold_a_connection_per_invoking_thread() -> None:
    """The functions run as threads of this process: each invoking thread is an execution
    environment with a database connection of its own (when the functions use wavedb_core)."""
    if importlib.util.find_spec("wavedb_core") is not None:
        from wavedb_local.thread_environments import install

        install()


def _mark_media_without_objects_missing() -> None:
    """Before anything is served: a ready item whose object the emulator no longer has is
    shown as missing, not as ready with a link that fails."""
    from wavedb_core.db.connection import close_connection
    from wavedb_core.services.media_reconcile import mark_missing_objects

    try:
        marked = mark_missing_objects()
    except Exception:
        logger.exception("checking media against the bucket failed; items keep their status")
        return
    finally:
        close_connection()
    if marked:
        logger.warning("%d media item(s) whose objects are gone are now missing", marked)


def _bind(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({error.strerror}); set PORT to a free port"
        ) from error
    listener.listen(128)
    return listener
