"""Only the allowlist of :mod:`onwatch.web.public` is open to anonymous callers.

The test walks every route the real app registers (whoever added it) and calls
each method of each one outside the allowlist without credentials: the answer
must be 401, 403, or a 303 to the login page, never content.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from authkit import web_context
from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from fakeclock import FakeClock
from onwatch.web.app import create_app
from onwatch.web.context import WebContext
from onwatch.web.public import is_public

# Path parameter values by convertor; anything else gets a plain word.
DUMMY = {
    "IntegerConvertor": "1",
    "FloatConvertor": "1.5",
    "UUIDConvertor": str(uuid.UUID(int=1)),
    "PathConvertor": "dummy/nested",
}


@pytest.fixture
def context(tmp_path: Path) -> Iterator[WebContext]:
    with web_context(f"sqlite:///{tmp_path / 'onwatch.db'}", FakeClock()) as made:
        yield made


def concrete_path(route: RouteContext) -> str:
    """The route's path with every parameter filled in."""
    values = {
        name: DUMMY.get(type(convertor).__name__, "dummy")
        for name, convertor in route.param_convertors.items()
    }
    assert route.path_format is not None
    return route.path_format.format(**values)


def endpoints(app: FastAPI) -> list[tuple[str, str, str]]:
    """(declared path, method, concrete path) for every route and method of the app.

    ``app.routes`` holds one lazy wrapper per included router (FastAPI >= 0.137);
    ``iter_route_contexts`` flattens them into one entry per endpoint.
    """
    found: list[tuple[str, str, str]] = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.append((f"{route.path}/{{path}}", "GET", f"{route.path}/dummy"))
        elif route.path is not None and route.methods:
            for method in sorted(route.methods):
                found.append((route.path, method, concrete_path(route)))
        else:
            raise AssertionError(f"a route of a kind this test does not know: {route!r}")
    return found


def refused(status: int, location: str | None) -> bool:
    """401/403, or 303 to the login page."""
    if status in (401, 403):
        return True
    return status == 303 and location is not None and location.startswith("/login?next=")


def test_every_route_outside_the_allowlist_refuses_anonymous_callers(
    context: WebContext,
) -> None:
    app = create_app(context)
    metrics_public = context.settings.metrics_public
    checked, open_routes = [], []
    with TestClient(app, raise_server_exceptions=False) as client:
        for declared, method, path in endpoints(app):
            if is_public(declared, metrics_public=metrics_public):
                continue
            answer = client.request(method, path, follow_redirects=False)
            checked.append(f"{method} {declared}")
            if not refused(answer.status_code, answer.headers.get("location")):
                open_routes.append(f"{method} {declared} -> {answer.status_code}")
    assert not open_routes, "open to anyone, but not in PUBLIC_PATHS:\n" + "\n".join(open_routes)
    assert "POST /logout" in checked  # the walk saw the app's routes, not an empty list


def test_the_walk_fills_every_kind_of_path_parameter() -> None:
    app = FastAPI()

    @app.get("/things/{number:int}/{name}/{rest:path}")
    async def thing() -> None: ...

    assert endpoints(app)[-1] == (
        "/things/{number:int}/{name}/{rest:path}",
        "GET",
        "/things/1/dummy/dummy/nested",
    )


def test_an_unprotected_route_would_be_caught(context: WebContext) -> None:
    app = create_app(context)

    @app.get("/forgotten")
    async def forgotten() -> dict[str, str]:
        return {"secret": "data"}

    with TestClient(app) as client:
        answer = client.get("/forgotten")
    assert not is_public("/forgotten")
    assert not refused(answer.status_code, answer.headers.get("location"))
