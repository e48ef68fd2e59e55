"""One user's objects, made through the API, and the path parameters that name them.

Every id a route takes in its path is named here; a route with a parameter this table
does not know fails the suites that use it, so a new route cannot go untested."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from tests.support.accounts import HttpClient, SignedUpUser

_PATH_PARAMETER = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class OwnedObjects:
    """A workspace of `owner` with a project, a run, a media item, a metric batch, an
    export of the run and a pending invitation (to a third address), and an API key of
    the owner."""

    owner: SignedUpUser
    workspace_id: str
    project_id: str
    run_id: str
    media_id: str
    batch_id: str
    invitation_id: str
    key_id: str
    export_id: str

    def path_values(self) -> dict[str, str]:
        """The value of each path parameter the API's routes take (Tora's experiment and
        the original WaveDB's runner are our run)."""
        return {
            "workspace_id": self.workspace_id,
            "project_id": self.project_id,
            "projectId": self.project_id,
            "run_id": self.run_id,
            "experiment_id": self.run_id,
            "runnerId": self.run_id,
            "media_id": self.media_id,
            "batch_id": self.batch_id,
            "invitation_id": self.invitation_id,
            "key_id": self.key_id,
            "user_id": self.owner.id,
            "export_id": self.export_id,
        }


def path_parameters(route_path: str) -> list[str]:
    """`/v1/runs/{run_id}/media/{media_id}` -> `["run_id", "media_id"]`."""
    return _PATH_PARAMETER.findall(route_path)


def fill_path(route_path: str, values: dict[str, str]) -> str:
    """The route's path with each parameter replaced by its value (KeyError if unknown)."""
    return _PATH_PARAMETER.sub(lambda match: values[match[1]], route_path)


def _created(api: HttpClient, owner: SignedUpUser, path: str, body: object) -> dict[str, object]:
    answer = api.post(path, json=body, headers=owner.bearer)
    assert answer.status_code in (201, 202), (path, answer.status_code, answer.text)
    created: dict[str, object] = answer.json()
    return created


def _id(created: dict[str, object], *path: str) -> str:
    value: object = created
    for part in path:
        assert isinstance(value, dict), created
        value = value[part]
    return str(value)


def make_objects(api: HttpClient, owner: SignedUpUser) -> OwnedObjects:
    """Make the objects through the API, as the owner would."""
    suffix = uuid.uuid4().hex[:8]
    workspace = _created(api, owner, "/v1/workspaces", {"name": f"lab-{suffix}"})
    workspace_id = _id(workspace, "id")
    project = _created(
        api, owner, f"/v1/workspaces/{workspace_id}/projects", {"name": f"vision-{suffix}"}
    )
    project_id = _id(project, "id")
    run = _created(api, owner, f"/v1/projects/{project_id}/runs", {"name": "baseline"})
    run_id = _id(run, "id")
    media = _created(
        api,
        owner,
        f"/v1/runs/{run_id}/media",
        {"name": "notes", "kind": "text", "text": "first epoch done"},
    )
    batch = _created(
        api,
        owner,
        f"/v1/runs/{run_id}/metrics",
        {"batch_id": f"batch-{suffix}", "points": [{"name": "loss", "value": 0.5, "step": 1}]},
    )
    invitation = _created(
        api,
        owner,
        f"/v1/workspaces/{workspace_id}/invitations",
        {"email": f"invitee-{suffix}@example.com", "role": "member"},
    )
    key = _created(api, owner, "/v1/api-keys", {"name": f"ci-{suffix}"})
    export = _created(api, owner, f"/v1/runs/{run_id}/exports", {})
    return OwnedObjects(
        owner=owner,
        workspace_id=workspace_id,
        project_id=project_id,
        run_id=run_id,
        media_id=_id(media, "media", "id"),
        batch_id=_id(batch, "batch_id"),
        invitation_id=_id(invitation, "id"),
        key_id=_id(key, "id"),
        export_id=_id(export, "id"),
    )
