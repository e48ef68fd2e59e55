"""The API's OpenAPI document, as the local stack serves it at /openapi.json, written to a
file (or stdout) without starting anything: the dashboard's API types are generated from it
(`make web-types`), and `make test` checks that they still match it.

    python infra/openapi_document.py [--out FILE] [--template template.yaml]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]

# Settings every function validates when its module is imported. The document is built from
# the routes and models alone: nothing connects to a database or signs a token.
_PLACEHOLDER_SETTINGS = {
    "DATABASE_URL": "postgresql://openapi-document.invalid/unused",
    "JWT_SECRET": "placeholder-secret-for-the-openapi-document-only",
}


def openapi_document(template: Path) -> dict[str, Any]:
    """The merged document of the template's HTTP functions."""
    for name, value in _PLACEHOLDER_SETTINGS.items():
        os.environ.setdefault(name, value)
    from wavedb_local.openapi import build_openapi
    from wavedb_local.runtime import FunctionRegistry, add_layers_to_path
    from wavedb_local.template import load_stack

    model = load_stack(template)
    for spec in model.functions.values():
        add_layers_to_path(spec)
    return build_openapi(model, FunctionRegistry(model.functions), title="WaveDB API")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="file to write (default: stdout)")
    parser.add_argument("--template", type=Path, default=REPOSITORY / "template.yaml")
    arguments = parser.parse_args(argv)
    text = json.dumps(openapi_document(arguments.template), indent=2, sort_keys=True) + "\n"
    if arguments.out is None:
        sys.stdout.write(text)
    else:
        arguments.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
