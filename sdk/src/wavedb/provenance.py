"""Where a run came from, recorded at `init()`: the SDK version, host, user, Python and the
command line at once (cheap: they travel with the new run), then in a background thread the
OS, git (commit, branch, remote without credentials, dirty flag, and the diff as a file),
the installed packages (as a file) and the GPUs. Every subprocess has a timeout and every
failure leaves its part out: provenance never slows training or fails a run."""

from __future__ import annotations

import getpass
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger("wavedb")

# What can be recorded; each part can be turned off (init(provenance=...) or
# WAVEDB_PROVENANCE_<PART>=false; WAVEDB_PROVENANCE=false turns off all of them).
PROVENANCE_PARTS: tuple[str, ...] = (
    "sdk",
    "host",
    "user",
    "python",
    "command",
    "os",
    "git",
    "diff",
    "packages",
    "gpu",
)
# The diff uploaded with a dirty tree is cut at this size.
MAX_DIFF_BYTES = 1 << 20
# The command line kept in the provenance object (the rest is cut, and said so).
MAX_COMMAND_CHARACTERS = 8_192
SUBPROCESS_TIMEOUT_SECONDS = 5.0
DIFF_MEDIA_NAME = "provenance/git_diff"
PACKAGES_MEDIA_NAME = "provenance/packages"
# Command-line options whose value is a secret: recorded as "***".
_SECRET_OPTION = re.compile(r"^--?[\w.-]*(password|passwd|secret|token|api[_-]?key)[\w.-]*$", re.I)

Files = list[tuple[str, str, bytes]]  # (media name, file name, bytes)


def enabled_parts(
    configured: Iterable[str], given: bool | Mapping[str, bool] | None
) -> frozenset[str]:
    """The parts to record: those the settings leave on, changed by init's `provenance`
    (False: none, True: all, or {"part": False, ...})."""
    parts = set(configured)
    if given is None:
        return frozenset(parts)
    if isinstance(given, bool):
        return frozenset(PROVENANCE_PARTS if given else ())
    for part, wanted in given.items():
        if part not in PROVENANCE_PARTS:
            from wavedb.errors import ConfigError

            raise ConfigError(
                f"provenance has no part {part!r} (parts: {', '.join(PROVENANCE_PARTS)})"
            )
        (parts.add if wanted else parts.discard)(part)
    return frozenset(parts)


# ---------------------------------------------------------------- at once


def immediate(parts: frozenset[str]) -> dict[str, Any]:
    """The parts that cost nothing to read; they go with the new run."""
    found: dict[str, Any] = {}
    if "sdk" in parts:
        from wavedb import __version__

        found["sdk"] = {"version": __version__}
    if "host" in parts:
        found["host"] = _quietly(lambda: _clean(socket.gethostname()))
    if "user" in parts:
        found["user"] = _quietly(lambda: _clean(getpass.getuser()))
    if "python" in parts:
        found["python"] = {
            "version": ".".join(str(part) for part in sys.version_info[:3]),
            "implementation": sys.implementation.name,
            "executable": _clean(sys.executable),
        }
    if "command" in parts:
        found["command"] = command_line(sys.argv)
        found["cwd"] = _quietly(lambda: _clean(os.getcwd()))
    return {name: value for name, value in found.items() if value is not None}


def _clean(text: str) -> str:
    """Text the API stores: file names that are not UTF-8 (undecodable bytes kept by
    Python as lone surrogates) with those bytes replaced, no NUL, at most 4,096 characters."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace").replace("\x00", "")[:4_096]


def command_line(argv: list[str]) -> dict[str, Any]:
    """The program and its arguments, secret option values hidden, long ones cut."""
    arguments: list[str] = []
    hide_next = False
    size = 0
    for index, argument in enumerate(_clean(argument) for argument in argv):
        if hide_next:
            argument, hide_next = "***", False
        elif "=" in argument and _SECRET_OPTION.match(argument.split("=", 1)[0]):
            argument = argument.split("=", 1)[0] + "=***"
        elif _SECRET_OPTION.match(argument):
            hide_next = True
        size += len(argument) + 1
        if size > MAX_COMMAND_CHARACTERS:
            return {"argv": arguments, "truncated": len(argv) - index}
        arguments.append(argument)
    return {"argv": arguments}


def strip_credentials(url: str) -> str:
    """A remote URL without the user name and password an https URL may carry."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if not parts.scheme or "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


