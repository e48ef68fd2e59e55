"""WaveDB: log metrics, media and results from training code.

    import wavedb

    run = wavedb.init(project="mnist", config={"lr": 3e-4})
    for step in range(1000):
        wavedb.log({"loss": loss, "acc": acc})
    wavedb.finish()

`log` returns at once; a background thread batches, sends, retries and, while the API is
unreachable, keeps everything on disk. See README.md for the settings.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from wavedb.errors import ApiError, ApiUnreachable, ConfigError, WaveDBError
from wavedb.runs import Run
from wavedb.session import init

__all__ = [
    "Api",
    "ApiError",
    "ApiUnreachable",
    "ConfigError",
    "Run",
    "WaveDBError",
    "__version__",
    "finish",
    "init",
    "log",
    "log_audio",
    "log_histogram",
    "log_image",
    "log_text",
    "run",
]


def __getattr__(name: str) -> Any:
    if name == "Api":  # the read API, imported when first asked for
        from wavedb.public_api import Api

        return Api
    if name == "run":
        from wavedb import session

        return session.current
    raise AttributeError(f"module 'wavedb' has no attribute {name!r}")


def _current() -> Run:
    from wavedb import session

    return session.require_run()


def log(data: dict[str, Any], step: int | None = None) -> None:
    """`run.log` on the current run."""
    _current().log(data, step=step)


def log_image(name: str, image: Any, step: int | None = None, caption: str | None = None) -> None:
    _current().log_image(name, image, step=step, caption=caption)


def log_audio(
    name: str,
    audio: Any,
    step: int | None = None,
    sample_rate: int | None = None,
    caption: str | None = None,
) -> None:
    _current().log_audio(name, audio, step=step, sample_rate=sample_rate, caption=caption)


def log_text(name: str, text: str, step: int | None = None, caption: str | None = None) -> None:
    _current().log_text(name, text, step=step, caption=caption)


def log_histogram(
    name: str, values: Any, step: int | None = None, bins: int = 64, caption: str | None = None
) -> None:
    _current().log_histogram(name, values, step=step, bins=bins, caption=caption)


def finish(status: str = "finished", timeout: float | None = None) -> None:
    """Finish the current run (nothing happens when there is none)."""
    from wavedb import session

    if session.current is not None:
        session.current.finish(status, timeout=timeout)
