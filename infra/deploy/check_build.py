"""Checks the output of `sam build` (.aws-sam/build) against template.yaml.

Run by infra/check_template.sh with the SAM CLI's Python (it has PyYAML):

    .venv-sam/bin/python infra/deploy/check_build.py [BUILD_DIR] [REQUIREMENTS]

Prints one line per finding and exits non-zero if anything is wrong:
  * the core layer holds python/wavedb_core (with its SQL migrations);
  * the dependencies layer holds every pinned requirement at its pinned version, holds
    none of the packages the Lambda runtime provides (boto3, botocore, s3transfer), and
    every native library in it is built for the function architecture, for the runtime's
    CPython and for a glibc the runtime has;
  * every function directory holds the module named by its Handler;
  * functions and layers agree on the architecture, and each function with its layers
    fits in Lambda's 250 MB unzipped limit.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
REQUIRED_IMPORTS = ("fastapi", "pydantic", "pydantic_core", "psycopg", "psycopg_binary")
# glibc of the Lambda Python runtimes: Amazon Linux 2 up to 3.11, Amazon Linux 2023 after.
RUNTIME_GLIBC = {"python3.9": 26, "python3.10": 26, "python3.11": 26}
AL2023_GLIBC = 34
ELF_MACHINE = {"x86_64": 62, "arm64": 183}
WHEEL_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024


def normalize(name: str) -> str:
    """A distribution name as it appears in a .dist-info directory name."""
    return re.sub(r"[-_.]+", "_", name).lower()


def pinned_requirements(path: Path) -> dict[str, str]:
    """name -> version of every `name[extras]==version` line of a requirements file."""
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;]+)", line)
        if match is None:
            raise ValueError(f"{path}: not an exact pin: {line!r}")
        pins[normalize(match.group(1))] = match.group(3)
    return pins


def installed_distributions(site: Path) -> dict[str, str]:
    """name -> version of every .dist-info directory in a layer's python/ directory."""
    found: dict[str, str] = {}
    for info in site.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        found[normalize(name)] = version
    return found


def elf_machine(path: Path) -> int | None:
    """The e_machine field of an ELF file, or None if the file is not ELF."""
    header = path.read_bytes()[:20]
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    if header[5] == 1:
        return int.from_bytes(header[18:20], "little")
    return int.from_bytes(header[18:20], "big")


def wheel_tags(info: Path) -> list[str]:
    wheel = info / "WHEEL"
    if not wheel.is_file():
        return []
    return [
        line.split(":", 1)[1].strip()
        for line in wheel.read_text().splitlines()
        if line.startswith("Tag:")
    ]


def tag_fits(tag: str, arch: str, glibc_minor: int) -> bool:
    """Whether a wheel tag (python-abi-platform) can run on the Lambda runtime."""
    platform = tag.rsplit("-", 1)[-1]
    if platform == "any":
        return True
    legacy = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}
    for prefix, minor in legacy.items():
        if platform == f"{prefix}_{WHEEL_ARCH[arch]}":
            return minor <= glibc_minor
    match = re.fullmatch(r"manylinux_2_(\d+)_(\w+)", platform)
    return (
        match is not None
        and match.group(2) == WHEEL_ARCH[arch]
        and int(match.group(1)) <= glibc_minor
    )


def tree_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == kind
    }


def function_setting(template: dict[str, Any], function: dict[str, Any], key: str) -> Any:
    properties = function.get("Properties", {})
    if key in properties:
        return properties[key]
    return template.get("Globals", {}).get("Function", {}).get(key)


