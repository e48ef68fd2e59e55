"""Local secrets kept in the data dir (created once, readable by the owner only)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

JWT_SECRET_FILE = "jwt_secret"


def persistent_secret(data_dir: Path, name: str = JWT_SECRET_FILE) -> str:
    """The secret stored in `<data_dir>/<name>`, generated (64 characters) on first use."""
    path = data_dir / name
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="utf-8").strip()
        if len(value) >= 32:
            return value
        path.unlink()
        return persistent_secret(data_dir, name)
    value = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
