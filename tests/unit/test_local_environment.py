"""The environment each local function runs with: its own in process mode, the union of
all in in-process mode."""

from __future__ import annotations

import os

from tests.support.function_specs import function_spec
from wavedb_local.environment import (
    EnvironmentConflict,
    applied_environment,
    function_environment,
    local_environment,
    merged_function_environment,
)
from wavedb_local.model import FunctionSpec


def _function(logical_id: str, **environment: str) -> FunctionSpec:
    return function_spec(logical_id, environment=environment)


def test_merged_environment_conflicting_values_keep_the_first_and_name_both_functions() -> None:
    functions = [_function("A", LEVEL="INFO"), _function("B", LEVEL="DEBUG")]

    merged, conflicts = merged_function_environment(functions)

    assert merged == {"LEVEL": "INFO"}
    assert conflicts == [EnvironmentConflict("LEVEL", "A", "INFO", "B", "DEBUG")]
    assert "LEVEL is 'INFO' in A but 'DEBUG' in B" in str(conflicts[0])


def test_merged_environment_service_name_may_differ() -> None:
    functions = [
        _function("A", POWERTOOLS_SERVICE_NAME="a", SHARED="1"),
        _function("B", POWERTOOLS_SERVICE_NAME="b", SHARED="1", ONLY_B="x"),
    ]

    assert merged_function_environment(functions) == ({"SHARED": "1", "ONLY_B": "x"}, [])


def test_function_environment_is_exactly_its_own_with_local_values_on_top() -> None:
    spec = _function(
        "A",
        LEVEL="DEBUG",
        POWERTOOLS_SERVICE_NAME="a",
        DATABASE_URL="remote",
        DATABASE_SECRET_ARN="arn:d",
    )
    overrides = {"DATABASE_URL": "local", "POWERTOOLS_SERVICE_NAME": "wavedb-local"}

    environment = function_environment(spec, overrides)

    assert environment == {
        "LEVEL": "DEBUG",
        "POWERTOOLS_SERVICE_NAME": "a",
        "DATABASE_URL": "local",
    }


def test_local_environment_overrides_win_and_secret_arns_are_removed() -> None:
    functions = [
        _function("A", DATABASE_URL="remote", JWT_SECRET_ARN="arn:s", DATABASE_SECRET_ARN="arn:d"),
        _function("B", DATABASE_URL="other"),  # overridden, so not a conflict
    ]

    environment = local_environment(functions, {"DATABASE_URL": "local"})

    assert environment == {"DATABASE_URL": "local"}


def test_applied_environment_restores_previous_values() -> None:
    os.environ["WAVEDB_LOCAL_TEST_KEPT"] = "before"
    os.environ.pop("WAVEDB_LOCAL_TEST_NEW", None)

    with applied_environment({"WAVEDB_LOCAL_TEST_NEW": "new"}, remove=["WAVEDB_LOCAL_TEST_KEPT"]):
        assert os.environ["WAVEDB_LOCAL_TEST_NEW"] == "new"
        assert "WAVEDB_LOCAL_TEST_KEPT" not in os.environ

    assert os.environ.pop("WAVEDB_LOCAL_TEST_KEPT") == "before"
    assert "WAVEDB_LOCAL_TEST_NEW" not in os.environ