def check_layer_dependencies(site: Path, requirements: Path, arch: str, runtime: str) -> list[str]:
    problems: list[str] = []
    installed = installed_distributions(site)
    for name, version in pinned_requirements(requirements).items():
        if installed.get(name) != version:
            problems.append(
                f"dependencies layer: {name}=={version} missing (found {installed.get(name)})"
            )
    for module in REQUIRED_IMPORTS:
        if not (site / module / "__init__.py").is_file():
            problems.append(f"dependencies layer: python/{module}/__init__.py missing")
    for name in RUNTIME_PROVIDED:
        if (site / name).exists() or name in installed:
            problems.append(f"dependencies layer: contains {name} (the Lambda runtime provides it)")

    glibc_minor = RUNTIME_GLIBC.get(runtime, AL2023_GLIBC)
    python_tag = runtime.removeprefix("python").replace(".", "")
    for info in site.glob("*.dist-info"):
        tags = wheel_tags(info)
        if tags and not any(tag_fits(tag, arch, glibc_minor) for tag in tags):
            problems.append(
                f"dependencies layer: {info.name} wheel tags {tags} do not run on {runtime}/{arch}"
            )
    native = [path for path in site.rglob("*.so*") if path.is_file()]
    for path in native:
        machine = elf_machine(path)
        if machine is not None and machine != ELF_MACHINE[arch]:
            problems.append(f"dependencies layer: {path.relative_to(site)} is not {arch}")
        match = re.search(r"\.cpython-(\d+)-", path.name)
        if match is not None and match.group(1) != python_tag:
            problems.append(f"dependencies layer: {path.relative_to(site)} is not for {runtime}")
    if not native:
        problems.append("dependencies layer: no native libraries (psycopg-binary, pydantic-core?)")
    return problems


def check(build_dir: Path, requirements: Path) -> list[str]:
    built_template = build_dir / "template.yaml"
    if not built_template.is_file():
        return [f"{built_template} missing: sam build did not run"]
    template: dict[str, Any] = yaml.safe_load(built_template.read_text())
    problems: list[str] = []

    layers = resources_of(template, "AWS::Serverless::LayerVersion")
    layer_dirs = {
        name: build_dir / str(res["Properties"]["ContentUri"]) for name, res in layers.items()
    }
    functions = resources_of(template, "AWS::Serverless::Function")
    if not functions:
        problems.append("template: no AWS::Serverless::Function")

    architectures = {
        name: (function_setting(template, res, "Architectures") or ["x86_64"])[0]
        for name, res in functions.items()
    }
    runtimes = {name: function_setting(template, res, "Runtime") for name, res in functions.items()}
    if len(set(architectures.values())) > 1 or len(set(runtimes.values())) > 1:
        problems.append(f"functions disagree: architectures {architectures}, runtimes {runtimes}")
    arch = next(iter(architectures.values()), "x86_64")
    runtime = str(next(iter(runtimes.values()), "python3.12"))
    for name, res in layers.items():
        layer_arch = res.get("Metadata", {}).get("BuildArchitecture", "x86_64")
        if layer_arch != arch:
            problems.append(f"{name}: BuildArchitecture {layer_arch}, functions are {arch}")

    core = layer_dirs.get("CoreLayer")
    if core is None or not (core / "python/wavedb_core/__init__.py").is_file():
        problems.append("CoreLayer: python/wavedb_core/__init__.py missing")
    elif not list((core / "python/wavedb_core/migrations").glob("*.sql")):
        problems.append("CoreLayer: python/wavedb_core/migrations/*.sql missing")

    dependencies = layer_dirs.get("DependenciesLayer")
    if dependencies is None or not (dependencies / "python").is_dir():
        problems.append("DependenciesLayer: python/ missing")
    else:
        problems += check_layer_dependencies(dependencies / "python", requirements, arch, runtime)

    layers_size = sum(tree_size(path) for path in layer_dirs.values() if path.is_dir())
    for name, res in functions.items():
        code = build_dir / str(res["Properties"]["CodeUri"])
        handler = str(function_setting(template, res, "Handler") or "")
        module = handler.rpartition(".")[0].replace(".", "/")
        if not module or not (code / f"{module}.py").is_file():
            problems.append(f"{name}: {code.name}/{module or '<handler>'}.py missing")
            continue
        total = tree_size(code) + layers_size
        if total > UNZIPPED_LIMIT_BYTES:
            problems.append(f"{name}: {total / 2**20:.0f} MB unzipped with its layers (limit 250)")
    return problems


def main(argv: list[str]) -> int:
    build_dir = Path(argv[1] if len(argv) > 1 else ".aws-sam/build")
    requirements = Path(argv[2] if len(argv) > 2 else "layers/dependencies/requirements.txt")
    problems = check(build_dir, requirements)
    for problem in problems:
        print(f"  FAIL {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
