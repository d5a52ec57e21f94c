"""The app factory: one FastAPI app per running service, routers registered in one list.

A new part of the web side is one router module plus one line in
:data:`ROUTERS`. OpenAPI is served at ``/api/openapi.json``.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from onwatch import __version__
from onwatch.web.context import WebContext

STATIC = Path(__file__).parent / "static"

# module (under onwatch.web) → its ``router``
ROUTERS: tuple[str, ...] = (
    "health",
    "metrics",
    "login",
    "api.monitors",
    "dashboard",
)


def create_app(context: WebContext) -> FastAPI:
    """The web app of one running service."""
    app = FastAPI(
        title="onwatch",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.context = context
    for name in ROUTERS:
        router: APIRouter = import_module(f"onwatch.web.{name}").router
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
