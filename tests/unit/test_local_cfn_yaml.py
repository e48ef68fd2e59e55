"""Reading template text: short forms to long forms, JSON too, bad text refused clearly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wavedb_local.cfn_yaml import load_template_file, load_template_text
from wavedb_local.intrinsics import TemplateError

SHORT_FORMS = """
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-q"
      Tags: !If [IsProd, [{Key: a, Value: !GetAtt Other.Arn}], !Ref AWS::NoValue]
      Nested: !Sub ["${Name}", {Name: !Select [0, !Split [",", !Join [",", [a, b]]]]}]
      Mapped: !FindInMap [Sizes, !Ref Env, Memory]
      Encoded: !Base64 text
"""

LONG_FORMS: dict[str, Any] = {
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
    },
    "Resources": {
        "Queue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": {"Fn::Sub": "${AWS::StackName}-q"},
                "Tags": {
                    "Fn::If": [
                        "IsProd",
                        [{"Key": "a", "Value": {"Fn::GetAtt": ["Other", "Arn"]}}],
                        {"Ref": "AWS::NoValue"},
                    ]
                },
                "Nested": {
                    "Fn::Sub": [
                        "${Name}",
                        {
                            "Name": {
                                "Fn::Select": [
                                    0,
                                    {"Fn::Split": [",", {"Fn::Join": [",", ["a", "b"]]}]},
                                ]
                            }
                        },
                    ]
                },
                "Mapped": {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]},
                "Encoded": {"Fn::Base64": "text"},
            },
        }
    },
}


def _types(value: Any) -> set[type]:
    if isinstance(value, dict):
        return {type(value)} | {t for k, v in value.items() for t in _types(k) | _types(v)}
    if isinstance(value, list):
        return {type(value)} | {t for item in value for t in _types(item)}
    return {type(value)}


def test_load_template_text_short_forms_become_long_forms() -> None:
    assert load_template_text(SHORT_FORMS) == LONG_FORMS


def test_load_template_text_gives_only_builtin_types() -> None:
    document = load_template_text(SHORT_FORMS)

    assert _types(document) <= {dict, list, str, int}


def test_load_template_text_json_template_reads_as_its_yaml_twin() -> None:
    assert load_template_text(json.dumps(LONG_FORMS, indent=2)) == LONG_FORMS


def test_load_template_text_duplicate_key_raises_template_error_naming_the_line() -> None:
    text = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n  Queue:\n    Type: AWS::SNS::Topic\n"

    with pytest.raises(TemplateError, match=r"line 4.*Queue"):
        load_template_text(text)


def test_load_template_text_broken_yaml_raises_template_error() -> None:
    with pytest.raises(TemplateError, match="cannot be read"):
        load_template_text("Resources:\n  Queue: [unclosed\n")


def test_load_template_text_list_at_top_level_raises_template_error() -> None:
    with pytest.raises(TemplateError, match="mapping"):
        load_template_text("- a\n- b\n")


def test_load_template_file_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("A: 1\nA: 2\n", encoding="utf-8")

    with pytest.raises(TemplateError, match=str(path)):
        load_template_file(path)
