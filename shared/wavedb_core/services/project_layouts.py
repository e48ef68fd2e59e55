"""Chart layouts: each user keeps their own layout of every project they can read.

A layout is the user's own view, so a viewer saves one as a member does; it changes nothing
anyone else sees.
"""

from __future__ import annotations

from uuid import UUID

from wavedb_core.db.connection import transaction
from wavedb_core.models.layouts import LayoutOut, LayoutRequest
from wavedb_core.principal import Principal
from wavedb_core.repositories import project_layouts as repository
from wavedb_core.services.access import READ, require_project


def get_layout(principal: Principal, project_id: UUID) -> LayoutOut:
    """The caller's layout of the project; an empty one when none has been saved."""
    with transaction() as connection:
        require_project(connection, principal, project_id, READ)
        row = repository.find_layout(connection, project_id=project_id, user_id=principal.user_id)
    if row is None:
        return LayoutOut(panels=[], group_by=[], group_band="minmax", updated_at=None)
    return LayoutOut.model_validate({**row.layout, "updated_at": row.updated_at})


def save_layout(principal: Principal, project_id: UUID, layout: LayoutRequest) -> LayoutOut:
    """Replace the caller's layout of the project."""
    with transaction() as connection:
        require_project(connection, principal, project_id, READ)
        row = repository.save_layout(
            connection,
            project_id=project_id,
            user_id=principal.user_id,
            layout=layout.model_dump(mode="json"),
        )
    return LayoutOut.model_validate({**row.layout, "updated_at": row.updated_at})
