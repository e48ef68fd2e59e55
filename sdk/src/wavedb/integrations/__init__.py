"""Log training runs of popular frameworks to WaveDB.

Each framework has its own module, which imports the framework, so import the one you use:

    from wavedb.integrations.lightning import WaveDBLogger       # PyTorch Lightning
    from wavedb.integrations.transformers import WaveDBCallback  # Hugging Face Trainer
    from wavedb.integrations.keras import WaveDBCallback         # Keras 3

Every integration takes either the arguments of `wavedb.init` (it then starts the run on
first use and finishes it when training ends) or an existing `run=` (which it never
finishes: the code that started a run finishes it).

This package imports no framework; it holds what the integrations share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wavedb.jsonable import json_safe

if TYPE_CHECKING:
    from wavedb import Run

__all__ = ["IntegrationRun", "RepeatFilter", "json_safe", "numeric_metrics"]


def numeric_metrics(values: Mapping[str, object]) -> dict[str, float]:
    """The entries of `values` that are numbers (or scalar tensors/arrays), as floats.

    Booleans, strings, lists and non-scalar tensors are left out: a metric is one number.
    NaN and infinities are kept (a diverging loss is worth seeing).
    """
    metrics: dict[str, float] = {}
    for name, value in values.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            metrics[str(name)] = float(value)
            continue
        number = _scalar(value)
        if number is not None:
            metrics[str(name)] = number
    return metrics


class RepeatFilter:
    """Drops values a metric already had at the same step.

    Frameworks repeat some values in several records of one step (Lightning sends "epoch"
    with every call, the Trainer puts "epoch" in both its training and evaluation records);
    the same point twice would only show up as a duplicate.
    """

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, float]] = {}

    def new_values(self, values: Mapping[str, float], step: int | None) -> dict[str, float]:
        """The entries of `values` not already seen at `step`; remembers them."""
        if step is None:
            return dict(values)
        fresh = {
            name: value for name, value in values.items() if self._last.get(name) != (step, value)
        }
        self._last.update({name: (step, value) for name, value in fresh.items()})
        return fresh


def _scalar(value: object) -> float | None:
    """The number held by a one-element tensor or array (NumPy, PyTorch, ...), else None."""
    item = getattr(value, "item", None)
    if not callable(item):
        return None
    numel = getattr(value, "numel", None)  # PyTorch: a method; NumPy: the `size` attribute
    count = numel() if callable(numel) else getattr(value, "size", 1)
    if count != 1:
        return None
    try:
        number = item()
    except (TypeError, ValueError, RuntimeError):
        return None
    if isinstance(number, bool) or not isinstance(number, int | float):
        return None
    return float(number)


class IntegrationRun:
    """The run an integration logs to: one given by the user, or one it starts on first use.

    A run the integration started is finished by `finish`; if the integration is used again
    afterwards (say `trainer.test()` after `trainer.fit()`), the same run is resumed, so one
    logger or callback always means one run. A run given by the user is never finished here.
    """

    def __init__(self, run: Run | None, init_kwargs: Mapping[str, Any]) -> None:
        given = {key: value for key, value in init_kwargs.items() if value is not None}
        if run is not None and given:
            raise ValueError(
                "pass either run= or arguments of wavedb.init "
                f"({', '.join(sorted(given))}), not both"
            )
        self._run = run
        self._owned = run is None
        self._finished = False
        self._init_kwargs = given

    @classmethod
    def for_arguments(
        cls,
        run: Run | None,
        *,
        project: str | None,
        name: str | None,
        config: Mapping[str, Any] | None,
        tags: Sequence[str] | None,
        workspace: str | None,
        init_kwargs: Mapping[str, Any],
    ) -> IntegrationRun:
        """From an integration's constructor arguments (those of `wavedb.init`, or `run=`)."""
        return cls(
            run,
            {
                "project": project,
                "name": name,
                "config": dict(config) if config is not None else None,
                "tags": list(tags) if tags is not None else None,
                "workspace": workspace,
                **init_kwargs,
            },
        )

    @property
    def started(self) -> bool:
        """Whether there is a run yet (a given one, or one started by `get`)."""
        return self._run is not None

    @property
    def current(self) -> Run | None:
        """The run if there is one (even finished), without starting or resuming it."""
        return self._run

    def get(self, defaults: Mapping[str, Any] | None = None) -> Run:
        """The run, started (or resumed, after `finish`) if needed.

        `defaults` fill in arguments of `wavedb.init` the integration was not given (say a
        run name the framework knows); they matter only when the run is started.
        """
        if self._run is None:
            filled = {key: value for key, value in (defaults or {}).items() if value is not None}
            self._run = self._init(**{**filled, **self._init_kwargs})
        elif self._finished:
            # The config as it stands now (with what was added since the start), so that a
            # later `config.update` does not send an older one.
            resumed = {"id": self._run.id, "resume": "must", "config": dict(self._run.config)}
            self._run = self._init(**{**self._init_kwargs, **resumed})
            self._finished = False
        return self._run

    def finish(self, status: str = "finished") -> None:
        """Finish the run if the integration started it and it is still open."""
        if self._owned and self._run is not None and not self._finished:
            self._run.finish(status=status)
            self._finished = True

    @staticmethod
    def _init(**kwargs: Any) -> Run:
        import wavedb

        return wavedb.init(**kwargs)
