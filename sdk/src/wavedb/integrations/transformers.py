"""A Hugging Face `Trainer` callback that sends the training arguments and logs to WaveDB.

    from transformers import Trainer, TrainingArguments
    from wavedb.integrations.transformers import WaveDBCallback

    trainer = Trainer(
        model=model,
        args=TrainingArguments(output_dir="out"),
        train_dataset=train_dataset,
        callbacks=[WaveDBCallback(project="bert-finetune")],
    )

Only the main process (`state.is_world_process_zero`) starts the run and logs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from wavedb.integrations import IntegrationRun, RepeatFilter, json_safe, numeric_metrics

if TYPE_CHECKING:
    from wavedb import Run

__all__ = ["WaveDBCallback", "metric_name"]

# The record the Trainer logs once training is over holds these: they are results, not series.
_END_OF_TRAINING_KEY = "train_runtime"

_PREFIXES = (("eval_", "eval/"), ("test_", "test/"))


def metric_name(key: str) -> str:
    """The WaveDB metric name of a key the Trainer logs, grouped the usual way.

    "eval_loss" -> "eval/loss", "test_accuracy" -> "test/accuracy", anything else is a
    training value: "loss" -> "train/loss", "learning_rate" -> "train/learning_rate".
    """
    for prefix, group in _PREFIXES:
        if key.startswith(prefix):
            return group + key[len(prefix) :]
    return "train/" + key


class WaveDBCallback(TrainerCallback):
    """Logs a `Trainer`'s training to one WaveDB run.

    Give either the arguments of `wavedb.init` (`project`, `name`, `config`, `tags`,
    `workspace`, and any other as a keyword) or an existing `run`. Without a `name`, the
    run is named after `TrainingArguments.run_name` when that is set.

    - When training begins, the run's config gets "training_args" (`TrainingArguments.
      to_dict()`, tokens masked) and "model_config" (the model's `config`, if it has one).
    - Every record the Trainer logs (`logging_steps`, evaluations) becomes metric points
      at `state.global_step`, named by `metric_name`: "train/loss", "train/learning_rate",
      "train/grad_norm", "train/epoch", "eval/loss", ... ("epoch", in both the training
      and the evaluation record of a step, is logged once).
    - The record logged when training is over ("train_runtime", "train_loss" (the mean
      over training), "train_samples_per_second", "total_flos", ...) goes to the run's
      results (`run.summary`) under the Trainer's names.
    - A run the callback started is finished when training ends; it is resumed if the
      Trainer logs again later (`trainer.evaluate()` after `trainer.train()`). A run you
      pass in is left open for you to finish.

    With transformers before 5.0, set `report_to="none"` in `TrainingArguments` so the
    Trainer does not also add the callbacks of other trackers it finds installed (5.0 and
    later report nowhere unless asked).
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
        self._repeats = RepeatFilter()  # "epoch" is in both training and evaluation records
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

    def on_train_begin(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        if not state.is_world_process_zero:
            return
        run = self._start(args)
        recorded: dict[str, Any] = {
            "training_args": json_safe(args.to_dict()),  # type: ignore[no-untyped-call]
        }
        model_config = getattr(model, "config", None)
        to_dict = getattr(model_config, "to_dict", None)
        if callable(to_dict):
            recorded["model_config"] = json_safe(to_dict())
        run.config.update(recorded)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not state.is_world_process_zero or not logs:
            return
        values = numeric_metrics(logs)
        if not values:
            return
        run = self._start(args)
        if _END_OF_TRAINING_KEY in values:
            run.summary.update(values)
            return
        renamed = {metric_name(key): value for key, value in values.items()}
        fresh = self._repeats.new_values(renamed, state.global_step)
        if fresh:
            run.log(fresh, step=state.global_step)

    def on_train_end(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> None:
        if state.is_world_process_zero:
            self._run.finish("finished")

    def _start(self, args: TrainingArguments) -> Run:
        run_name = args.run_name if args.run_name != args.output_dir else None
        return self._run.get(defaults={"name": run_name})
