"""An invitation goes only to whoever proves the invited address.

Sign-up does not prove an address (confirmation is off by default), so signing up as the
invited address in another case must not be enough to take the invitation and its role:
accepting needs the secret token of the invitation's e-mail or a confirmed address, on our
routes and on Tora's alike."""

from __future__ import annotations

import uuid

import httpx

from tests.support.accounts import SignedUpUser, sign_up
from tests.support.invitations import accept_invitation, invite_with_token


def _team_with_a_run(http: httpx.Client, owner: SignedUpUser) -> tuple[str, str]:
    workspace = http.post("/v1/workspaces", json={"name": "Vision team"}, headers=owner.bearer)
    assert workspace.status_code == 201, workspace.text
    workspace_id = str(workspace.json()["id"])
    project = http.post(
        f"/v1/workspaces/{workspace_id}/projects", json={"name": "secret"}, headers=owner.bearer
    )
    assert project.status_code == 201, project.text
    project_id = str(project.json()["id"])
    run = http.post(f"/v1/projects/{project_id}/runs", json={"name": "r"}, headers=owner.bearer)
    assert run.status_code == 201, run.text
    return workspace_id, project_id


def test_invitation_signup_as_invited_address_in_other_case_cannot_accept(
    http: httpx.Client,
) -> None:
    owner = sign_up(http, name="Owner")
    workspace_id, project_id = _team_with_a_run(http, owner)
    hire = f"newhire-{uuid.uuid4().hex[:8]}@example.com"
    invited = http.post(
        f"/v1/workspaces/{workspace_id}/invitations",
        json={"email": hire, "role": "admin"},
        headers=owner.bearer,
    )
    assert invited.status_code == 201, invited.text
    invitation = invited.json()
    impostor = sign_up(http, email=hire.upper(), name="Impostor")

    accepted = accept_invitation(http, impostor, invitation["id"], None)
    by_tora = http.put(
        "/workspaces/any/invitations",
        params={"invitationId": invitation["id"], "action": "accept"},
        headers=impostor.bearer,
    )
    declined = http.post(f"/v1/invitations/{invitation['id']}/decline", headers=impostor.bearer)

    assert accepted.status_code == 403, accepted.text
    assert accepted.json()["code"] == "address_not_proven"
    assert by_tora.status_code == 403, by_tora.text
    assert declined.status_code == 403, declined.text
    assert http.get(f"/v1/workspaces/{workspace_id}", headers=impostor.bearer).status_code == 404
    runs = http.get(f"/v1/projects/{project_id}/runs", headers=impostor.bearer)
    assert runs.status_code == 404
    pending = http.get(f"/v1/workspaces/{workspace_id}/invitations", headers=owner.bearer)
    assert [item["id"] for item in pending.json()["items"]] == [invitation["id"]]


def test_invitation_token_of_another_invitation_does_not_open_this_one(
    http: httpx.Client,
) -> None:
    owner = sign_up(http, name="Owner")
    workspace_id, _ = _team_with_a_run(http, owner)
    hire = f"newhire-{uuid.uuid4().hex[:8]}@example.com"
    invitation, _ = invite_with_token(http, owner, workspace_id, hire, "admin")
    impostor = sign_up(http, email=hire.upper(), name="Impostor")
    # The impostor's own mailbox receives a real invitation (to another workspace).
    other_owner = sign_up(http, name="Other")
    other_workspace, _ = _team_with_a_run(http, other_owner)
    _, own_token = invite_with_token(http, other_owner, other_workspace, impostor.email)

    answer = accept_invitation(http, impostor, invitation["id"], own_token)

    assert answer.status_code == 403, answer.text
    assert http.get(f"/v1/workspaces/{workspace_id}", headers=impostor.bearer).status_code == 404


def test_invitation_token_forwarded_to_another_account_gets_404(http: httpx.Client) -> None:
    owner = sign_up(http, name="Owner")
    workspace_id, _ = _team_with_a_run(http, owner)
    invitation, token = invite_with_token(
        http, owner, workspace_id, f"hire-{uuid.uuid4().hex[:8]}@example.com", "admin"
    )
    stranger = sign_up(http, name="Stranger")

    answer = accept_invitation(http, stranger, invitation["id"], token)

    assert answer.status_code == 404, answer.text
    assert http.get(f"/v1/workspaces/{workspace_id}", headers=stranger.bearer).status_code == 404


def test_invitation_token_from_the_mail_lets_the_invitee_accept_once(http: httpx.Client) -> None:
    owner = sign_up(http, name="Owner")
    workspace_id, project_id = _team_with_a_run(http, owner)
    hire = f"newhire-{uuid.uuid4().hex[:8]}@example.com"
    invitation, token = invite_with_token(http, owner, workspace_id, hire, "admin")
    invitee = sign_up(http, email=hire, name="New hire")

    accepted = accept_invitation(http, invitee, invitation["id"], token)
    again = accept_invitation(http, invitee, invitation["id"], token)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "admin"
    assert again.status_code == 409
    assert http.get(f"/v1/projects/{project_id}/runs", headers=invitee.bearer).status_code == 200
