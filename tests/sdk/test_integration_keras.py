"""WaveDBCallback for Keras 3 (on the PyTorch backend): epoch and batch metrics, the
optimizer's config and the run's outcome, read back from the API."""

from __future__ import annotations

import os
import tempfile

# Keras picks its backend once, at import; TensorFlow is not installed. Its settings file
# goes to a scratch directory rather than the home directory.
os.environ["KERAS_BACKEND"] = "torch"
os.environ.setdefault("KERAS_HOME", os.path.join(tempfile.gettempdir(), "wavedb-tests-keras"))

from typing import Any

import keras  # type: ignore[import-untyped]
import numpy as np
import pytest

import wavedb
from tests.support.sdk import SdkEnvironment
from wavedb.integrations.keras import WaveDBCallback

# Keras's own use of NumPy 2 on torch tensors, not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

SAMPLES = 48
BATCH_SIZE = 8
BATCHES_PER_EPOCH = SAMPLES // BATCH_SIZE
EPOCHS = 2


def tiny_model() -> Any:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(4), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def data() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    inputs = np.random.default_rng(0).normal(size=(SAMPLES, 3)).astype("float32")
    return inputs, inputs.sum(axis=1, keepdims=True)


def points(sdk_env: SdkEnvironment, run_id: str, name: str, count: int) -> list[tuple[int, float]]:
    return [
        (point["step"], float(point["value"]))
        for point in sdk_env.wait_for_points(run_id, name, count)
    ]


def test_keras_backend_is_torch() -> None:
    assert keras.backend.backend() == "torch"


def test_keras_fit_logs_epoch_metrics_and_finishes(sdk_env: SdkEnvironment) -> None:
    callback = WaveDBCallback(project="keras", name="dense", config={"units": 4})
    inputs, targets = data()

    history = tiny_model().fit(
        inputs,
        targets,
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        validation_data=(inputs[:16], targets[:16]),
        callbacks=[callback],
        verbose=0,
    )

    assert callback.run is not None
    run_id = callback.run.id
    # One point per epoch at the epoch's index, holding the value Keras's History has.
    for name in ("loss", "mae", "val_loss", "val_mae"):
        assert points(sdk_env, run_id, name, EPOCHS) == list(enumerate(history.history[name]))
    answer = sdk_env.client.get_run(run_id)
    assert answer["status"] == "finished"
    assert answer["name"] == "dense"
    assert answer["config"]["units"] == 4
    recorded = answer["config"]["keras"]
    assert recorded["epochs"] == EPOCHS
    assert recorded["steps_per_epoch"] == BATCHES_PER_EPOCH
    assert recorded["optimizer"]["class"] == "SGD"
    assert recorded["optimizer"]["learning_rate"] == pytest.approx(0.01)
    names = {item["name"] for item in sdk_env.client.metric_summaries(run_id)}
    assert not any(name.startswith("batch/") for name in names)


def test_keras_logs_every_n_batches_across_epochs(sdk_env: SdkEnvironment) -> None:
    callback = WaveDBCallback(project="keras", log_every_n_batches=2)
    inputs, targets = data()

    tiny_model().fit(
        inputs, targets, batch_size=BATCH_SIZE, epochs=EPOCHS, callbacks=[callback], verbose=0
    )

    assert callback.run is not None
    total = EPOCHS * BATCHES_PER_EPOCH
    logged_steps = list(range(1, total, 2))  # after batches 2, 4, ... counted from 0
    batch_losses = points(sdk_env, callback.run.id, "batch/loss", len(logged_steps))
    assert [step for step, _ in batch_losses] == logged_steps
    assert [step for step, _ in points(sdk_env, callback.run.id, "loss", EPOCHS)] == [0, 1]


def test_keras_leaves_a_run_passed_in_open(sdk_env: SdkEnvironment) -> None:
    run = wavedb.init(project="keras")
    inputs, targets = data()

    tiny_model().fit(
        inputs,
        targets,
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        callbacks=[WaveDBCallback(run=run)],
        verbose=0,
    )

    assert sdk_env.client.get_run(run.id)["status"] == "running"
    run.log({"test/mae": 0.5}, step=EPOCHS)
    run.finish()
    assert sdk_env.client.get_run(run.id)["status"] == "finished"
    assert [step for step, _ in points(sdk_env, run.id, "loss", EPOCHS)] == [0, 1]
    assert points(sdk_env, run.id, "test/mae", 1) == [(EPOCHS, 0.5)]


def test_keras_callback_refuses_a_batch_interval_below_one() -> None:
    with pytest.raises(ValueError, match="log_every_n_batches"):
        WaveDBCallback(project="keras", log_every_n_batches=0)
