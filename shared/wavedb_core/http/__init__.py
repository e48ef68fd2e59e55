"""What every HTTP function shares: the app factory, the error mapping, the Lambda entry point."""

from wavedb_core.http.app import create_app
from wavedb_core.http.error_responses import answers
from wavedb_core.http.lambda_handler import http_handler
from wavedb_core.http.responses import model_response
from wavedb_core.http.security import (
    AuthenticatedPrincipal,
    ClientIp,
    OptionalPrincipal,
    ReadingPrincipal,
)

__all__ = [
    "AuthenticatedPrincipal",
    "ClientIp",
    "OptionalPrincipal",
    "ReadingPrincipal",
    "answers",
    "create_app",
    "http_handler",
    "model_response",
]
