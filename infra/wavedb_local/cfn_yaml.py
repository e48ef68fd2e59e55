"""Reading a template's YAML or JSON text with cfn-lint's decoder.

cfn-lint's decoder (the one `cfn-lint` and `sam validate --lint` read templates with) turns the
short-form tags (`!Ref`, `!Sub`, `!GetAtt a.b`...) into their long forms, refuses duplicate
keys and reads JSON templates too. Its nodes are `dict`/`list`/`str` subclasses that carry
their line numbers; the local stack gets plain dicts, lists and strings, so nothing
downstream (the model, the environments handed to function processes) holds cfn-lint's
types. cfn-lint is imported when a template is read, not when this module is; importing it
takes about 0.4 s (it brings sympy and networkx), so `run` starts that import on a thread
(`import_decoder_in_background`) while PostgreSQL and moto start.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import Any

from wavedb_local.intrinsics import TemplateError


def load_template_text(text: str, *, source: str = "the template") -> dict[str, Any]:
    """Parse a template's YAML (or JSON) text into plain dicts and lists."""
    from cfnlint.decode import decode_str  # type: ignore[import-untyped]

    document, problems = decode_str(text)
    if problems or document is None:
        details = "; ".join(f"line {problem.linenumber}: {problem.message}" for problem in problems)
        raise TemplateError(f"{source} cannot be read: {details or 'no document'}")
    if not isinstance(document, dict):
        raise TemplateError(f"{source} must be a mapping at the top level")
    return {str(key): _plain(item) for key, item in document.items()}


def load_template_file(path: Path) -> dict[str, Any]:
    """Parse the template file at `path`."""
    return load_template_text(path.read_text(encoding="utf-8"), source=str(path))


def import_decoder_in_background() -> threading.Thread:
    """Start importing cfn-lint's decoder and Globals merge on a daemon thread."""

    def import_decoder() -> None:
        for module in ("cfnlint.decode", "cfnlint.template.transforms._sam_globals"):
            importlib.import_module(module)

    thread = threading.Thread(target=import_decoder, name="import-cfn-lint", daemon=True)
    thread.start()
    return thread


def _plain(value: Any) -> Any:
    """The decoder's nodes as the built-in types they subclass."""
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)
    return value
