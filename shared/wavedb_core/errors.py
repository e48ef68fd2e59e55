"""Domain errors, defined once. Each carries its HTTP status and a machine-readable code."""

from __future__ import annotations

from typing import Any, ClassVar


class WaveDBError(Exception):
    """Base of every error a client may see. Subclasses set the status and the code."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}
        if code is not None:
            self.code = code  # type: ignore[misc]


class BadRequest(WaveDBError):
    status_code = 400
    code = "bad_request"


class Unauthorized(WaveDBError):
    status_code = 401
    code = "unauthorized"


class Forbidden(WaveDBError):
    status_code = 403
    code = "forbidden"


class NotFound(WaveDBError):
    status_code = 404
    code = "not_found"


class Conflict(WaveDBError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(WaveDBError):
    status_code = 413
    code = "payload_too_large"


class ValidationFailed(WaveDBError):
    status_code = 422
    code = "validation_error"


class RateLimited(WaveDBError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(
            message,
            details={"retry_after_seconds": retry_after_seconds},
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailable(WaveDBError):
    status_code = 503
    code = "service_unavailable"

    def __init__(
        self, message: str, *, code: str | None = None, retry_after_seconds: int = 1
    ) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_seconds)}, code=code)


class InternalError(WaveDBError):
    """An unexpected failure: the request was not completed (details go to the log only)."""

    status_code = 500
    code = "internal_error"
