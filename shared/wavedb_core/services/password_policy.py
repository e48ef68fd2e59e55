"""Which passwords an account may set, after NIST SP 800-63B (5.1.1.2, memorized secrets).

- At least PASSWORD_MIN_LENGTH characters (8 or more); long passphrases are welcome (the
  request models take up to 256 characters); any characters, and no composition rules.
- Not the account's e-mail address or name.
- Not a common or easily guessed password: zxcvbn estimates the guesses an attacker needs
  from its lists of common passwords, words and names (and the account's own e-mail and
  name), keyboard patterns, sequences, repeats and dates; fewer than a million guesses is
  refused. zxcvbn is imported here, on the paths that set a password, and nowhere else.
"""

from __future__ import annotations

import re

from wavedb_core.errors import ValidationFailed

MIN_GUESSES_LOG10 = 6.0
# zxcvbn refuses longer input; characters past it only make a password harder to guess.
_SCORED_LENGTH = 72
_LOCATION = "body.password"


def check_new_password(password: str, *, email: str, name: str, min_length: int) -> None:
    """Raise ValidationFailed (422 naming the field) when `password` may not be set."""
    if len(password) < min_length:
        raise _refused(f"password must be at least {min_length} characters", "too short")
    typed = password.strip().casefold()
    if typed == email.strip().casefold():
        raise _refused("password must not be the account's e-mail address", "is the e-mail")
    if name.strip() and typed == name.strip().casefold():
        raise _refused("password must not be the account's name", "is the name")
    if _guesses_log10(password, context=[email, *re.split(r"[@.\s_+-]+", email), name]) < (
        MIN_GUESSES_LOG10
    ):
        raise _refused(
            "password is too common or too easy to guess (it is, or is made from, a"
            " common password, word, name or pattern); a few unrelated words make a good one",
            "too common",
        )


def _guesses_log10(password: str, *, context: list[str]) -> float:
    from zxcvbn import zxcvbn

    words = [word.lower() for word in context if word.strip()]
    result = zxcvbn(password[:_SCORED_LENGTH], user_inputs=[*words, "wavedb"])
    return float(result["guesses_log10"])


def _refused(message: str, reason: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"location": _LOCATION, "message": reason}])
