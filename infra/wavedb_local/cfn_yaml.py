"""Reading CloudFormation YAML: the short-form tags (`!Ref`, `!Sub`...) become long forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_SCALAR_ONLY = {"Ref", "Condition"}
_TAGS = (
    "Ref",
    "Condition",
    "GetAtt",
    "Sub",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "Base64",
    "Cidr",
    "GetAZs",
    "ImportValue",
    "Length",
    "ToJsonString",
)


class TemplateLoader(yaml.SafeLoader):
    """A safe YAML loader that also understands the CloudFormation short-form tags."""


def _construct(function: str) -> Any:
    def construct(loader: TemplateLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if function == "GetAtt":
                logical_id, _, attribute = str(value).partition(".")
                value = [logical_id, attribute]
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        else:  # pragma: no cover - yaml has no other node kinds
            raise yaml.constructor.ConstructorError(None, None, f"bad !{function}", node.start_mark)
        key = function if function in _SCALAR_ONLY else f"Fn::{function}"
        return {key: value}

    return construct


for _tag in _TAGS:
    TemplateLoader.add_constructor(f"!{_tag}", _construct(_tag))


def load_template_text(text: str) -> dict[str, Any]:
    """Parse a template's YAML (or JSON) text into plain dicts and lists."""
    document = yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError("a template must be a mapping at the top level")
    return document


def load_template_file(path: Path) -> dict[str, Any]:
    """Parse the template file at `path`."""
    return load_template_text(path.read_text(encoding="utf-8"))
