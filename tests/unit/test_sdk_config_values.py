"""Config, summary and integration values go through one conversion to JSON: what a user
puts in `config=` arrives as the plain value it stands for, never an object's internals."""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pydantic
import pytest

import wavedb
import wavedb.integrations
from wavedb.jsonable import json_safe


class Optimizer(enum.Enum):
    ADAM = "adam"
    SGD = "sgd"


class Level(enum.IntEnum):
    LOW = 1


@dataclasses.dataclass
class Schedule:
    warmup: int
    kind: Optimizer
    path: Path


class ModelConfig(pydantic.BaseModel):
    width: int
    optimizer: Optimizer
    started: date


@pytest.fixture
def offline_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("WAVEDB_RUN_ID", "WAVEDB_RESUME", "WAVEDB_NAME", "WAVEDB_TAGS", "WAVEDB_NOTES"):
        monkeypatch.delenv(name, raising=False)

    def start(config: dict[str, Any]) -> wavedb.Run:
        return wavedb.init(
            "values", config=config, mode="offline", dir=str(tmp_path), system_metrics=False
        )

    yield start
    wavedb.finish()


def _stored_config(run: wavedb.Run) -> Any:
    """The config the run sends: the `create_run` operation in its outbox."""
    run.finish()
    [create] = [path for path in (run.dir / "outbox").glob("*.json") if "create_run" in path.name]
    return json.loads(create.read_text())["body"]["run"]["config"]


def test_init_config_enum_is_stored_as_its_value(offline_run: Any) -> None:
    run = offline_run({"opt": Optimizer.ADAM, "level": Level.LOW, "keys": {Optimizer.SGD: 1}})
    expected = {"opt": "adam", "level": 1, "keys": {"sgd": 1}}
    assert run.config == expected
    assert _stored_config(run) == expected


def test_init_config_dataclass_pydantic_and_namespace_become_objects(offline_run: Any) -> None:
    run = offline_run(
        {
            "schedule": Schedule(10, Optimizer.SGD, Path("/data/train")),
            "model": ModelConfig(width=64, optimizer=Optimizer.ADAM, started=date(2024, 5, 1)),
            "args": argparse.Namespace(lr=0.1, out=PurePosixPath("runs/a")),
        }
    )
    assert _stored_config(run) == {
        "schedule": {"warmup": 10, "kind": "sgd", "path": "/data/train"},
        "model": {"width": 64, "optimizer": "adam", "started": "2024-05-01"},
        "args": {"lr": 0.1, "out": "runs/a"},
    }


def test_init_config_paths_and_dates_become_text(offline_run: Any) -> None:
    moment = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    run = offline_run({"data": Path("/data"), "at": moment, "day": moment.date()})
    assert _stored_config(run) == {
        "data": "/data",
        "at": "2024-05-01T12:30:00+00:00",
        "day": "2024-05-01",
    }


def test_init_config_numpy_scalars_arrays_and_dtypes_become_json(offline_run: Any) -> None:
    run = offline_run(
        {
            "lr": np.float32(0.5),
            "seed": np.int64(7),
            "flag": np.bool_(True),
            "grid": np.arange(4).reshape(2, 2),
            "dtype": np.dtype("float16"),
            "dtype_class": np.float32,
            "bad": np.float64("nan"),
        }
    )
    assert _stored_config(run) == {
        "lr": 0.5,
        "seed": 7,
        "flag": True,
        "grid": [[0, 1], [2, 3]],
        "dtype": "float16",
        "dtype_class": "float32",
        "bad": "nan",
    }


@pytest.mark.torch
def test_init_config_torch_scalars_tensors_and_dtypes_become_json(offline_run: Any) -> None:
    import torch  # only here: `make test-fast` runs this module without torch

    run = offline_run(
        {
            "scale": torch.tensor(0.25),
            "weights": torch.tensor([1.0, 2.0]),
            "dtype": torch.bfloat16,
            "device": torch.device("cpu"),
            "shape": torch.Size([3, 4]),
        }
    )
    assert _stored_config(run) == {
        "scale": 0.25,
        "weights": [1.0, 2.0],
        "dtype": "torch.bfloat16",
        "device": "cpu",
        "shape": [3, 4],
    }


def test_config_update_converts_like_init(offline_run: Any) -> None:
    run = offline_run({})
    run.config["opt"] = Optimizer.SGD
    run.config.update(steps=np.int32(3))
    assert run.config == {"opt": "sgd", "steps": 3}


@pytest.mark.torch
def test_summary_numpy_torch_and_enum_numbers_are_kept_other_values_left_out(
    offline_run: Any,
) -> None:
    import torch

    run = offline_run({})
    run.summary["a"] = np.float32(0.5)
    run.summary["b"] = torch.tensor(2.0)
    run.summary["c"] = Level.LOW
    run.summary["d"] = "high"
    run.summary["e"] = float("nan")
    assert run.summary == {"a": 0.5, "b": 2.0, "c": 1.0}


def test_integrations_json_safe_is_the_one_conversion() -> None:
    assert wavedb.integrations.json_safe is json_safe


def test_json_safe_structure_that_holds_itself_ends_as_text() -> None:
    looping: list[Any] = []
    looping.append(looping)
    assert isinstance(json.dumps(json_safe(looping)), str)


def test_sdk_import_and_config_conversion_import_neither_numpy_nor_torch() -> None:
    code = (
        "import sys, enum, wavedb.jsonable as j\n"
        "class E(enum.Enum):\n    A = 'a'\n"
        "assert j.json_safe({'e': E.A, 'x': [1.5]}) == {'e': 'a', 'x': [1.5]}\n"
        "print(sorted(m for m in ('numpy', 'torch') if m in sys.modules))\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert answer.stdout.strip() == "[]"
