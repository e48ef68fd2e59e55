"""boto3 clients, created lazily once per execution environment, with the endpoint from settings.

boto3 is imported on first use only: the Lambda runtime provides it, the layer does not ship
it, and functions that never touch AWS do not pay for the import at cold start.
"""

from __future__ import annotations

import threading
from typing import Any

from wavedb_core.settings import get_settings
from wavedb_core.tracing import trace_aws_calls

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def aws_client(service: str) -> Any:
    """The shared client of an AWS service (s3, sqs, ses...), at AWS_ENDPOINT_URL if set."""
    return _shared_client(
        service,
        service,
        connect_timeout=3,
        read_timeout=10,
        retries={"max_attempts": 3, "mode": "standard"},
    )


def aws_probe_client(service: str, timeout_seconds: float) -> Any:
    """A client of an AWS service for a quick probe (health checks): one attempt, no retry,
    each of connecting and reading bounded by `timeout_seconds`, so an unreachable
    endpoint is found out in that time instead of outlasting the function."""
    return _shared_client(
        f"{service}:probe:{timeout_seconds}",
        service,
        connect_timeout=timeout_seconds,
        read_timeout=timeout_seconds,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )


def _shared_client(
    key: str,
    service: str,
    *,
    connect_timeout: float,
    read_timeout: float,
    retries: dict[str, Any],
) -> Any:
    client = _clients.get(key)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            trace_aws_calls()

            settings = get_settings()
            client = boto3.session.Session().client(
                service,
                region_name=settings.aws_region,
                endpoint_url=settings.aws_endpoint_url,
                config=Config(
                    connect_timeout=connect_timeout,
                    read_timeout=read_timeout,
                    retries=retries,
                    **_service_options(service, settings.aws_endpoint_url),
                ),
            )
            _clients[key] = client
    return client


def _service_options(service: str, endpoint_url: str | None) -> dict[str, Any]:
    """S3 presigns with SigV4 on the bucket's own host in AWS (what browsers and regional
    buckets need), and by path on an emulator's single host."""
    if service != "s3":
        return {}
    return {
        "signature_version": "s3v4",
        "s3": {"addressing_style": "path" if endpoint_url else "virtual"},
    }


def reset_aws_clients() -> None:
    """Forget the clients (after the endpoint or credentials change, e.g. in tests)."""
    with _lock:
        _clients.clear()
