"""The `wavedb` command: log in, list and export runs, sync offline runs, import
TensorBoard logs. Only this package loads typer and rich."""
