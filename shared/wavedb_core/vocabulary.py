"""The closed sets of words the database stores and the API speaks, defined once each.

The tables' CHECK constraints allow exactly these; the models, repositories and services
all name them from here, so a row read from PostgreSQL is typed as what it holds.
"""

from __future__ import annotations

from typing import Literal

RunStatus = Literal["pending", "running", "finished", "failed", "crashed", "canceled"]
StartingStatus = Literal["pending", "running"]

MemberRole = Literal["owner", "admin", "member", "viewer"]
InvitedRole = Literal["admin", "member", "viewer"]
InvitationStatus = Literal["pending", "accepted", "declined", "revoked"]

BatchStatus = Literal["queued", "written", "failed"]

ApiKeyScope = Literal["read", "write"]
