"""A PyTorch Lightning logger that sends hyperparameters and metrics to a WaveDB run.

    from lightning.pytorch import Trainer
    from wavedb.integrations.lightning import WaveDBLogger

    trainer = Trainer(logger=WaveDBLogger(project="mnist", config={"batch_size": 64}))

Works with `lightning` (`lightning.pytorch`) and with the older `pytorch_lightning` package.
Only the process of global rank zero starts the run and logs.
"""

from __future__ import annotations

import sys
from argparse import Namespace
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

try:
    from lightning.fabric.loggers.logger import rank_zero_experiment
    from lightning.pytorch.loggers import Logger
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:  # only the older package is installed
    from lightning_fabric.loggers.logger import rank_zero_experiment
    from pytorch_lightning.loggers import Logger  # type: ignore[assignment]
    from pytorch_lightning.utilities import rank_zero_only

from wavedb.integrations import IntegrationRun, RepeatFilter, json_safe, numeric_metrics

if TYPE_CHECKING:
    from wavedb import Run

__all__ = ["WaveDBLogger"]


class WaveDBLogger(Logger):
    """Logs a Lightning `Trainer` to one WaveDB run.

    Give either the arguments of `wavedb.init` (`project`, `name`, `config`, `tags`,
    `workspace`, and any other as a keyword: `mode`, `api_url`, `id`, ...) or an existing
    `run`. A run the logger starts is started when training sets up and finished when it
    ends ("finished", or "failed" if training raised, "canceled" on Ctrl+C); if the same
    logger is used again (`trainer.test()` after `trainer.fit()`), that run is resumed. A run
    you pass in is left open for you to finish.

    - `log_hyperparams` (`self.save_hyperparameters()`, the datamodule's hyperparameters)
      merges them into the run's config, kept nested, converted to JSON (namespaces and
      dataclasses to objects, other objects to text).
    - `log_metrics` logs the numeric values (`self.log(...)`, plus Lightning's "epoch") at
      the trainer's step.
    - `name` is the project (Lightning groups checkpoints by it) and `version` the run's id.
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
        **init_kwargs: Any,
    ) -> None:
        super().__init__()
        self._project = project
        self._repeats = RepeatFilter()  # Lightning sends "epoch" with every call
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
    def name(self) -> str | None:
        """The project's name: Lightning's experiment name."""
        run = self._run.current
        return run.project if run is not None else self._project

    @property
    def version(self) -> str | None:
        """The run's id (on global rank zero, where the run lives)."""
        if getattr(rank_zero_only, "rank", 0) > 0:
            return None
        run = self._run.current or self._run.get()
        return run.id

    @property
    @rank_zero_experiment
    def experiment(self) -> Run:
        """The WaveDB run, started on first use (a stand-in that does nothing on other ranks)."""
        return self._run.get()

    @rank_zero_only
    def log_hyperparams(
        self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any
    ) -> None:
        values = vars(params) if isinstance(params, Namespace) else params
        if values:
            self.experiment.config.update(json_safe(values))

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        values = self._repeats.new_values(numeric_metrics(metrics), step)
        if values:
            self.experiment.log(values, step=step)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        if self._run.started:
            self._run.finish(_run_status(status))


def _run_status(lightning_status: str) -> str:
    """Lightning's "success"/"finished"/"failed" as a WaveDB run status."""
    if lightning_status in ("success", "finished"):
        return "finished"
    if isinstance(sys.exc_info()[1], KeyboardInterrupt):  # Lightning calls this "failed" too
        return "canceled"
    return "failed"
