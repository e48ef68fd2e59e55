"""A database secret in the RDS format becomes a TLS connection string."""

from __future__ import annotations

import json

import psycopg

from wavedb_core.secrets import _conninfo_from_rds_secret


def test_rds_secret_becomes_tls_conninfo_with_escaped_password() -> None:
    secret = {
        "username": "wave",
        "password": "p@ss:w/rd?",
        "host": "proxy.example.internal",
        "port": 5432,
        "dbname": "wavedb",
    }

    conninfo = psycopg.conninfo.conninfo_to_dict(_conninfo_from_rds_secret(json.dumps(secret)))

    assert conninfo["password"] == "p@ss:w/rd?"
    assert conninfo["host"] == "proxy.example.internal"
    assert conninfo["dbname"] == "wavedb"
    assert conninfo["sslmode"] == "require"
