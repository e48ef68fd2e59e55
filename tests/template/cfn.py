"""Reading CloudFormation templates in the template tests: YAML tags, conditions, intrinsics.

Only what the checks need: load template.yaml with its short-form tags, evaluate the
Conditions for a set of parameter values, and resolve Fn::If / AWS::NoValue / Fn::Split /
Ref-to-parameter so that a policy or a property can be looked at as CloudFormation will
create it. Anything else (GetAtt, Sub...) is left as it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

NO_VALUE: Any = object()


class _CfnLoader(yaml.SafeLoader):
    """A safe YAML loader that turns `!Ref x` into `{"Ref": "x"}`, `!If [...]` into
    `{"Fn::If": [...]}`, and `!GetAtt a.b` into `{"Fn::GetAtt": ["a", "b"]}`."""


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    """A CloudFormation/SAM YAML template as plain data."""
    loaded = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(loaded, dict):
        raise TypeError(f"{path} is not a template")
    return loaded


def parameter_values(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """Every parameter's value (override, else default); list types become lists."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        raw = overrides.get(name, spec.get("Default", ""))
        kind = str(spec.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            values[name] = str(raw).split(",")
        else:
            values[name] = str(raw)
    return values


class Resolver:
    """Resolves the intrinsics that decide a template's shape for given parameter values."""

    def __init__(self, template: dict[str, Any], overrides: dict[str, str] | None = None) -> None:
        self.template = template
        self.parameters = parameter_values(template, overrides or {})
        self._conditions: dict[str, bool] = {}
        for name in template.get("Conditions") or {}:
            self.condition(name)

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self._evaluate(self.template["Conditions"][name]))
        return self._conditions[name]

    def _evaluate(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Fn::Equals":
                left, right = (self._evaluate(item) for item in argument)
                return left == right
            if key == "Fn::Not":
                return not self._evaluate(argument[0])
            if key == "Fn::And":
                return all(self._evaluate(item) for item in argument)
            if key == "Fn::Or":
                return any(self._evaluate(item) for item in argument)
            if key == "Condition":
                return self.condition(str(argument))
        return self.resolve(node)

    def resolve(self, node: Any) -> Any:
        """`node` with Fn::If, AWS::NoValue, Fn::Join/Fn::Split of known values and
        Ref-to-parameter resolved; NO_VALUE items and keys dropped."""
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref" and argument == "AWS::NoValue":
                return NO_VALUE
            if key == "Ref" and argument in self.parameters:
                return self.parameters[argument]
            if key == "Fn::If":
                name, when_true, when_false = argument
                return self.resolve(when_true if self.condition(str(name)) else when_false)
            if key == "Fn::Join":
                delimiter, parts = argument[0], self.resolve(argument[1])
                if isinstance(parts, list) and all(isinstance(part, str) for part in parts):
                    return str(delimiter).join(parts)
            if key == "Fn::Split":
                delimiter, text = argument[0], self.resolve(argument[1])
                if isinstance(text, str):
                    return text.split(str(delimiter))
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}


_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def references(node: Any) -> set[str]:
    """Logical ids (or parameter names) a node refers to through Ref, GetAtt and Sub."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                found |= {name for name in _SUB_REFERENCE.findall(text) if name not in variables}
                found |= references(variables)
            else:
                found |= references(value)
    return found


def find_cycle(resources: dict[str, Any]) -> list[str] | None:
    """A dependency cycle among resources (via Ref, GetAtt, Sub, DependsOn), or None."""
    edges: dict[str, set[str]] = {}
    for name, resource in resources.items():
        depends_on = resource.get("DependsOn") or []
        targets = references(resource.get("Properties") or {})
        targets |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        edges[name] = {target for target in targets if target in resources}

    state: dict[str, str] = {}
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = "open"
        path.append(name)
        for target in sorted(edges[name]):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        state[name] = "done"
        path.pop()
        return None

    for name in sorted(edges):
        if name not in state:
            cycle = visit(name)
            if cycle is not None:
                return cycle
    return None
