"""The local stack's S3 state file: what happens to one that cannot be read."""

from __future__ import annotations

from pathlib import Path

from wavedb_local.s3_persistence import S3Persistence


def _app(environ: object, start_response: object) -> list[bytes]:
    return [b""]


def test_s3_state_restore_with_unreadable_file_starts_empty_and_keeps_the_file_aside(
    tmp_path: Path,
) -> None:
    state = tmp_path / "s3-state.pickle"
    state.write_bytes(b"not a pickle")

    restored = S3Persistence(_app, state).restore()

    assert restored == 0
    assert not state.exists()
    [aside] = tmp_path.glob("s3-state.pickle.unreadable-*")
    assert aside.read_bytes() == b"not a pickle"


def test_s3_state_restore_without_file_changes_nothing(tmp_path: Path) -> None:
    assert S3Persistence(_app, tmp_path / "s3-state.pickle").restore() == 0
    assert list(tmp_path.iterdir()) == []
