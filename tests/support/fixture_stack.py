"""A local stack running the small test template of tests/fixtures/local_stack/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wavedb_local.config import LocalStackConfig
from wavedb_local.stack import LocalStack

FIXTURE_TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures/local_stack/template.yaml"


@contextmanager
def running_fixture_stack(
    *,
    database_url: str,
    data_dir: Path,
    record_dir: Path,
    serve_http: bool = True,
    event_sources: bool = True,
    **config: Any,
) -> Iterator[LocalStack]:
    """The fixture template's stack; its handlers write what they receive to `record_dir`."""
    stack = LocalStack(
        LocalStackConfig(
            template_path=FIXTURE_TEMPLATE,
            data_dir=data_dir,
            port=0,
            database_url=database_url,
            parameter_overrides={"RecordDir": str(record_dir)},
            apply_migrations=False,
            stack_name=f"fx-{uuid.uuid4().hex[:8]}",
            **config,
        )
    )
    stack.start(serve_http=serve_http, event_sources=event_sources)
    try:
        yield stack
    finally:
        stack.stop()
