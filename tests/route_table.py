"""The app's route table, flattened: every route with its full path, its methods and the
middleware that guards it, so that tests can check every route rather than a hand-typed list."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from starlette.routing import BaseRoute, Mount, Route, Router

SAMPLES = ("1", "csv", "x")  # a value for each path parameter: the first its convertor accepts


@dataclass(frozen=True)
class FoundRoute:
    path: str  # the template, e.g. /coordinator/bookings/{booking_id:row_id}
    name: str
    methods: frozenset[str]
    guards: tuple[type, ...]  # the middleware classes of every Mount around the route
    example: str  # the path with a sample value for each parameter


def _middleware_of(mount: Mount) -> tuple[type, ...]:
    classes: list[type] = []
    app = mount.app
    while not isinstance(app, Router) and hasattr(app, "app"):
        classes.append(type(app))
        app = app.app
    return tuple(classes)


def _example(route: Route, prefix: str) -> str:
    values = {}
    for name, convertor in route.param_convertors.items():
        fitting = [s for s in SAMPLES if re.fullmatch(convertor.regex, s)]
        assert fitting, f"{route.path}: add a sample value for {{{name}}} to SAMPLES"
        values[name] = convertor.convert(fitting[0])
    return prefix + str(route.url_path_for(route.name, **values))


def walk(
    routes: Sequence[BaseRoute], prefix: str = "", guards: tuple[type, ...] = ()
) -> Iterator[FoundRoute]:
    for route in routes:
        if isinstance(route, Mount):
            yield from walk(route.routes, prefix + route.path, guards + _middleware_of(route))
        elif isinstance(route, Route):
            yield FoundRoute(
                path=prefix + route.path,
                name=route.name,
                methods=frozenset(route.methods or ()),
                guards=guards,
                example=_example(route, prefix),
            )
