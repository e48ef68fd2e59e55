"""Real third-party clients against the local stack served over HTTP (`served_stack`, one
for this package), with the SQS event sources running."""

from __future__ import annotations

from tests.support.served import served_stack

__all__ = ["served_stack"]
