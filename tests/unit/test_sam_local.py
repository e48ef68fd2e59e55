"""`make sam-local` (infra/sam_local.py): what it hands the containers, and where no
Docker engine answers, a clear skip that does not fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sam_local

ROOT = Path(__file__).resolve().parents[2]


def test_sam_local_without_docker_engine_skips_with_a_clear_message(tmp_path: Path) -> None:
    docker = tmp_path / "docker"
    docker.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    docker.chmod(0o755)
    environment = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}

    result = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "sam_local.py")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "skipped: no Docker engine" in result.stdout


def test_sam_local_env_vars_empty_the_arns_and_point_at_the_emulator() -> None:
    environment = {
        "DATABASE_URL": "postgresql://postgres:pw@127.0.0.1:5432/wavedb",
        "JWT_SECRET": "k" * 40,
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "MEDIA_BUCKET": "wavedb-local-mediabucket",
        "POWERTOOLS_SERVICE_NAME": "wavedb-local",
    }

    variables = sam_local.env_vars_for_containers(environment)["Parameters"]

    assert variables["DATABASE_URL"] == environment["DATABASE_URL"]
    assert variables["JWT_SECRET"] == environment["JWT_SECRET"]
    assert variables["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert variables["MEDIA_BUCKET"] == "wavedb-local-mediabucket"
    assert variables["DATABASE_SECRET_ARN"] == variables["JWT_SECRET_ARN"] == ""
    assert "AWS_ACCESS_KEY_ID" not in variables  # SAM hands the containers the shell's
    assert "POWERTOOLS_SERVICE_NAME" not in variables  # each function keeps its own


def test_sam_local_parameter_overrides_declare_the_local_variables() -> None:
    overrides = sam_local.parameter_overrides(
        {
            "DATABASE_URL": "postgresql://db/wavedb",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "JWT_SECRET": "k" * 40,
        }
    )

    assert overrides.split() == [
        "DatabaseUrl=postgresql://db/wavedb",
        "AwsEndpointUrl=http://127.0.0.1:5000",
        f"LocalJwtSecret={'k' * 40}",
    ]
