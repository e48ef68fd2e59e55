"""CSV text of exports: values as stored, cells quoted as the csv module quotes them, the
size bound a route decides with, wide rows and flattened configs."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import struct

import pytest

from wavedb_core.models.metric_columns import StoredColumns
from wavedb_core.services import csv_exports

RUN_ID = "9a4f2e6b-1c3d-4e5f-8a7b-6c5d4e3f2a1b"


@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, -1e-300],
)
def test_value_text_reads_back_as_the_same_bits(value: float) -> None:
    text = csv_exports.value_text(value)

    assert struct.pack("<d", float(text)) == struct.pack("<d", value)
    assert text not in ("nan", "inf", "-inf")


@pytest.mark.parametrize("text", ["plain", "a,b", 'say "hi"', "two\nlines", "cr\r", " lead", ""])
def test_cell_quotes_as_the_csv_module_does(text: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([text, "x"])

    assert csv_exports.cell(text) + ",x\r\n" == buffer.getvalue()


def test_long_csv_writes_each_point_with_its_time_in_utc() -> None:
    blocks = [
        StoredColumns(
            "loss", [0, 1], [1.5, math.nan], [1_795_428_930_000_000, 1_795_428_930_000_007]
        ),
        StoredColumns("loss", [2], [-math.inf], [1_795_428_931_250_000]),
    ]

    text = b"".join(csv_exports.long_csv(RUN_ID, blocks)).decode()

    assert text.splitlines() == [
        "run_id,name,step,value,timestamp",
        f"{RUN_ID},loss,0,1.5,2026-11-23T10:15:30Z",
        f"{RUN_ID},loss,1,NaN,2026-11-23T10:15:30.000007Z",
        f"{RUN_ID},loss,2,-Infinity,2026-11-23T10:15:31.250000Z",
    ]


def test_long_csv_answer_bound_is_at_least_the_csv_as_json() -> None:
    rng = random.Random(3)
    name = "val/acc top-1"
    values = [-2.2250738585072014e-308, math.nan, *(rng.uniform(-1e9, 1e9) for _ in range(500))]
    block = StoredColumns(
        name,
        [2**62 + step for step in range(len(values))],
        values,
        [4_102_444_799_999_999] * len(values),
    )

    text = b"".join(csv_exports.long_csv(RUN_ID, [block])).decode()
    bound = csv_exports.long_csv_answer_bound(RUN_ID, [(name, len(values))])

    assert len(json.dumps(text)) <= bound <= 1.5 * len(json.dumps(text))


def test_wide_rows_align_metrics_on_step_and_keep_the_later_point_of_a_step() -> None:
    names = ["acc", "loss"]
    blocks = [
        StoredColumns("acc", [1, 1, 4], [0.5, 0.75, math.inf], [0, 1, 2]),
        StoredColumns("loss", [0, 4], [2.0, -0.0], [0, 1]),
    ]

    rows = csv_exports.wide_rows(names, blocks).decode().splitlines()

    assert csv_exports.wide_header(names) == b"step,acc,loss\n"
    assert rows == ["0,,2.0", "1,0.75,", "4,Infinity,-0.0"]


def test_flatten_config_opens_nested_objects_and_writes_other_values_as_json() -> None:
    config = {"lr": 0.001, "opt": {"name": "adam", "betas": [0.9, 0.99], "empty": {}}, "on": True}

    assert csv_exports.flatten_config(config) == {
        "lr": "0.001",
        "opt.name": "adam",
        "opt.betas": "[0.9, 0.99]",
        "opt.empty": "{}",
        "on": "true",
    }
