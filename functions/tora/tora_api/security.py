"""Who is calling, for the Tora routes: the authorizer's verdict, with Tora's 401."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from wavedb_core.errors import Unauthorized
from wavedb_core.http.security import authenticated_principal, reading_principal
from wavedb_core.principal import Principal

from tora_api.errors import ToraAuthenticationFailed


def tora_principal(request: Request) -> Principal:
    """The caller; Tora's 401 without valid credentials (429, 403 and 503 as everywhere
    else, in Tora's error shape)."""
    return _in_tora_terms(authenticated_principal, request)


def tora_reading_principal(request: Request) -> Principal:
    """The caller of a route that only reads whatever its method: `read` suffices."""
    return _in_tora_terms(reading_principal, request)


def _in_tora_terms(dependency: Callable[[Request], Principal], request: Request) -> Principal:
    try:
        return dependency(request)
    except Unauthorized as error:
        raise ToraAuthenticationFailed(error.message) from error


ToraPrincipal = Annotated[Principal, Depends(tora_principal)]
ToraReadingPrincipal = Annotated[Principal, Depends(tora_reading_principal)]
