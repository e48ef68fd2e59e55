"""The unit a log-in source is counted in."""

from __future__ import annotations

import pytest

from wavedb_core.services.login_throttle import LoginAttempt, source_network


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:198.51.100.4", "198.51.100.4"),
        ("not an address", "not an address"),
    ],
)
def test_source_network_ipv6_host_counts_as_its_whole_64(address: str, counted_as: str) -> None:
    assert source_network(address) == counted_as


def test_login_attempt_addresses_of_one_ipv6_64_share_their_buckets() -> None:
    first = LoginAttempt(email="Ada@Example.com", address="2001:db8::1")
    second = LoginAttempt(email="ada@example.com", address="2001:db8::ffff:2")

    assert first.pair_bucket == second.pair_bucket
    assert first.source_bucket == second.source_bucket