# ---------------------------------------------------------------- in the background


def gathered(parts: frozenset[str]) -> tuple[dict[str, Any], Files]:
    """Every enabled part (the immediate ones too), and the files to upload beside them."""
    found = immediate(parts)
    files: Files = []
    if "os" in parts:
        found["os"] = _quietly(_operating_system)
    if "git" in parts:
        git = _quietly(lambda: _git("diff" in parts, files))
        if git:
            found["git"] = git
    if "packages" in parts:
        packages = _quietly(_packages)
        if packages:
            found["packages"] = {"count": len(packages), "file": PACKAGES_MEDIA_NAME}
            files.append((PACKAGES_MEDIA_NAME, "packages.txt", "\n".join(packages).encode()))
    if "gpu" in parts:
        gpus = _quietly(_gpus)
        if gpus is not None:
            found["gpu"] = {"count": len(gpus), "models": gpus}
    return {name: value for name, value in found.items() if value is not None}, files


class ProvenanceThread(threading.Thread):
    """Gathers the slow parts and hands them over: `deliver(provenance, files)`."""

    def __init__(
        self, parts: frozenset[str], deliver: Callable[[dict[str, Any], Files], None]
    ) -> None:
        super().__init__(name="wavedb-provenance", daemon=True)
        self._parts = parts
        self._deliver = deliver

    def run(self) -> None:
        try:
            provenance, files = gathered(self._parts)
            self._deliver(provenance, files)
        except Exception:  # provenance must never fail a run
            logger.debug("wavedb: provenance was not recorded", exc_info=True)


def _quietly(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except Exception:
        logger.debug("wavedb: a provenance part could not be read", exc_info=True)
        return None


def _operating_system() -> str:
    import platform

    return platform.platform()


def _run(command: list[str], limit: int | None = None) -> bytes | None:
    """The command's output (None when it fails, is missing or takes too long)."""
    import subprocess

    try:
        completed = subprocess.run(  # noqa: S603 - fixed commands, no shell
            command,
            capture_output=True,
            timeout=SUBPROCESS_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout if limit is None else completed.stdout[: limit + 1]


def _text(output: bytes | None) -> str | None:
    if output is None:
        return None
    text = output.decode("utf-8", errors="replace").strip()
    return text or None


def _git(with_diff: bool, files: Files) -> dict[str, Any] | None:
    import shutil

    if shutil.which("git") is None:
        return None
    commit = _text(_run(["git", "rev-parse", "HEAD"]))
    if commit is None:
        return None  # not in a repository, or one without commits
    git: dict[str, Any] = {"commit": commit}
    branch = _text(_run(["git", "rev-parse", "--abbrev-ref", "HEAD"]))
    if branch and branch != "HEAD":
        git["branch"] = branch
    remote = _text(_run(["git", "config", "--get", "remote.origin.url"]))
    if remote:
        git["remote"] = strip_credentials(remote)
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"])
    if status is not None:
        git["dirty"] = bool(status.strip())
    if with_diff and git.get("dirty"):
        diff = _run(["git", "diff", "HEAD", "--no-color", "--no-ext-diff"], limit=MAX_DIFF_BYTES)
        if diff:
            truncated = len(diff) > MAX_DIFF_BYTES
            files.append((DIFF_MEDIA_NAME, "git.diff", diff[:MAX_DIFF_BYTES]))
            git["diff"] = {"file": DIFF_MEDIA_NAME, "truncated": truncated}
    return git


def _packages() -> list[str]:
    from importlib import metadata

    found: dict[str, str] = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if name and name.lower() not in found:
            found[name.lower()] = f"{name}=={distribution.version}"
    return [found[name] for name in sorted(found)]


def _gpus() -> list[str] | None:
    """GPU models: from nvidia-smi, else from PyTorch when the program has already set up
    CUDA (never imported, nor initialised, here). None when neither says."""
    import shutil

    if shutil.which("nvidia-smi") is not None:
        output = _text(_run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]))
        if output is not None:
            return [line.strip() for line in output.splitlines() if line.strip()]
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and cuda.is_initialized():
        return [str(cuda.get_device_name(index)) for index in range(cuda.device_count())]
    return None
