"""What a cold start need not run: modules our libraries import at module level for what
few requests use are loaded when first used, through a stand-in module.

An HTTP function imports this module first (`import wavedb_core.cold_start`, placed
before the third-party imports by the isort sections in pyproject.toml), so that it takes
effect before FastAPI is imported.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

# Starlette imports http.client for its table of reason phrases, read when an HTTPException
# has no detail (~16 ms: it pulls in the e-mail parser); FastAPI imports email_validator
# only to learn that it is installed, and pydantic calls it when it validates an address
# (~19 ms: it compiles its grammar).
DEFERRED_MODULES = ("http.client", "email_validator")
# FastAPI checks each route's types against pydantic.v1's models, importing pydantic.v1 for
# it (~16 ms); no model of ours is one, and nothing in a function imports it otherwise. Only
# in Lambda: tools run next to our code elsewhere (samtranslator) use pydantic.v1.
REFUSED_IN_LAMBDA = ("pydantic.v1",)


def in_lambda() -> bool:
    return os.environ.get("AWS_EXECUTION_ENV", "").startswith("AWS_Lambda_")


class _Deferred(ModuleType):
    """Stands in for a module until one of its attributes is read: then the module runs,
    takes its place in `sys.modules` (and in its package), and answers. An `import`
    statement reads only `__spec__`, which the stand-in has."""

    def __init__(self, spec: ModuleSpec) -> None:
        super().__init__(spec.name)
        self.__spec__ = spec

    def __getattr__(self, attribute: str) -> Any:
        module = _load(self)
        self.__dict__.update(module.__dict__)
        return getattr(module, attribute)


def _load(stand_in: _Deferred) -> ModuleType:
    name = stand_in.__name__
    if sys.modules.get(name) is stand_in:
        del sys.modules[name]
    module = importlib.import_module(name)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def defer(name: str) -> ModuleType | None:
    """Make `import name` cheap: the module runs when one of its attributes is first read.
    Nothing is done when it is imported already or not installed."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None:
        return None
    stand_in = _Deferred(spec)
    sys.modules[name] = stand_in
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, stand_in)
    return stand_in


def refuse(name: str) -> None:
    """Make `import name` fail with ImportError, unless something imported it already."""
    sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def apply() -> None:
    for name in DEFERRED_MODULES:
        defer(name)
    if in_lambda():
        for name in REFUSED_IN_LAMBDA:
            refuse(name)


apply()
