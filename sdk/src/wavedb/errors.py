"""The errors the SDK raises: only at `init` for a wrong setup, and from the API client."""

from __future__ import annotations


class WaveDBError(Exception):
    """Base class of every WaveDB SDK error."""


class ConfigError(WaveDBError):
    """The SDK is set up wrongly (no API URL or key, an unknown project, a bad argument)."""


class ApiUnreachable(WaveDBError):
    """The API could not be reached (connection refused, DNS, timeout)."""


class ApiError(WaveDBError):
    """The API answered with an error status."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def is_retryable(self) -> bool:
        """Worth sending again later: rate limits, timeouts and server-side failures."""
        return self.status in (408, 425, 429) or self.status >= 500

    @property
    def refuses_access(self) -> bool:
        """The key, the run or its project is refused (or the run id is taken): no request
        of this run gets through until that is fixed; its data must be kept."""
        return self.status in (401, 403, 404, 409)

    @property
    def rejects_the_request(self) -> bool:
        """Something in this one request is wrong: sending it again cannot help, and the
        requests after it may still go through."""
        return not self.is_retryable and not self.refuses_access
