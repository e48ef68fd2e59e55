"""CPU, memory and (through NVML, where present) GPU figures, sampled in the background."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("wavedb")
# Logged with every sample: the training step current when it was taken.
SYSTEM_TRAINING_STEP = "system/training_step"
_GIB = float(1 << 30)


class SystemMetrics(threading.Thread):
    """Calls `emit(values)` every `interval` seconds with `system/...` figures."""

    def __init__(self, emit: Callable[[dict[str, float]], None], interval: float) -> None:
        super().__init__(name="wavedb-system-metrics", daemon=True)
        self._emit = emit
        self._interval = interval
        self._stopped = threading.Event()
        self._process: Any = None
        self._nvml: Any = None
        self._gpus: list[Any] = []

    def stop(self) -> None:
        self._stopped.set()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil is a dependency
            logger.warning("wavedb: psutil is missing; system metrics are off")
            return
        self._process = psutil.Process(os.getpid())
        psutil.cpu_percent(None)
        self._process.cpu_percent(None)
        self._start_nvml()
        try:
            while not self._stopped.wait(self._interval):
                try:
                    self._emit(self.sample(psutil))
                except Exception:  # a failed sample must never end the thread
                    logger.debug("wavedb: a system metrics sample failed", exc_info=True)
        finally:
            self._stop_nvml()

    def sample(self, psutil: Any) -> dict[str, float]:
        memory = psutil.virtual_memory()
        values: dict[str, float] = {
            "system/cpu_percent": float(psutil.cpu_percent(None)),
            "system/memory_percent": float(memory.percent),
            "system/memory_used_gb": (memory.total - memory.available) / _GIB,
            "system/process_cpu_percent": float(self._process.cpu_percent(None)),
            "system/process_memory_gb": self._process.memory_info().rss / _GIB,
        }
        for index, handle in enumerate(self._gpus):
            values.update(self._gpu(index, handle))
        return values

    # ------------------------------------------------------------------ GPUs
    def _start_nvml(self) -> None:
        try:
            import pynvml

            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            self._gpus = [pynvml.nvmlDeviceGetHandleByIndex(index) for index in range(count)]
            self._nvml = pynvml
        except Exception:  # no NVML library, no driver or no GPU: CPU figures only
            self._gpus = []

    def _gpu(self, index: int, handle: Any) -> dict[str, float]:
        nvml = self._nvml
        prefix = f"system/gpu{index}"
        values: dict[str, float] = {}
        utilisation = nvml.nvmlDeviceGetUtilizationRates(handle)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        values[f"{prefix}/utilization_percent"] = float(utilisation.gpu)
        values[f"{prefix}/memory_percent"] = 100.0 * memory.used / max(memory.total, 1)
        values[f"{prefix}/memory_used_gb"] = memory.used / _GIB
        try:
            values[f"{prefix}/temperature_c"] = float(
                nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
            )
            values[f"{prefix}/power_w"] = nvml.nvmlDeviceGetPowerUsage(handle) / 1000.0
        except Exception:  # not every GPU reports these
            logger.debug("wavedb: GPU %d has no temperature or power reading", index)
        return values

    def _stop_nvml(self) -> None:
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:
                logger.debug("wavedb: NVML shutdown failed", exc_info=True)
