"""Cold import time of every function's handler module, and the size of what `sam build` ships.

    make bench-serverless        # or: .venv/bin/python bench/serverless.py [--runs 7]

It measures the build output (`.aws-sam/build`, made by `bash infra/check_template.sh build`),
not the source tree: each function's code directory and its layers' `python/` folders are
put on `sys.path` in Lambda's order (function code first, then the layers), in a Python 3.12
virtual environment that holds only boto3 (`.venv-bench-lambda`, what the Lambda runtime
adds). The runtime's `/opt` is read-only, so nothing may write bytecode: a module imports from
a shipped `.pyc` or is compiled from source on every cold start, and the measurement runs with
PYTHONDONTWRITEBYTECODE=1 for the same reason. Each handler module is imported in a new
process with `python -X importtime`, with the environment the template gives the function and
the variables Lambda sets; the figure is the cumulative import time of the handler module
(the minimum of several runs, as a cold start on an idle core is the best case).

With `--instructions` it also counts the instructions each import executes (valgrind's
callgrind, one run each, less those of an interpreter that imports nothing): unlike the
time, the count does not depend on what else the machine is doing, so two builds compare
on a busy machine too.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
BUILD_DIR = REPOSITORY / ".aws-sam" / "build"
LAMBDA_VENV = REPOSITORY / ".venv-bench-lambda"
COLD_IMPORT_GOAL_MS = 300.0
# Lambda's limit on a function and all its layers, unzipped.
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024

sys.path.insert(0, str(REPOSITORY / "infra"))

from wavedb_local.cfn_yaml import load_template_file  # noqa: E402
from wavedb_local.model import FunctionSpec  # noqa: E402
from wavedb_local.template import load_stack  # noqa: E402


@dataclass(frozen=True)
class ImportTiming:
    function: str
    module: str
    best_ms: float
    median_ms: float
    heaviest: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class PackageSize:
    name: str
    files: int
    unzipped_bytes: int
    zipped_bytes: int


def sys_path_of(function: FunctionSpec) -> list[Path]:
    """Lambda's order: the function's code (/var/task), then each layer's python/ (/opt/python)."""
    layer_paths = [
        layer / "python" if (layer / "python").is_dir() else layer for layer in function.layer_dirs
    ]
    return [function.code_dir, *layer_paths]


def lambda_environment(function: FunctionSpec) -> dict[str, str]:
    """The template's variables for the function and those the Lambda runtime sets."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "LAMBDA_TASK_ROOT": str(function.code_dir),
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "_HANDLER": function.handler,
        "_X_AMZN_TRACE_ID": f"Root=1-{'0' * 8}-{'0' * 24};Parent={'0' * 16};Sampled=1",
        "PYTHONPATH": os.pathsep.join(str(path) for path in sys_path_of(function)),
    }
    environment.update(function.environment)
    return environment


def _import_times(stderr: str) -> list[tuple[str, int, int]]:
    """(module, self µs, cumulative µs) of each `-X importtime` line."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        head, cumulative_us, name = line.split("|", 2)
        self_us = head.removeprefix("import time:")
        rows.append((name.strip(), int(self_us), int(cumulative_us)))
    return rows


def time_import(python: Path, function: FunctionSpec, runs: int) -> ImportTiming:
    module = function.handler.rsplit(".", 1)[0]
    totals: list[float] = []
    best_rows: list[tuple[str, int, int]] = []
    for _ in range(runs):
        answer = subprocess.run(  # noqa: S603
            [str(python), "-s", "-X", "importtime", "-c", f"import {module}"],
            cwd=function.code_dir,
            env=lambda_environment(function),
            capture_output=True,
            text=True,
            check=False,
        )
        if answer.returncode != 0:
            raise SystemExit(
                f"{function.logical_id}: import {module} failed:\n{answer.stderr[-2000:]}"
            )
        rows = _import_times(answer.stderr)
        total = next(cumulative for name, _, cumulative in reversed(rows) if name == module)
        totals.append(total / 1000)
        if total / 1000 <= min(totals):
            best_rows = rows
    top_level = _top_level_imports(best_rows, module)
    return ImportTiming(
        function=function.logical_id,
        module=module,
        best_ms=min(totals),
        median_ms=statistics.median(totals),
        heaviest=tuple(top_level[:3]),
    )


