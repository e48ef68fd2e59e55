"""CloudFormation short-form tags and intrinsic functions."""

from __future__ import annotations

from typing import Any

import pytest

from wavedb_local.cfn_yaml import load_template_text
from wavedb_local.intrinsics import (
    IntrinsicResolver,
    TemplateError,
    parameter_values,
    pseudo_parameters,
)

TEMPLATE = """
Parameters:
  Env: {Type: String, Default: prod}
  Subnets: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Sizes:
    prod: {Memory: 1024}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [x, x]]
  Either: !Or [!Condition IsDev, !Equals [1, "1"]]
Values:
  joined: !Join ["-", !Ref Subnets]
  second: !Select [1, !Ref Subnets]
  split: !Split [",", "x,y"]
  memory: !FindInMap [Sizes, !Ref Env, Memory]
  sub: !Sub "${AWS::Region}/${Env}/${Queue.Arn}/${!Literal}"
  sub_vars: !Sub ["${Name}-${Env}", {Name: !Ref Queue}]
  chosen: !If [IsProd, big, small]
  dropped: !If [IsDev, here, !Ref AWS::NoValue]
  list: [one, !If [IsDev, two, !Ref AWS::NoValue], three]
  att: !GetAtt Queue.Arn
  att_long: {"Fn::GetAtt": [Queue, QueueName]}
  json: !ToJsonString {a: 1}
"""


def _resolver(document: dict[str, Any]) -> IntrinsicResolver:
    return IntrinsicResolver(
        parameters=parameter_values(document["Parameters"], {}),
        pseudo=pseudo_parameters(region="eu-west-1", account_id="1", stack_name="s"),
        conditions=document["Conditions"],
        mappings=document["Mappings"],
        ref=lambda logical_id: f"ref:{logical_id}",
        get_att=lambda logical_id, attribute: f"att:{logical_id}.{attribute}",
    )


def test_resolve_short_form_tags_evaluate_like_cloudformation() -> None:
    document = load_template_text(TEMPLATE)

    values = _resolver(document).resolve(document["Values"])

    assert values == {
        "joined": "a-b-c",
        "second": "b",
        "split": ["x", "y"],
        "memory": 1024,
        "sub": "eu-west-1/prod/att:Queue.Arn/${Literal}",
        "sub_vars": "ref:Queue-prod",
        "chosen": "big",
        "list": ["one", "three"],
        "att": "att:Queue.Arn",
        "att_long": "att:Queue.QueueName",
        "json": '{"a":1}',
    }


def test_condition_combinators_evaluate_nested_conditions() -> None:
    resolver = _resolver(load_template_text(TEMPLATE))

    assert resolver.condition("IsProd") is True
    assert resolver.condition("IsDev") is False
    assert resolver.condition("Both") is True
    assert resolver.condition("Either") is True


def test_condition_unknown_name_raises() -> None:
    resolver = _resolver(load_template_text(TEMPLATE))

    with pytest.raises(TemplateError, match="unknown condition"):
        resolver.resolve({"Fn::If": ["Missing", 1, 2]})


def test_parameter_without_default_or_value_raises() -> None:
    with pytest.raises(TemplateError, match="no default"):
        parameter_values({"Needed": {"Type": "String"}}, {})
