"""WaveDBLogger: a Lightning Trainer's hyperparameters, metrics and outcome, read back from
the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import LightningModule, Trainer
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import wavedb
from tests.support.sdk import SdkEnvironment
from wavedb.integrations.lightning import WaveDBLogger

# Lightning's own use of a deprecated torch API, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated")

BATCH_SIZE = 8
BATCHES_PER_EPOCH = 4
EPOCHS = 2


class TinyRegression(LightningModule):
    """A linear model on random data that records the losses it logs."""

    def __init__(self, learning_rate: float = 0.05, optimizer: dict[str, Any] | None = None):
        super().__init__()
        self.save_hyperparameters()
        self.layer = nn.Linear(3, 1)
        self.train_losses: list[float] = []
        self.fail_at_batch: int | None = None

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        if batch_idx == self.fail_at_batch:
            raise RuntimeError("the data loader broke")
        inputs, targets = batch
        loss = nn.functional.mse_loss(self.layer(inputs), targets)
        self.log("train_loss", loss)
        self.train_losses.append(loss.item())
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams["learning_rate"])


class RegressionWithValidation(TinyRegression):
    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        inputs, targets = batch
        self.log("val_loss", nn.functional.mse_loss(self.layer(inputs), targets))


class RegressionWithTestStep(TinyRegression):
    def test_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        inputs, targets = batch
        self.log("test_loss", nn.functional.mse_loss(self.layer(inputs), targets))


def data() -> DataLoader[tuple[torch.Tensor, ...]]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(BATCH_SIZE * BATCHES_PER_EPOCH, 3, generator=generator)
    targets = inputs.sum(dim=1, keepdim=True)
    return DataLoader(TensorDataset(inputs, targets), batch_size=BATCH_SIZE)


def trainer(logger: WaveDBLogger, root: Path) -> Trainer:
    return Trainer(
        logger=logger,
        max_epochs=EPOCHS,
        log_every_n_steps=1,
        accelerator="cpu",
        devices=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=root,
    )


def values_by_step(points: list[dict[str, Any]]) -> dict[int, float]:
    return {point["step"]: float(point["value"]) for point in points}


def test_lightning_fit_logs_hyperparameters_losses_and_finishes(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    model = RegressionWithValidation(
        learning_rate=0.05, optimizer={"name": "sgd", "nesterov": False}
    )
    logger = WaveDBLogger(project="lightning", name="tiny-regression", config={"batch": 8})

    trainer(logger, tmp_path).fit(model, train_dataloaders=data(), val_dataloaders=data())

    steps = EPOCHS * BATCHES_PER_EPOCH
    run_id = logger.version
    assert run_id is not None
    assert logger.name == "lightning"
    losses = sdk_env.wait_for_points(run_id, "train_loss", steps)
    # One point per optimizer step, each the loss the model computed at that step.
    assert [point["step"] for point in losses] == list(range(steps))
    assert [float(point["value"]) for point in losses] == pytest.approx(model.train_losses)
    # Validation runs at the end of each epoch, at the step training reached.
    validation = sdk_env.wait_for_points(run_id, "val_loss", EPOCHS)
    assert [point["step"] for point in validation] == [
        (epoch + 1) * BATCHES_PER_EPOCH - 1 for epoch in range(EPOCHS)
    ]
    # Lightning sends "epoch" with every call; each step holds it once.
    epochs = sdk_env.wait_for_points(run_id, "epoch", steps)
    assert values_by_step(epochs) == {
        step: float(step // BATCHES_PER_EPOCH) for step in range(steps)
    }
    assert len(epochs) == steps

    run = sdk_env.client.get_run(run_id)
    assert run["status"] == "finished"
    assert run["name"] == "tiny-regression"
    assert run["config"] == {
        "batch": 8,
        "learning_rate": 0.05,
        "optimizer": {"name": "sgd", "nesterov": False},
    }


def test_lightning_training_that_raises_marks_the_run_failed(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    model = TinyRegression()
    model.fail_at_batch = 2
    logger = WaveDBLogger(project="lightning")

    with pytest.raises(RuntimeError, match="the data loader broke"):
        trainer(logger, tmp_path).fit(model, train_dataloaders=data())

    run_id = logger.version
    assert run_id is not None
    losses = sdk_env.wait_for_points(run_id, "train_loss", 2)
    assert [point["step"] for point in losses] == [0, 1]
    assert sdk_env.client.get_run(run_id)["status"] == "failed"


def test_lightning_test_after_fit_logs_to_the_same_run(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    model = RegressionWithTestStep()
    logger = WaveDBLogger(project="lightning")
    lightning_trainer = trainer(logger, tmp_path)

    lightning_trainer.fit(model, train_dataloaders=data())
    run_id = logger.version
    assert run_id is not None
    assert sdk_env.client.get_run(run_id)["status"] == "finished"
    lightning_trainer.test(model, dataloaders=data())

    assert logger.version == run_id
    [test_loss] = sdk_env.wait_for_points(run_id, "test_loss", 1)
    assert test_loss["step"] == EPOCHS * BATCHES_PER_EPOCH
    assert len(sdk_env.wait_for_points(run_id, "train_loss", 8)) == EPOCHS * BATCHES_PER_EPOCH
    assert sdk_env.client.get_run(run_id)["status"] == "finished"


def test_lightning_leaves_a_run_passed_in_open(sdk_env: SdkEnvironment, tmp_path: Path) -> None:
    run = wavedb.init(project="lightning", config={"seed": 1})
    logger = WaveDBLogger(run=run)

    trainer(logger, tmp_path).fit(TinyRegression(learning_rate=0.1), train_dataloaders=data())

    assert logger.version == run.id
    assert sdk_env.client.get_run(run.id)["status"] == "running"
    run.summary["best_loss"] = 0.5
    run.finish()
    answer = sdk_env.client.get_run(run.id)
    assert answer["status"] == "finished"
    assert answer["config"] == {"seed": 1, "learning_rate": 0.1, "optimizer": None}
    assert len(sdk_env.wait_for_points(run.id, "train_loss", 8)) == EPOCHS * BATCHES_PER_EPOCH


def test_lightning_logger_takes_either_a_run_or_init_arguments(sdk_env: SdkEnvironment) -> None:
    run = wavedb.init(project="lightning", mode="disabled")
    with pytest.raises(ValueError, match="project"):
        WaveDBLogger(project="other", run=run)
    run.finish()
