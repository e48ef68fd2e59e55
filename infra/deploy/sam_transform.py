"""Prints template.yaml after the SAM transform, as CloudFormation will receive it.

Run with the SAM CLI's Python (aws-sam-translator comes with aws-sam-cli):

    .venv-sam/bin/python infra/deploy/sam_transform.py template.yaml [Name=Value ...] > out.json

Local CodeUri/ContentUri paths are replaced by a placeholder S3 location (as `sam validate`
does), so no build or upload is needed. Name=Value pairs set template parameters; like
CloudFormation, the transform gets every parameter's value (else its default), and the value
of a list parameter (CommaDelimitedList, List<...>) as a list.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import (  # type: ignore[import-not-found,unused-ignore]
    transform,
)
from samtranslator.yaml_helper import (  # type: ignore[import-not-found,unused-ignore]
    yaml_parse,
)

PLACEHOLDER_S3_URI = "s3://placeholder-bucket/placeholder-key"


class NoManagedPolicies:
    """Managed policy loader for the translator: the template names no managed policies."""

    def load(self) -> dict[str, str]:
        return {}


def parameter_values(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """The parameter values CloudFormation hands to the transform."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        value = overrides.get(name, spec.get("Default"))
        if value is None:
            continue
        kind = str(spec.get("Type", "String"))
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(value, str):
            value = value.split(",")
        values[name] = value
    unknown = set(overrides) - set(values)
    if unknown:
        raise SystemExit(f"unknown parameters: {sorted(unknown)}")
    return values


def transformed(template_path: Path, overrides: dict[str, str]) -> dict[str, Any]:
    template: dict[str, Any] = yaml_parse(template_path.read_text())
    parameters = parameter_values(template, overrides)
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            value = properties.get(key)
            if isinstance(value, str) and not value.startswith("s3://"):
                properties[key] = PLACEHOLDER_S3_URI
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    result: dict[str, Any] = transform(template, parameters, NoManagedPolicies())
    return result


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    parameters = dict(argument.split("=", 1) for argument in argv[2:])
    json.dump(transformed(Path(argv[1]), parameters), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
