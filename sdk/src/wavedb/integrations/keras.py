"""A Keras 3 callback that sends the metrics of `model.fit` to WaveDB (any Keras backend).

from wavedb.integrations.keras import WaveDBCallback

model.fit(x, y, epochs=10, callbacks=[WaveDBCallback(project="mnist")])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import keras  # type: ignore[import-untyped]

from wavedb.integrations import IntegrationRun, json_safe, numeric_metrics

if TYPE_CHECKING:
    from wavedb import Run

__all__ = ["WaveDBCallback"]

BATCH_PREFIX = "batch/"


class WaveDBCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Logs `model.fit` to one WaveDB run.

    Give either the arguments of `wavedb.init` (`project`, `name`, `config`, `tags`,
    `workspace`, and any other as a keyword) or an existing `run`.

    - When training begins, the run's config gets "keras": the epochs, the steps per
      epoch and the optimizer's config.
    - At the end of every epoch, the epoch's logs ("loss", "val_loss", the compiled
      metrics, ...) are logged under Keras's names at step `epoch` (counted from 0, as
      Keras passes it to callbacks).
    - With `log_every_n_batches=N`, the running values of the training batches are also
      logged every N batches, as "batch/loss", ..., at the number of batches trained so
      far (counted from 0 across epochs).
    - A run the callback started is finished when training ends (and resumed if the same
      callback trains again); a run you pass in is left open for you to finish.
    """

    def __init__(
        self,
        project: str | None = None,
        name: str | None = None,
        config: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        workspace: str | None = None,
        *,
        run: Run | None = None,
        log_every_n_batches: int | None = None,
        **init_kwargs: Any,
    ) -> None:
        super().__init__()
        if log_every_n_batches is not None and log_every_n_batches < 1:
            raise ValueError("log_every_n_batches must be at least 1")
        self._log_every_n_batches = log_every_n_batches
        self._batches_before_epoch = 0  # batches trained in the epochs already over
        self._batches_in_epoch = 0
        self._next_batch_log = log_every_n_batches or 0
        self._run = IntegrationRun.for_arguments(
            run,
            project=project,
            name=name,
            config=config,
            tags=tags,
            workspace=workspace,
            init_kwargs=init_kwargs,
        )

    @property
    def run(self) -> Run | None:
        """The run, once training has begun (or the one passed in)."""
        return self._run.current

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        recorded: dict[str, Any] = {
            "epochs": self.params.get("epochs"),
            "steps_per_epoch": self.params.get("steps"),
        }
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            recorded["optimizer"] = {
                "class": type(optimizer).__name__,
                **optimizer.get_config(),
            }
        self._run.get().config.update({"keras": json_safe(recorded)})

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._batches_in_epoch = 0

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._batches_in_epoch = batch + 1
        if self._log_every_n_batches is None or not logs:
            return
        trained = self._batches_before_epoch + batch + 1
        if trained < self._next_batch_log:
            return
        self._next_batch_log = trained + self._log_every_n_batches
        values = numeric_metrics(logs)
        if values:
            self._run.get().log(
                {BATCH_PREFIX + key: value for key, value in values.items()}, step=trained - 1
            )

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._batches_before_epoch += self._batches_in_epoch
        values = numeric_metrics(logs or {})
        if values:
            self._run.get().log(values, step=epoch)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        self._run.finish("finished")
