"""Who is calling, for the Tora routes: the authorizer's verdict, with Tora's 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from wavedb_core.errors import Unauthorized
from wavedb_core.http.security import authenticated_principal
from wavedb_core.principal import Principal
from wavedb_core.tora_compat.errors import ToraAuthenticationFailed


def tora_principal(request: Request) -> Principal:
    """The caller; Tora's 401 without valid credentials (429 and 403 as everywhere else)."""
    try:
        return authenticated_principal(request)
    except Unauthorized as error:
        raise ToraAuthenticationFailed(error.message) from error


ToraPrincipal = Annotated[Principal, Depends(tora_principal)]
