"""Evaluating CloudFormation intrinsic functions, conditions and parameters.

This stays ours because the local stack needs one value per expression, for the parameter
values it was started with and the local names of the resources: cfn-lint's resolvers
(`cfnlint.jsonschema._resolvers_cfn`) enumerate every value an expression may take while
validating, leave `Ref`/`Fn::GetAtt` of resources unresolved and run inside its validator
with a whole `cfnlint.Template`; SAM's `IntrinsicsResolver` (in `samtranslator`, not a
dependency) resolves `Ref`, `Fn::Sub`, `Fn::GetAtt` and `Fn::FindInMap`, and no conditions.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final


class _NoValue:
    """`AWS::NoValue`: the key or list item holding it is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()

INTRINSIC_KEYS: Final = frozenset(
    {
        "Ref",
        "Condition",
        "Fn::GetAtt",
        "Fn::Sub",
        "Fn::If",
        "Fn::Equals",
        "Fn::Not",
        "Fn::And",
        "Fn::Or",
        "Fn::Join",
        "Fn::Select",
        "Fn::Split",
        "Fn::FindInMap",
        "Fn::Base64",
        "Fn::GetAZs",
        "Fn::ImportValue",
        "Fn::Length",
        "Fn::ToJsonString",
    }
)

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

RefLookup = Callable[[str], Any]
AttributeLookup = Callable[[str, str], Any]


class TemplateError(ValueError):
    """The template cannot be evaluated (bad intrinsic, unknown parameter, invalid value)."""