def count_instructions(python: Path, function: FunctionSpec, code: str) -> float:
    """Millions of instructions the interpreter executes to run `code` in the function's
    environment (callgrind's total)."""
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    answer = subprocess.run(  # noqa: S603
        [*valgrind, str(python), "-s", "-c", code],
        cwd=function.code_dir,
        env=lambda_environment(function),
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", answer.stderr)
    if answer.returncode != 0 or found is None:
        raise SystemExit(f"{function.logical_id}: valgrind failed:\n{answer.stderr[-2000:]}")
    return int(found.group(1)) / 1e6


def import_instructions(python: Path, functions: list[FunctionSpec]) -> dict[str, float]:
    """Millions of instructions of each handler module's import."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    interpreter = count_instructions(python, functions[0], "pass")
    return {
        function.logical_id: count_instructions(
            python, function, f"import {function.handler.rsplit('.', 1)[0]}"
        )
        - interpreter
        for function in functions
    }


def _top_level_imports(rows: list[tuple[str, int, int]], module: str) -> list[tuple[str, float]]:
    """The packages the handler pulls in, heaviest first (cumulative ms of each root package)."""
    roots: dict[str, float] = {}
    for name, _, cumulative in rows:
        if name == module:
            continue
        root = name.split(".")[0]
        roots[root] = max(roots.get(root, 0.0), cumulative / 1000)
    return sorted(roots.items(), key=lambda item: item[1], reverse=True)


def package_size(name: str, directory: Path) -> PackageSize:
    files = [path for path in directory.rglob("*") if path.is_file()]
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "package.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in files:
                bundle.write(path, path.relative_to(directory))
        zipped = archive.stat().st_size
    return PackageSize(name, len(files), sum(path.stat().st_size for path in files), zipped)


def build(skip: bool, build_dir: Path) -> None:
    if not skip:
        script = REPOSITORY / "infra" / "check_template.sh"
        subprocess.run(["/bin/bash", str(script), "build"], check=True)  # noqa: S603
    if not (build_dir / "template.yaml").is_file():
        raise SystemExit(f"no build in {build_dir}: run `bash infra/check_template.sh build`")


def _kib(size: int) -> str:
    return f"{size / 1024:,.1f}"


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.2f}"


def on_snapstart(template_path: Path) -> set[str]:
    """The functions the template puts on SnapStart (with SnapStartApplyOn's default)."""
    resources = load_template_file(template_path)["Resources"]
    return {name for name, resource in resources.items() if "SnapStart" in resource["Properties"]}


def _verdict(timing: ImportTiming, snapstart: set[str]) -> str:
    if timing.best_ms <= COLD_IMPORT_GOAL_MS:
        return "met"
    return "on SnapStart" if timing.function in snapstart else "missed"


def print_report(
    timings: list[ImportTiming],
    sizes: dict[str, PackageSize],
    functions: list[FunctionSpec],
    runs: int,
) -> None:
    python_version = subprocess.run(  # noqa: S603
        [str(LAMBDA_VENV / "bin" / "python"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"\nCold import of each handler module ({python_version}, min of {runs} runs)\n")
    print(
        "| function | cold import ms (min) | median ms | goal <= 300 ms or SnapStart "
        "| heaviest imports (cumulative ms) |"
    )
    print("|---|---:|---:|---|---|")
    snapstart = on_snapstart(REPOSITORY / "template.yaml")
    for timing in timings:
        heaviest = ", ".join(f"{name} {ms:.0f}" for name, ms in timing.heaviest)
        print(
            f"| {timing.function} | {timing.best_ms:.0f} | {timing.median_ms:.0f} "
            f"| {_verdict(timing, snapstart)} | {heaviest} |"
        )
    print("\nSize of each package after `sam build`\n")
    print("| package | files | unzipped KiB | zipped KiB |")
    print("|---|---:|---:|---:|")
    for size in sizes.values():
        print(
            f"| {size.name} | {size.files:,} | {_kib(size.unzipped_bytes)} "
            f"| {_kib(size.zipped_bytes)} |"
        )
    largest = max(
        sum(sizes[path.name].unzipped_bytes for path in (function.code_dir, *function.layer_dirs))
        for function in functions
    )
    print(
        f"\nLargest function with its layers, unzipped: {_mib(largest)} MiB "
        f"(Lambda's limit: {_mib(UNZIPPED_LIMIT_BYTES)} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=7, help="imports per handler (the minimum is reported)"
    )
    parser.add_argument("--skip-build", action="store_true", help="measure the existing build")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each import's instructions (valgrind; independent of the load)",
    )
    parser.add_argument(
        "--build-dir", type=Path, default=BUILD_DIR, help="a `sam build` output (with --skip-build)"
    )
    options = parser.parse_args()
    python = LAMBDA_VENV / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{python} missing: run `make bench-serverless`")
    build(options.skip_build, options.build_dir)
    functions = sorted(
        load_stack(options.build_dir / "template.yaml").functions.values(),
        key=lambda f: f.logical_id,
    )
    timings = [time_import(python, function, options.runs) for function in functions]
    directories = {
        path.name: path
        for function in functions
        for path in (function.code_dir, *function.layer_dirs)
    }
    sizes = {name: package_size(name, directories[name]) for name in sorted(directories)}
    print_report(timings, sizes, functions, options.runs)
    if options.instructions:
        print("\nInstructions of each handler module's import (millions, callgrind)\n")
        print("| function | M instructions |")
        print("|---|---:|")
        for name, count in import_instructions(python, functions).items():
            print(f"| {name} | {count:,.0f} |")


if __name__ == "__main__":
    main()
