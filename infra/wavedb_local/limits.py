"""The AWS limits the local stack enforces, so that what fails in AWS fails here too.

Lambda counts a payload as the JSON it carries: the event a function is invoked with
(binary HTTP bodies base64-encoded in it) and the answer it returns.
"""

from __future__ import annotations

import json
from typing import Any

LAMBDA_REQUEST_LIMIT_BYTES = 6 * 1024 * 1024  # synchronous Invoke: 6,291,456 bytes
LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024 + 100  # Lambda reports 6,291,556 bytes
HTTP_API_PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024  # API Gateway HTTP API request body
HTTP_API_INTEGRATION_TIMEOUT_SECONDS = 30.0  # API Gateway HTTP API waits this long at most
SQS_MESSAGE_LIMIT_BYTES = 1024 * 1024  # SendMessage (body and attributes), and a whole batch


class InvocationFailed(RuntimeError):
    """The invocation failed the way Lambda fails it (not an error raised by the handler)."""


class PayloadTooLarge(InvocationFailed):
    """An event or an answer over Lambda's payload limit."""


class RequestTooLarge(PayloadTooLarge):
    """An event synchronous Invoke refuses (Lambda answers 413)."""


class ResponseTooLarge(PayloadTooLarge):
    """An answer over Lambda's response limit (the invocation fails)."""


class FunctionTimedOut(InvocationFailed):
    """The handler ran longer than the function's Timeout."""


def payload_size(payload: Any) -> int:
    """The size in bytes of `payload` as Lambda carries it (compact JSON, UTF-8)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)
    return len(text.encode())


def check_request_size(payload: Any) -> None:
    """Refuse an event that synchronous Invoke would refuse."""
    size = payload_size(payload)
    if size > LAMBDA_REQUEST_LIMIT_BYTES:
        raise RequestTooLarge(
            f"Request must be smaller than {LAMBDA_REQUEST_LIMIT_BYTES} bytes for the"
            f" InvokeFunction operation (the event is {size} bytes)"
        )


def check_response_size(payload: Any) -> None:
    """Fail an answer Lambda would not return."""
    size = payload_size(payload)
    if size > LAMBDA_RESPONSE_LIMIT_BYTES:
        raise ResponseTooLarge(
            f"Response payload size ({size} bytes) exceeded maximum allowed payload size"
            f" ({LAMBDA_RESPONSE_LIMIT_BYTES} bytes)."
        )


def check_duration(elapsed_seconds: float, timeout_seconds: float) -> None:
    """Fail an invocation that ran past the function's Timeout."""
    if elapsed_seconds > timeout_seconds:
        raise FunctionTimedOut(f"Task timed out after {timeout_seconds:.2f} seconds")
