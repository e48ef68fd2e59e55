"""WaveDBCallback for the Hugging Face Trainer: training arguments, model config, losses and
results, read back from the API. The model is built from a config: nothing is downloaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import huggingface_hub.constants
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

from tests.support.sdk import SdkEnvironment
from wavedb.integrations.transformers import WaveDBCallback, metric_name

MAX_STEPS = 6
LOGGING_STEPS = 2
EVAL_STEPS = 3
SEQUENCE = 8


class TokenDataset(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    """Random token sequences that are their own labels (language modelling)."""

    def __init__(self, size: int, vocab_size: int) -> None:
        generator = torch.Generator().manual_seed(0)
        self.tokens = torch.randint(0, vocab_size, (size, SEQUENCE), generator=generator)

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.tokens[index], "labels": self.tokens[index]}


@pytest.fixture(autouse=True)
def hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request to the Hugging Face Hub fails (read at call time, so this holds even
    when another test module imported the Hub's client first)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def tiny_gpt2() -> GPT2LMHeadModel:
    config = GPT2Config(
        vocab_size=64,
        n_positions=SEQUENCE,
        n_embd=16,
        n_layer=1,
        n_head=2,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(0)
    return GPT2LMHeadModel(config)


def training_arguments(output_dir: Path, **overrides: Any) -> TrainingArguments:
    settings: dict[str, Any] = {
        "output_dir": str(output_dir),
        "max_steps": MAX_STEPS,
        "logging_steps": LOGGING_STEPS,
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 4,
        "learning_rate": 1e-3,
        "report_to": [],
        "use_cpu": True,
        "save_strategy": "no",
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        **overrides,
    }
    return TrainingArguments(**settings)


def tiny_trainer(args: TrainingArguments, callback: WaveDBCallback) -> Trainer:
    """A Trainer of the tiny GPT-2 on 32 training and 8 evaluation samples, reporting to
    WaveDB through `callback`."""
    return Trainer(
        model=tiny_gpt2(),
        args=args,
        train_dataset=TokenDataset(32, 64),
        eval_dataset=TokenDataset(8, 64),
        callbacks=[callback],
    )


def logged(history: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    """(step, value) of every record of the Trainer's own log history holding `key`."""
    return [(record["step"], float(record[key])) for record in history if key in record]


def points(sdk_env: SdkEnvironment, run_id: str, name: str, count: int) -> list[tuple[int, float]]:
    return [
        (point["step"], float(point["value"]))
        for point in sdk_env.wait_for_points(run_id, name, count)
    ]


def test_metric_name_groups_the_trainer_keys() -> None:
    assert metric_name("loss") == "train/loss"
    assert metric_name("learning_rate") == "train/learning_rate"
    assert metric_name("eval_loss") == "eval/loss"
    assert metric_name("test_accuracy") == "test/accuracy"


def test_trainer_logs_arguments_losses_evaluations_and_results(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    callback = WaveDBCallback(project="transformers", tags=["tiny"])
    arguments = training_arguments(
        tmp_path,
        run_name="gpt2-tiny",
        eval_strategy="steps",
        eval_steps=EVAL_STEPS,
        hub_token="hf_secret_token",
    )
    trainer = tiny_trainer(arguments, callback)

    trainer.train()

    assert callback.run is not None
    run_id = callback.run.id
    history = trainer.state.log_history
    # Every value the Trainer logged arrived at its global step, under a grouped name.
    train_losses = logged(history, "loss")
    assert [step for step, _ in train_losses] == [2, 4, 6]
    assert points(sdk_env, run_id, "train/loss", 3) == train_losses
    assert points(sdk_env, run_id, "train/learning_rate", 3) == logged(history, "learning_rate")
    eval_losses = logged(history, "eval_loss")
    assert [step for step, _ in eval_losses] == [3, 6]
    assert points(sdk_env, run_id, "eval/loss", 2) == eval_losses
    # Training and evaluation records both hold "epoch"; at step 6 it is sent once.
    epochs = points(sdk_env, run_id, "train/epoch", 4)
    assert [step for step, _ in epochs] == [2, 3, 4, 6]
    assert epochs == sorted(set(logged(history, "epoch")[:-1]))

    answer = sdk_env.client.get_run(run_id)
    assert answer["status"] == "finished"
    assert answer["name"] == "gpt2-tiny"
    assert answer["tags"] == ["tiny"]
    training_args = answer["config"]["training_args"]
    assert training_args["max_steps"] == MAX_STEPS
    assert training_args["learning_rate"] == 1e-3
    assert training_args["logging_steps"] == LOGGING_STEPS
    assert training_args["eval_strategy"] == "steps"
    assert "hf_secret_token" not in json.dumps(answer["config"])
    model_config = answer["config"]["model_config"]
    assert (model_config["model_type"], model_config["n_layer"], model_config["n_embd"]) == (
        "gpt2",
        1,
        16,
    )
    # The end-of-training record becomes the run's results, not one-point series.
    results = {item["name"]: item["value"] for item in sdk_env.client.results(run_id)}
    [summary] = [record for record in history if "train_runtime" in record]
    assert results["train_loss"] == summary["train_loss"]
    assert results["train_runtime"] == summary["train_runtime"]
    assert {"train_samples_per_second", "train_steps_per_second", "total_flos"} <= set(results)
    names = {item["name"] for item in sdk_env.client.metric_summaries(run_id)}
    assert "train/train_runtime" not in names
    assert "train_runtime" not in names


def test_evaluate_after_train_logs_to_the_same_run(sdk_env: SdkEnvironment, tmp_path: Path) -> None:
    callback = WaveDBCallback(project="transformers", name="train-then-evaluate")
    trainer = tiny_trainer(training_arguments(tmp_path), callback)

    trainer.train()
    assert callback.run is not None
    run_id = callback.run.id
    assert sdk_env.client.get_run(run_id)["status"] == "finished"
    metrics = trainer.evaluate()
    callback.run.finish()

    assert callback.run.id == run_id
    assert points(sdk_env, run_id, "eval/loss", 1) == [(MAX_STEPS, metrics["eval_loss"])]
    assert len(sdk_env.wait_for_points(run_id, "train/loss", 3)) == 3
    answer = sdk_env.client.get_run(run_id)
    assert answer["status"] == "finished"
    assert answer["name"] == "train-then-evaluate"
