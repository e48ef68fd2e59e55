"""Invitations through the API: invite, list, accept, decline, revoke, expiry and e-mail."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import psycopg
import pytest
from moto.backends import get_backend

from tests.conftest import reset_cached_settings
from tests.support.accounts import PASSWORD, SignedUpUser, sign_up
from tests.support.invitations import accept_invitation, invite_with_token
from tests.support.mail import printed_mail
from tests.support.workspaces import create_workspace

SENDER = "invitations@wavedb.example"


def _invite(
    api: Any, inviter: SignedUpUser, workspace_id: str, email: str, role: str = "member"
) -> Any:
    return api.post(
        f"/v1/workspaces/{workspace_id}/invitations",
        json={"email": email, "role": role},
        headers=inviter.bearer,
    )


def _invited(
    api: Any, inviter: SignedUpUser, workspace_id: str, email: str, role: str = "member"
) -> dict[str, Any]:
    response = _invite(api, inviter, workspace_id, email, role)
    assert response.status_code == 201, response.text
    invitation: dict[str, Any] = response.json()
    return invitation


def _my_invitation_ids(api: Any, user: SignedUpUser) -> list[str]:
    response = api.get("/v1/invitations", headers=user.bearer)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _workspace_invitation_ids(api: Any, user: SignedUpUser, workspace_id: str) -> list[str]:
    response = api.get(f"/v1/workspaces/{workspace_id}/invitations", headers=user.bearer)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _workspace_ids(api: Any, user: SignedUpUser) -> set[str]:
    return {item["id"] for item in api.get("/v1/workspaces", headers=user.bearer).json()["items"]}


# ------------------------------------------------------------------ the whole flow


def test_invitation_flow_invite_list_accept_makes_invitee_a_member(api: Any) -> None:
    ada, bob = sign_up(api, name="Ada"), sign_up(api, name="Bob")
    workspace_id = create_workspace(api, ada)["id"]

    invitation, token = invite_with_token(api, ada, workspace_id, bob.email, "viewer")
    [mine] = api.get("/v1/invitations", headers=bob.bearer).json()["items"]
    accepted = accept_invitation(api, bob, invitation["id"], token)

    assert invitation["status"] == "pending"
    assert invitation["workspace_id"] == workspace_id
    assert invitation["workspace_name"] == "Vision team"
    assert invitation["email"] == bob.email
    assert invitation["role"] == "viewer"
    assert invitation["invited_by"] == {"id": ada.id, "email": ada.email, "name": "Ada"}
    assert mine == invitation
    assert accepted.status_code == 200
    assert accepted.json()["id"] == workspace_id
    assert accepted.json()["role"] == "viewer"
    assert workspace_id in _workspace_ids(api, bob)
    members = api.get(f"/v1/workspaces/{workspace_id}/members", headers=bob.bearer).json()
    assert {m["user_id"]: m["role"] for m in members["items"]} == {
        ada.id: "owner",
        bob.id: "viewer",
    }
    assert _my_invitation_ids(api, bob) == []
    assert _workspace_invitation_ids(api, ada, workspace_id) == []


def test_invitation_expires_fourteen_days_after_creation(api: Any) -> None:
    ada = sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]

    invitation = _invited(api, ada, workspace_id, "new@example.com")

    created = datetime.fromisoformat(invitation["created_at"])
    expires = datetime.fromisoformat(invitation["expires_at"])
    assert abs((expires - created).total_seconds() - 14 * 86400) < 60


def test_invitation_address_matches_any_case(api: Any) -> None:
    ada = sign_up(api)
    bob = sign_up(api, email=f"bob-{uuid.uuid4().hex[:6]}@example.com")
    workspace_id = create_workspace(api, ada)["id"]

    invitation, token = invite_with_token(api, ada, workspace_id, bob.email.upper())
    accepted = accept_invitation(api, bob, invitation["id"], token)

    assert _my_invitation_ids(api, bob) == []
    assert accepted.status_code == 200
    assert accepted.json()["role"] == "member"


def test_invitation_to_address_without_account_is_found_after_signup(api: Any) -> None:
    ada = sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    email = f"later-{uuid.uuid4().hex[:6]}@example.com"
    invitation = _invited(api, ada, workspace_id, email)

    newcomer = sign_up(api, email=email)

    assert _my_invitation_ids(api, newcomer) == [invitation["id"]]


def test_accept_invitation_twice_gets_409_not_pending(api: Any) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation, token = invite_with_token(api, ada, workspace_id, bob.email)
    accept_invitation(api, bob, invitation["id"], token)

    again = accept_invitation(api, bob, invitation["id"], token)

    assert again.status_code == 409
    assert again.json()["code"] == "invitation_not_pending"
    assert again.json()["details"] == {"status": "accepted"}


def test_decline_invitation_leaves_invitee_outside(api: Any) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation, token = invite_with_token(api, ada, workspace_id, bob.email)

    declined = api.post(
        f"/v1/invitations/{invitation['id']}/decline", json={"token": token}, headers=bob.bearer
    )
    accept = accept_invitation(api, bob, invitation["id"], token)

    assert declined.status_code == 204
    assert declined.content == b""
    assert accept.status_code == 409
    assert _my_invitation_ids(api, bob) == []
    assert _workspace_invitation_ids(api, ada, workspace_id) == []
    assert api.get(f"/v1/workspaces/{workspace_id}", headers=bob.bearer).status_code == 404


def test_revoke_invitation_admin_withdraws_it(api: Any) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation, token = invite_with_token(api, ada, workspace_id, bob.email)

    revoked = api.delete(
        f"/v1/workspaces/{workspace_id}/invitations/{invitation['id']}", headers=ada.bearer
    )
    again = api.delete(
        f"/v1/workspaces/{workspace_id}/invitations/{invitation['id']}", headers=ada.bearer
    )
    accept = accept_invitation(api, bob, invitation["id"], token)

    assert revoked.status_code == 204
    assert again.status_code == 404
    assert again.json()["code"] == "invitation_not_found"
    assert accept.status_code == 409
    assert accept.json()["details"] == {"status": "revoked"}
    assert _my_invitation_ids(api, bob) == []
    assert workspace_id not in _workspace_ids(api, bob)


def test_revoke_invitation_through_another_workspace_gets_404(api: Any) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    other_workspace_id = create_workspace(api, ada, "other")["id"]
    invitation = _invited(api, ada, workspace_id, bob.email)

    response = api.delete(
        f"/v1/workspaces/{other_workspace_id}/invitations/{invitation['id']}", headers=ada.bearer
    )

    assert response.status_code == 404
    assert _my_invitation_ids(api, bob) == [invitation["id"]]


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_invitation_addressed_to_someone_else_gets_404(api: Any, action: str) -> None:
    ada, bob, eve = sign_up(api), sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation = _invited(api, ada, workspace_id, bob.email)

    by_eve = api.post(f"/v1/invitations/{invitation['id']}/{action}", headers=eve.bearer)
    by_inviter = api.post(f"/v1/invitations/{invitation['id']}/{action}", headers=ada.bearer)
    unknown = api.post(f"/v1/invitations/{uuid.uuid4()}/{action}", headers=eve.bearer)

    assert by_eve.status_code == by_inviter.status_code == unknown.status_code == 404
    assert by_eve.json()["code"] == "invitation_not_found"
    assert _my_invitation_ids(api, eve) == []
    assert _my_invitation_ids(api, bob) == [invitation["id"]]
    assert workspace_id not in _workspace_ids(api, eve)


def test_expired_invitation_is_not_listed_nor_acceptable_and_can_be_renewed(
    api: Any, clean_database: str
) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation, token = invite_with_token(api, ada, workspace_id, bob.email)
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute(
            "UPDATE workspace_invitations SET expires_at = now() - interval '1 second'"
            " WHERE id = %s",
            (invitation["id"],),
        )

    mine = _my_invitation_ids(api, bob)
    pending = _workspace_invitation_ids(api, ada, workspace_id)
    accept = accept_invitation(api, bob, invitation["id"], token)
    renewed = _invite(api, ada, workspace_id, bob.email)

    assert mine == pending == []
    assert accept.status_code == 409
    assert accept.json()["code"] == "invitation_expired"
    assert workspace_id not in _workspace_ids(api, bob)
    assert renewed.status_code == 201
    assert _my_invitation_ids(api, bob) == [renewed.json()["id"]]


# ------------------------------------------------------------------ inviting


def test_invite_existing_member_gets_409_already_member(api: Any) -> None:
    ada = sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]

    response = _invite(api, ada, workspace_id, ada.email.upper())

    assert response.status_code == 409
    assert response.json()["code"] == "already_member"


def test_invite_same_address_twice_gets_409_invitation_pending(api: Any) -> None:
    ada = sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    first = _invited(api, ada, workspace_id, "twice@example.com")

    second = _invite(api, ada, workspace_id, "TWICE@example.com", "viewer")

    assert second.status_code == 409
    assert second.json()["code"] == "invitation_pending"
    [pending] = api.get(f"/v1/workspaces/{workspace_id}/invitations", headers=ada.bearer).json()[
        "items"
    ]
    assert pending["id"] == first["id"]
    assert pending["role"] == "member"


def test_invite_admin_may_invite_and_list(api: Any) -> None:
    ada, grace = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation, token = invite_with_token(api, ada, workspace_id, grace.email, "admin")
    accept_invitation(api, grace, invitation["id"], token)

    sent = _invite(api, grace, workspace_id, "third@example.com", "viewer")

    assert sent.status_code == 201
    assert sent.json()["invited_by"]["id"] == grace.id
    assert _workspace_invitation_ids(api, ada, workspace_id) == [sent.json()["id"]]


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_invite_below_admin_gets_403(api: Any, role: str) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation, token = invite_with_token(api, ada, workspace_id, bob.email, role)
    accept_invitation(api, bob, invitation["id"], token)

    invite = _invite(api, bob, workspace_id, "friend@example.com")
    listing = api.get(f"/v1/workspaces/{workspace_id}/invitations", headers=bob.bearer)

    assert invite.status_code == listing.status_code == 403
    assert invite.json()["code"] == "insufficient_role"
    assert _workspace_invitation_ids(api, ada, workspace_id) == []


@pytest.mark.parametrize(
    "body",
    [
        {"email": "x@example.com", "role": "owner"},
        {"email": "x@example.com", "role": "god"},
        {"email": "not an address", "role": "member"},
        {"email": ("x" * 250) + "@example.com", "role": "member"},
        {"role": "member"},
        {"email": "x@example.com", "role": "member", "message": "hi"},
    ],
    ids=["owner", "unknown-role", "bad-email", "long-email", "no-email", "unknown-field"],
)
def test_invite_bad_body_gets_422(api: Any, body: dict[str, Any]) -> None:
    ada = sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]

    response = api.post(f"/v1/workspaces/{workspace_id}/invitations", json=body, headers=ada.bearer)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert _workspace_invitation_ids(api, ada, workspace_id) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/invitations/not-a-uuid/accept"),
        ("POST", "/v1/invitations/1234/decline"),
        ("DELETE", "/v1/workspaces/{ws}/invitations/not-a-uuid"),
    ],
)
def test_invitation_routes_malformed_uuid_get_422(api: Any, method: str, path: str) -> None:
    ada = sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]

    response = api.request(method, path.format(ws=workspace_id), headers=ada.bearer)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


# ------------------------------------------------------------------ e-mail


@pytest.fixture
def email_sender(server_environment: dict[str, str]) -> Iterator[None]:
    boto3.client(
        "ses", region_name="us-east-1", endpoint_url=server_environment["AWS_ENDPOINT_URL"]
    ).verify_email_identity(EmailAddress=SENDER)
    os.environ["EMAIL_SENDER"] = SENDER
    reset_cached_settings()
    yield
    del os.environ["EMAIL_SENDER"]
    reset_cached_settings()


def _messages_to(recipient: str) -> list[Any]:
    messages = get_backend("ses")["123456789012"]["us-east-1"].sent_messages
    return [m for m in messages if recipient in m.destinations["ToAddresses"]]


def test_invite_with_email_sender_mails_the_invitee_a_secret_link(
    api: Any, email_sender: None
) -> None:
    ada = sign_up(api, name="Ada")
    workspace_id = create_workspace(api, ada, "Speech lab")["id"]
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.com"

    invitation = _invited(api, ada, workspace_id, email, "viewer")

    [message] = _messages_to(email)
    assert message.source == SENDER
    assert "Speech lab" in message.subject
    assert "Ada invited you" in message.body
    assert "viewer" in message.body
    link = re.search(r"http://\S+/#/invitations\?token=(wdi_\S+)", message.body)
    assert link is not None, message.body
    assert link[1].startswith(f"wdi_{invitation['id'].replace('-', '')}_")
    invitee = sign_up(api, email=email)
    assert accept_invitation(api, invitee, invitation["id"], link[1]).status_code == 200


def test_invite_without_email_sender_prints_the_mail_instead(api: Any) -> None:
    ada = sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    email = f"quiet-{uuid.uuid4().hex[:8]}@example.com"

    with printed_mail() as mail:
        invitation = _invited(api, ada, workspace_id, email)

    assert _messages_to(email) == []
    assert f"To: {email}" in mail.text
    assert f"#/invitations?token={mail.invitation_token(invitation['id'])}" in mail.text


def test_invite_without_any_way_to_send_mail_answers_the_inviter_the_link_to_pass_on(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    monkeypatch.setenv("PRINT_EMAILS", "false")
    reset_cached_settings()
    try:
        with printed_mail() as mail:
            invitation = _invited(api, ada, workspace_id, bob.email)
    finally:
        monkeypatch.undo()
        reset_cached_settings()

    assert _messages_to(bob.email) == []
    assert "wdi_" not in mail.text
    link = invitation["invite_url"]
    assert link.startswith("http")
    assert "#/invitations?token=wdi_" in link
    token = link.rpartition("token=")[2]
    assert _my_invitation_ids(api, bob) == [invitation["id"]]
    listed = api.get("/v1/invitations", headers=bob.bearer).json()["items"]
    assert listed[0]["invite_url"] is None  # only the inviter's answer carries it
    assert accept_invitation(api, bob, invitation["id"], token).status_code == 200


def test_invite_with_mail_keeps_the_link_out_of_the_inviters_answer(api: Any) -> None:
    ada = sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    email = f"mailed-{uuid.uuid4().hex[:8]}@example.com"

    with printed_mail() as mail:
        invitation = _invited(api, ada, workspace_id, email)

    assert invitation["invite_url"] is None
    assert mail.invitation_token(invitation["id"])


# ------------------------------------------------------------------ proof of the address


def test_accept_without_token_by_unconfirmed_address_gets_403_and_changes_nothing(
    api: Any,
) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation = _invited(api, ada, workspace_id, bob.email)

    accept = accept_invitation(api, bob, invitation["id"], None)
    decline = api.post(f"/v1/invitations/{invitation['id']}/decline", headers=bob.bearer)

    assert accept.status_code == decline.status_code == 403
    assert accept.json()["code"] == "address_not_proven"
    assert "e-mail" in accept.json()["message"]
    assert workspace_id not in _workspace_ids(api, bob)
    assert _workspace_invitation_ids(api, ada, workspace_id) == [invitation["id"]]


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "wdi_" + "0" * 32 + "_" + "A" * 43, "wdc_" + "0" * 32 + "_" + "A" * 43],
    ids=["malformed", "forged", "other-kind"],
)
def test_accept_with_wrong_token_gets_403_invalid_invitation_token(api: Any, token: str) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation = _invited(api, ada, workspace_id, bob.email)

    accept = accept_invitation(api, bob, invitation["id"], token)

    assert accept.status_code == 403
    assert accept.json()["code"] == "invalid_invitation_token"
    assert workspace_id not in _workspace_ids(api, bob)


def test_accept_with_token_confirms_the_address_so_later_invitations_need_none(
    api: Any,
) -> None:
    ada, bob = sign_up(api), sign_up(api)
    first = create_workspace(api, ada, "first")["id"]
    second = create_workspace(api, ada, "second")["id"]
    invitation, token = invite_with_token(api, ada, first, bob.email)
    later = _invited(api, ada, second, bob.email)
    assert api.get("/v1/me", headers=bob.bearer).json()["email_confirmed"] is False

    accepted = accept_invitation(api, bob, invitation["id"], token)
    from_the_list = accept_invitation(api, bob, later["id"], None)

    assert accepted.status_code == from_the_list.status_code == 200
    assert api.get("/v1/me", headers=bob.bearer).json()["email_confirmed"] is True
    assert {first, second} <= _workspace_ids(api, bob)


def test_accept_without_token_by_confirmed_address_works(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    email = f"confirmed-{uuid.uuid4().hex[:8]}@example.com"
    invitation = _invited(api, ada, workspace_id, email, "viewer")
    monkeypatch.setenv("REQUIRE_EMAIL_CONFIRMATION", "true")  # mails printed (PRINT_EMAILS)
    reset_cached_settings()
    try:
        with printed_mail() as mail:
            signup = api.post(
                "/v1/auth/signup", json={"email": email, "password": PASSWORD, "name": "Cy"}
            )
        confirmation = re.search(r"\bwdc_[0-9a-f]+_[A-Za-z0-9_-]{43}\b", mail.text)
        assert signup.status_code == 201, signup.text
        assert confirmation is not None, mail.text
        assert api.post("/v1/auth/confirm-email", json={"token": confirmation[0]}).is_success
        login = api.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
    finally:
        monkeypatch.undo()
        reset_cached_settings()
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}

    accepted = api.post(f"/v1/invitations/{invitation['id']}/accept", headers=bearer)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "viewer"


def test_invitation_made_before_tokens_is_accepted_by_confirmed_address_only(
    api: Any, clean_database: str
) -> None:
    ada, bob = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    invitation, token = invite_with_token(api, ada, workspace_id, bob.email)
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute(
            "UPDATE workspace_invitations SET token_hash = NULL WHERE id = %s", (invitation["id"],)
        )

    with_token = accept_invitation(api, bob, invitation["id"], token)
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute("UPDATE users SET email_confirmed_at = now() WHERE id = %s", (bob.id,))
    confirmed = accept_invitation(api, bob, invitation["id"], None)

    assert with_token.status_code == 403
    assert confirmed.status_code == 200, confirmed.text
