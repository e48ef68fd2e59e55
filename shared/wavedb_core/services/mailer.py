"""Outgoing e-mail through Amazon SES."""

from __future__ import annotations

from wavedb_core.aws import aws_client
from wavedb_core.settings import get_settings


def send_email(*, to: str, subject: str, text: str) -> None:
    settings = get_settings()
    if not settings.email_sender:
        raise RuntimeError("EMAIL_SENDER is not configured")
    aws_client("ses").send_email(
        Source=settings.email_sender,
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}},
    )
