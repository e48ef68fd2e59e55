"""X-Ray tracing through Powertools, without patching at cold start.

Powertools' `Tracer()` patches every library X-Ray supports when it is created, which imports
botocore and more during a function's cold start whether the function calls AWS or not. Here
nothing is patched up front: `wavedb_core.aws` patches botocore just before it makes the first
AWS client, so AWS calls are still traced, and a function that never calls AWS never pays for it.
"""

from __future__ import annotations

from aws_lambda_powertools import Tracer


def function_tracer() -> Tracer:
    """The function's tracer (Powertools shares its settings across instances)."""
    return Tracer(auto_patch=False)


def trace_aws_calls() -> None:
    """Trace every botocore call from now on (idempotent; a no-op when tracing is off)."""
    Tracer(auto_patch=False).patch(["botocore"])
