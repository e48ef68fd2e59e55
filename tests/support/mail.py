"""The mail the local stack prints instead of sending it (PRINT_EMAILS, no EMAIL_SENDER):
capture it around the requests that send some, and read the tokens and links it carries."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_INVITATION_TOKEN = re.compile(r"\bwdi_([0-9a-f]{32})_[A-Za-z0-9_-]{43}\b")


@dataclass
class PrintedMail:
    """What the functions printed while the capture was open (every thread of the process:
    the in-process test client and the served stack alike)."""

    _buffer: io.StringIO = field(default_factory=io.StringIO)

    @property
    def text(self) -> str:
        return self._buffer.getvalue()

    def invitation_token(self, invitation_id: str | None = None) -> str:
        """The secret token of the invitation's e-mail (of the one invitation mailed, when
        no id is given); exactly one must have been printed."""
        lookup = invitation_id.replace("-", "") if invitation_id else None
        tokens = {
            match[0]
            for match in _INVITATION_TOKEN.finditer(self.text)
            if lookup is None or match[1] == lookup
        }
        assert len(tokens) == 1, f"expected one token of invitation {invitation_id}: {self.text}"
        return tokens.pop()


@contextlib.contextmanager
def printed_mail() -> Iterator[PrintedMail]:
    mail = PrintedMail()
    with contextlib.redirect_stdout(mail._buffer):
        yield mail