def is_intrinsic(value: Any) -> bool:
    """Whether `value` is an intrinsic function call such as `{"Ref": "X"}`."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in INTRINSIC_KEYS


def pseudo_parameters(*, region: str, account_id: str, stack_name: str) -> dict[str, Any]:
    """The pseudo parameters of a stack in `region`."""
    return {
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::StackName": stack_name,
        "AWS::StackId": (
            f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/"
            "00000000-0000-0000-0000-000000000000"
        ),
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
        "AWS::NoValue": NO_VALUE,
    }


def parameter_values(
    declarations: Mapping[str, Any], overrides: Mapping[str, str]
) -> dict[str, Any]:
    """Each parameter's value: the override, else the default; lists split on commas."""
    unknown = sorted(set(overrides) - set(declarations))
    if unknown:
        raise TemplateError(f"unknown template parameter(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, declaration in declarations.items():
        declaration = declaration or {}
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in declaration:
            raw = declaration["Default"]
        else:
            raise TemplateError(f"template parameter {name} has no default; give it a value")
        kind = str(declaration.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            items = raw if isinstance(raw, list) else str(raw).split(",")
            values[name] = [str(item).strip() for item in items]
            continue
        text = _scalar_text(raw)
        allowed = declaration.get("AllowedValues")
        if allowed is not None and text not in [_scalar_text(item) for item in allowed]:
            raise TemplateError(f"parameter {name}={text!r} is not one of {allowed}")
        pattern = declaration.get("AllowedPattern")
        if pattern is not None and re.fullmatch(str(pattern), text) is None:
            raise TemplateError(f"parameter {name}={text!r} does not match {pattern}")
        values[name] = text
    return values


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class IntrinsicResolver:
    """Evaluates intrinsic functions against parameters, conditions and resource names."""

    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        pseudo: Mapping[str, Any],
        conditions: Mapping[str, Any],
        mappings: Mapping[str, Any],
        ref: RefLookup,
        get_att: AttributeLookup,
    ) -> None:
        self._parameters = parameters
        self._pseudo = pseudo
        self._condition_definitions = conditions
        self._mappings = mappings
        self._ref = ref
        self._get_att = get_att
        self._condition_values: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    # ------------------------------------------------------------------ public
    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic evaluated; `AWS::NoValue` keys and items dropped."""
        if isinstance(value, dict):
            if is_intrinsic(value):
                name, argument = next(iter(value.items()))
                return self._call(name, argument)
            resolved_map = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved_map.items() if item is not NO_VALUE}
        if isinstance(value, list):
            resolved_list = [self.resolve(item) for item in value]
            return [item for item in resolved_list if item is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        """The value of the template condition `name`."""
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self._condition_definitions:
            raise TemplateError(f"unknown condition {name}")
        if name in self._evaluating:
            raise TemplateError(f"condition {name} depends on itself")
        self._evaluating.add(name)
        try:
            value = self._truth(self._condition_definitions[name])
        finally:
            self._evaluating.discard(name)
        self._condition_values[name] = value
        return value

    def ref(self, name: str) -> Any:
        """The value of `Ref: name` (a parameter, a pseudo parameter or a resource)."""
        if name in self._parameters:
            return self._parameters[name]
        if name in self._pseudo:
            return self._pseudo[name]
        if name.startswith("AWS::"):
            raise TemplateError(f"unknown pseudo parameter {name}")
        return self._ref(name)

    # ------------------------------------------------------------------ functions
    def _call(self, name: str, argument: Any) -> Any:
        handler = self._functions().get(name)
        if handler is None:  # pragma: no cover - INTRINSIC_KEYS and the table agree
            raise TemplateError(f"unsupported intrinsic function {name}")
        return handler(argument)

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": lambda argument: self.ref(str(self.resolve(argument))),
            "Condition": lambda argument: self.condition(str(argument)),
            "Fn::GetAtt": self._fn_get_att,
            "Fn::Sub": self._fn_sub,
            "Fn::If": self._fn_if,
            "Fn::Equals": self._fn_equals,
            "Fn::Not": lambda argument: not self._truth(_single(argument, "Fn::Not")),
            "Fn::And": lambda argument: all(self._truth(item) for item in argument),
            "Fn::Or": lambda argument: any(self._truth(item) for item in argument),
            "Fn::Join": self._fn_join,
            "Fn::Select": self._fn_select,
            "Fn::Split": self._fn_split,
            "Fn::FindInMap": self._fn_find_in_map,
            "Fn::Base64": lambda argument: base64.b64encode(
                str(self.resolve(argument)).encode()
            ).decode(),
            "Fn::GetAZs": self._fn_get_azs,
            "Fn::ImportValue": lambda argument: f"imported-{self.resolve(argument)}",
            "Fn::Length": lambda argument: len(self._list(self.resolve(argument), "Fn::Length")),
            "Fn::ToJsonString": lambda argument: json.dumps(
                self.resolve(argument), separators=(",", ":")
            ),
        }

    def _truth(self, value: Any) -> bool:
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(str(value["Condition"]))
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return resolved
        if isinstance(resolved, str) and resolved.lower() in {"true", "false"}:
            return resolved.lower() == "true"
        raise TemplateError(f"not a condition: {value!r}")

    def _fn_get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        else:
            parts = self._list(self.resolve(argument), "Fn::GetAtt")
            if len(parts) != 2:
                raise TemplateError(f"Fn::GetAtt takes [resource, attribute], not {argument!r}")
            logical_id, attribute = str(parts[0]), str(parts[1])
        return self._get_att(logical_id, attribute)

    def _fn_sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        else:
            parts = self._list(argument, "Fn::Sub")
            if len(parts) != 2 or not isinstance(parts[1], dict):
                raise TemplateError(f"Fn::Sub takes a string or [string, map], not {argument!r}")
            text, variables = str(parts[0]), {k: self.resolve(v) for k, v in parts[1].items()}

        def substitute(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                value = variables[expression]
            elif "." in expression and not expression.startswith("AWS::"):
                logical_id, _, attribute = expression.partition(".")
                value = self._get_att(logical_id, attribute)
            else:
                value = self.ref(expression)
            if isinstance(value, list):
                raise TemplateError(f"Fn::Sub cannot insert the list ${{{expression}}}")
            return _scalar_text(value)

        return _SUB_VARIABLE.sub(substitute, str(text))

    def _fn_if(self, argument: Any) -> Any:
        parts = self._list(argument, "Fn::If")
        if len(parts) != 3:
            raise TemplateError(f"Fn::If takes [condition, then, else], not {argument!r}")
        chosen = parts[1] if self.condition(str(parts[0])) else parts[2]
        return self.resolve(chosen)

    def _fn_equals(self, argument: Any) -> bool:
        parts = self._list(argument, "Fn::Equals")
        if len(parts) != 2:
            raise TemplateError(f"Fn::Equals takes two values, not {argument!r}")
        left, right = (self.resolve(part) for part in parts)
        if isinstance(left, list | dict) or isinstance(right, list | dict):
            return bool(left == right)
        return _scalar_text(left) == _scalar_text(right)

    def _fn_join(self, argument: Any) -> str:
        parts = self._list(argument, "Fn::Join")
        if len(parts) != 2:
            raise TemplateError(f"Fn::Join takes [delimiter, list], not {argument!r}")
        items = self._list(self.resolve(parts[1]), "Fn::Join")
        return str(parts[0]).join(_scalar_text(item) for item in items)

    def _fn_select(self, argument: Any) -> Any:
        parts = self._list(argument, "Fn::Select")
        if len(parts) != 2:
            raise TemplateError(f"Fn::Select takes [index, list], not {argument!r}")
        index = int(self.resolve(parts[0]))
        items = self._list(self.resolve(parts[1]), "Fn::Select")
        if not 0 <= index < len(items):
            raise TemplateError(f"Fn::Select index {index} is out of range")
        return items[index]

    def _fn_split(self, argument: Any) -> list[str]:
        parts = self._list(argument, "Fn::Split")
        if len(parts) != 2:
            raise TemplateError(f"Fn::Split takes [delimiter, string], not {argument!r}")
        return str(self.resolve(parts[1])).split(str(parts[0]))

    def _fn_find_in_map(self, argument: Any) -> Any:
        parts = [self.resolve(part) for part in self._list(argument, "Fn::FindInMap")]
        if len(parts) != 3:
            raise TemplateError(f"Fn::FindInMap takes [map, key, key], not {argument!r}")
        try:
            return self._mappings[str(parts[0])][str(parts[1])][str(parts[2])]
        except KeyError as error:
            raise TemplateError(f"Fn::FindInMap: no entry {parts}") from error

    def _fn_get_azs(self, argument: Any) -> list[str]:
        region = str(self.resolve(argument)) or str(self._pseudo.get("AWS::Region", "us-east-1"))
        return [f"{region}a", f"{region}b", f"{region}c"]

    @staticmethod
    def _list(value: Any, function: str) -> list[Any]:
        if not isinstance(value, list):
            raise TemplateError(f"{function} expects a list, not {value!r}")
        return value


def _single(argument: Any, function: str) -> Any:
    if isinstance(argument, list):
        if len(argument) != 1:
            raise TemplateError(f"{function} takes one value, not {argument!r}")
        return argument[0]
    return argument
