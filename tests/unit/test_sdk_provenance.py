"""Provenance parts that need no server: remote URLs without credentials, and command lines
the API stores (secrets hidden, text that is not UTF-8 replaced, long ones cut)."""

from __future__ import annotations

import pytest

from wavedb import provenance


def test_command_line_secret_option_values_are_hidden() -> None:
    recorded = provenance.command_line(
        ["train.py", "--api-key", "k", "--password=p", "--db-token", "t", "--lr", "0.1"]
    )

    assert recorded == {
        "argv": [
            "train.py",
            "--api-key",
            "***",
            "--password=***",
            "--db-token",
            "***",
            "--lr",
            "0.1",
        ]
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ada:s3cret@github.com/team/nn.git", "https://github.com/team/nn.git"),
        ("https://token@github.com/team/nn.git", "https://github.com/team/nn.git"),
        ("git@github.com:team/nn.git", "git@github.com:team/nn.git"),
        ("ssh://git@github.com/team/nn.git", "ssh://github.com/team/nn.git"),
        ("/srv/git/nn.git", "/srv/git/nn.git"),
    ],
)
def test_remote_url_keeps_no_credentials(url: str, expected: str) -> None:
    assert provenance.strip_credentials(url) == expected


def test_command_line_that_is_not_utf8_is_recorded_as_text_the_api_stores() -> None:
    undecodable = b"data-\xff.bin".decode("utf-8", "surrogateescape")

    recorded = provenance.command_line(["train.py", undecodable, "--lr", "0.1"])

    assert recorded == {"argv": ["train.py", "data-\ufffd.bin", "--lr", "0.1"]}
    assert all(argument.encode() for argument in recorded["argv"])


def test_command_line_past_its_limit_is_cut_and_says_how_much() -> None:
    argv = ["train.py", *[f"file-{index:05d}.jpg" for index in range(2_000)]]

    recorded = provenance.command_line(argv)

    assert sum(len(argument) + 1 for argument in recorded["argv"]) <= 8_192
    assert len(recorded["argv"]) + recorded["truncated"] == len(argv)
