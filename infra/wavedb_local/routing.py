"""Choosing the route of a request the way API Gateway HTTP APIs do.

Priority: a route whose path matches with the most literal segments (left to right) wins
over one with `{param}` segments; greedy `{proxy+}` routes come after every non-greedy
match (the longest literal prefix first); an explicit method beats `ANY`; `$default`
catches whatever is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from wavedb_local.model import DEFAULT_ROUTE, HttpRoute


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    segments: tuple[str, ...]
    greedy: str | None  # the name of a trailing {name+} segment

    def match(self, parts: list[str]) -> dict[str, str] | None:
        fixed = len(self.segments)
        if self.greedy is None and len(parts) != fixed:
            return None
        if self.greedy is not None and len(parts) <= fixed:
            return None
        parameters: dict[str, str] = {}
        for pattern, part in zip(self.segments, parts, strict=False):
            if _is_parameter(pattern):
                if not part:
                    return None
                parameters[pattern[1:-1]] = unquote(part)
            elif pattern != part:
                return None
        if self.greedy is not None:
            rest = "/".join(parts[fixed:])
            if not rest:
                return None
            parameters[self.greedy] = unquote(rest)
        return parameters

    def priority(self) -> tuple[int, int, tuple[int, ...], int]:
        literalness = tuple(1 if _is_parameter(segment) else 0 for segment in self.segments)
        return (
            0 if self.greedy is None else 1,
            0 if self.greedy is None else -len(self.segments),
            literalness,
            1 if self.route.method == "ANY" else 0,
        )


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _compile(route: HttpRoute) -> _CompiledRoute:
    segments = route.path.strip("/").split("/") if route.path != "/" else []
    greedy: str | None = None
    if segments and segments[-1].startswith("{") and segments[-1].endswith("+}"):
        greedy = segments[-1][1:-2]
        segments = segments[:-1]
    return _CompiledRoute(route=route, segments=tuple(segments), greedy=greedy)


def _split(path: str) -> list[str]:
    if path in {"", "/"}:
        return []
    return path[1:].split("/") if path.startswith("/") else path.split("/")


class RouteTable:
    """The routes of an HTTP API, ready to match requests."""

    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        self._routes: list[_CompiledRoute] = []
        self._default: HttpRoute | None = None
        seen: dict[str, HttpRoute] = {}
        for route in routes:
            previous = seen.get(route.route_key)
            if previous is not None:
                raise ValueError(
                    f"route {route.route_key} is served by both {previous.function_id} "
                    f"and {route.function_id}"
                )
            seen[route.route_key] = route
            if route.path == DEFAULT_ROUTE:
                self._default = route
            else:
                self._routes.append(_compile(route))
        self._routes.sort(key=_CompiledRoute.priority)

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The route serving `method raw_path`, with its path parameters; None if none."""
        parts = _split(raw_path)
        if len(parts) > 1 and parts[-1] == "":
            parts = parts[:-1]  # API Gateway routes `/user/` as `/user` (rawPath keeps the slash)
        method = method.upper()
        for compiled in self._routes:
            if compiled.route.method not in {method, "ANY"}:
                continue
            parameters = compiled.match(parts)
            if parameters is not None:
                return RouteMatch(route=compiled.route, path_parameters=parameters)
        if self._default is not None:
            return RouteMatch(route=self._default, path_parameters={})
        return None

    def has_exact_path(self, path: str) -> bool:
        """Whether a route is declared for exactly this literal path (any method)."""
        return any(
            compiled.greedy is None and compiled.route.path == path for compiled in self._routes
        )
