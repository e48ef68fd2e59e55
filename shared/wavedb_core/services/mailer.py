"""Outgoing e-mail through Amazon SES, or printed on standard output by the local stack."""

from __future__ import annotations

import sys

from wavedb_core.aws import aws_client
from wavedb_core.settings import get_settings


def can_send_email() -> bool:
    """Whether a message can reach its reader: through SES, or printed (PRINT_EMAILS)."""
    settings = get_settings()
    return bool(settings.email_sender) or settings.print_emails


def send_email(*, to: str, subject: str, text: str) -> None:
    settings = get_settings()
    if settings.email_sender:
        aws_client("ses").send_email(
            Source=settings.email_sender,
            Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}},
        )
    elif settings.print_emails:
        _print_email(to=to, subject=subject, text=text)
    else:
        raise RuntimeError("EMAIL_SENDER is not configured")


def _print_email(*, to: str, subject: str, text: str) -> None:
    """The message as the reader would get it, for the local stack's terminal."""
    rule = "-" * 72
    sys.stdout.write(
        f"\n{rule}\nE-mail (printed, not sent: no EMAIL_SENDER)\nTo: {to}\n"
        f"Subject: {subject}\n\n{text.rstrip()}\n{rule}\n"
    )
    sys.stdout.flush()
