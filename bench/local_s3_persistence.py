"""How the local stack's S3 could keep objects across restarts: start time and upload and
download speed of moto in memory, moto with its S3 state file (what `make run` uses) and
moto's request recorder replayed at start.

Each candidate runs in a fresh process: a versioned bucket, COUNT objects of SIZE bytes
uploaded with presigned POSTs (as the SDK uploads media) and read back, the emulator
stopped, a new one started on the same files, and every object read back by its version id.

    .venv/bin/python bench/local_s3_persistence.py [--count 200] [--size 262144]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
CANDIDATES = ("moto in memory", "moto + state file", "moto recorder + replay")
BUCKET = "bench-media"


def _client(endpoint: str) -> Any:
    from wavedb_local.aws_emulator import aws_client

    return aws_client("s3", region="us-east-1", endpoint_url=endpoint, emulated=True)


def _start(candidate: str, workdir: Path) -> tuple[Any, str, float]:
    """An emulator for the candidate; answers it, its endpoint and the seconds it took."""
    from wavedb_local.aws_emulator import MotoEmulator

    started = time.perf_counter()
    state = workdir / "s3-state.pickle" if candidate == "moto + state file" else None
    emulator = MotoEmulator(s3_state_file=state)
    endpoint = emulator.start()
    if candidate == "moto recorder + replay" and (workdir / "recording").exists():
        import requests

        requests.post(f"{endpoint}/moto-api/recorder/replay-recording", timeout=600)
    return emulator, endpoint, time.perf_counter() - started


def _upload(s3: Any, count: int, size: int) -> tuple[dict[str, str], float]:
    import requests

    versions: dict[str, str] = {}
    payload = os.urandom(size)
    started = time.perf_counter()
    for index in range(count):
        key = f"runs/bench/media/{index}"
        post = s3.generate_presigned_post(Bucket=BUCKET, Key=key)
        answer = requests.post(
            post["url"], data=post["fields"], files={"file": payload}, timeout=60
        )
        answer.raise_for_status()
        versions[key] = s3.head_object(Bucket=BUCKET, Key=key)["VersionId"]
    return versions, time.perf_counter() - started


def _download(s3: Any, versions: dict[str, str], size: int) -> tuple[int, float]:
    """How many objects came back whole (by key and version id), and the seconds it took."""
    whole = 0
    started = time.perf_counter()
    for key, version in versions.items():
        try:
            body = s3.get_object(Bucket=BUCKET, Key=key, VersionId=version)["Body"].read()
        except s3.exceptions.ClientError:
            body = b""  # not there (any more), or not under this version id
        whole += len(body) == size
    return whole, time.perf_counter() - started


def measure(candidate: str, count: int, size: int) -> dict[str, Any]:
    """Child side: one candidate's figures."""
    sys.path[:0] = [str(REPOSITORY / "shared"), str(REPOSITORY / "infra")]
    workdir = Path(tempfile.mkdtemp(prefix="wavedb-s3-bench-"))
    if candidate == "moto recorder + replay":
        os.environ["MOTO_ENABLE_RECORDING"] = "1"
        os.environ["MOTO_RECORDER_FILEPATH"] = str(workdir / "recording")
    emulator, endpoint, first_start = _start(candidate, workdir)
    s3 = _client(endpoint)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    versions, upload_seconds = _upload(s3, count, size)
    _, download_seconds = _download(s3, versions, size)
    emulator.stop()
    # A restart: moto's objects live in this process, so they are dropped first.
    from moto.s3.models import s3_backends

    s3_backends.reset()
    emulator, endpoint, restart = _start(candidate, workdir)
    survived, _ = _download(_client(endpoint), versions, size)
    emulator.stop()
    stored = sum(path.stat().st_size for path in workdir.iterdir())
    megabytes = count * size / 1e6
    return {
        "candidate": candidate,
        "first start s": round(first_start, 2),
        "upload MB/s": round(megabytes / upload_seconds, 1),
        "download MB/s": round(megabytes / download_seconds, 1),
        "restart s": round(restart, 2),
        "objects back by version": f"{survived}/{count}",
        "disk MB": round(stored / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--size", type=int, default=256 * 1024)
    parser.add_argument("--candidate", choices=CANDIDATES)
    arguments = parser.parse_args()
    if arguments.candidate:
        print(json.dumps(measure(arguments.candidate, arguments.count, arguments.size)))
        return
    print(f"{arguments.count} objects of {arguments.size} bytes, presigned POST uploads")
    for candidate in CANDIDATES:
        child = subprocess.run(  # noqa: S603
            [
                *(sys.executable, __file__, "--candidate", candidate),
                *("--count", str(arguments.count), "--size", str(arguments.size)),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        print(" | ".join(f"{name}: {value}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
