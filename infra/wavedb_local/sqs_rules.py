"""SQS rules the emulator in front of moto applies, as AWS does.

- SendMessage refuses a message over 1 MiB (its body and attributes, in UTF-8 bytes), and
  SendMessageBatch a batch whose messages add up to more (moto counts characters of the body
  only).
- The visibility changes consumers make are recorded, so that the event source can leave
  them alone (Lambda's event source mapping never overrides them).
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from wavedb_local.limits import SQS_MESSAGE_LIMIT_BYTES

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_REMEMBERED_HANDLES = 100_000
_observers: dict[str, SqsRules] = {}
_observers_lock = threading.Lock()


def message_size(message: dict[str, Any]) -> int:
    """A message's size as SQS counts it: the body, and each attribute's name, type and value."""
    size = len(str(message.get("MessageBody", "")).encode())
    for name, attribute in (message.get("MessageAttributes") or {}).items():
        size += len(name.encode()) + len(str(attribute.get("DataType", "")).encode())
        if "StringValue" in attribute:
            size += len(str(attribute["StringValue"]).encode())
        if "BinaryValue" in attribute:
            size += (len(str(attribute["BinaryValue"])) * 3) // 4  # base64 in the JSON request
    return size


class SqsRules:
    """WSGI middleware in front of the emulator's app (SQS's JSON protocol)."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._changed: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if not target.startswith("AmazonSQS."):
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return self._app(environ, start_response)
        refusal = self._refusal(target.removeprefix("AmazonSQS."), request)
        if refusal is not None:
            code, message = refusal
            return _error(start_response, code, message)
        return self._app(environ, start_response)

    def _refusal(self, action: str, request: dict[str, Any]) -> tuple[str, str] | None:
        if action == "SendMessage":
            if message_size(request) > SQS_MESSAGE_LIMIT_BYTES:
                return (
                    "InvalidParameterValue",
                    "One or more parameters are invalid. Reason: Message must be shorter"
                    f" than {SQS_MESSAGE_LIMIT_BYTES} bytes.",
                )
        elif action == "SendMessageBatch":
            total = sum(message_size(entry) for entry in request.get("Entries") or [])
            if total > SQS_MESSAGE_LIMIT_BYTES:
                return (
                    "BatchRequestTooLong",
                    f"Batch requests cannot be longer than {SQS_MESSAGE_LIMIT_BYTES} bytes."
                    f" You have sent {total} bytes.",
                )
        elif action == "ChangeMessageVisibility":
            self._remember([request.get("ReceiptHandle")])
        elif action == "ChangeMessageVisibilityBatch":
            self._remember([entry.get("ReceiptHandle") for entry in request.get("Entries") or []])
        return None

    def _remember(self, handles: list[Any]) -> None:
        with self._lock:
            for handle in handles:
                if isinstance(handle, str):
                    self._changed[handle] = None
            while len(self._changed) > _REMEMBERED_HANDLES:
                self._changed.popitem(last=False)

    def take_visibility_changes(self, receipt_handles: Iterable[str]) -> set[str]:
        """Which of these receipt handles had their visibility changed (then forgotten)."""
        with self._lock:
            changed = {handle for handle in receipt_handles if handle in self._changed}
            for handle in changed:
                del self._changed[handle]
        return changed


def _error(start_response: Callable[..., Any], code: str, message: str) -> list[bytes]:
    body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": message}).encode()
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Content-Length", str(len(body))),
            ("x-amzn-query-error", f"{code};Sender"),
        ],
    )
    return [body]


def register_observer(endpoint: str, rules: SqsRules) -> None:
    """Make the rules of the emulator at `endpoint` known to event sources in this process."""
    with _observers_lock:
        _observers[endpoint] = rules


def forget_observer(endpoint: str) -> None:
    with _observers_lock:
        _observers.pop(endpoint, None)


def observer_for(endpoint: str | None) -> SqsRules | None:
    """The rules of an emulator started in this process at `endpoint`, if any."""
    if endpoint is None:
        return None
    with _observers_lock:
        return _observers.get(endpoint)
