"""API keys: create (the key is returned once), list, revoke."""

from uuid import UUID

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter, Response, status

from wavedb_core.http import AuthenticatedPrincipal, answers, create_app, http_handler
from wavedb_core.models.api_keys import ApiKeyCreated, ApiKeyCreateRequest, ApiKeyOut
from wavedb_core.services import api_keys

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(409))
def create_api_key(principal: AuthenticatedPrincipal, body: ApiKeyCreateRequest) -> ApiKeyCreated:
    return api_keys.create_api_key(principal, body)


@router.get("")
def list_api_keys(principal: AuthenticatedPrincipal) -> list[ApiKeyOut]:
    return api_keys.list_api_keys(principal)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(principal: AuthenticatedPrincipal, key_id: UUID) -> Response:
    api_keys.revoke_api_key(principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


app = create_app(router, title="api keys")
handler = http_handler(app)
