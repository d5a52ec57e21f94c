"""The app factory: one FastAPI app per running service, routers registered in one list.

A new part of the web side is one router module plus one line in
:data:`ROUTERS`. OpenAPI is served at ``/api/openapi.json``.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from onwatch import __version__
from onwatch.web.auth import Principal, api_principal
from onwatch.web.context import WebContext

STATIC = Path(__file__).parent / "static"

# module (under onwatch.web) → its ``router``
ROUTERS: tuple[str, ...] = (
    "health",
    "metrics",
    "login",
    "api.monitors",
    "api.maintenance",
    "api.objectives",
    "api.mutes",
    "api.incidents",
    "ack",
    "dashboard",
    "dashboard.incidents",
    "dashboard.mutes",
    "agreement",
)


def create_app(context: WebContext) -> FastAPI:
    """The web app of one running service."""
    app = FastAPI(
        title="onwatch",
        version=__version__,
        # FastAPI's own schema and docs routes are public and its docs page loads
        # scripts from a CDN: serve the schema ourselves, behind a login or token.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    for name in ROUTERS:
        router: APIRouter = import_module(f"onwatch.web.{name}").router
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi_schema(
        principal: Annotated[Principal, Depends(api_principal())],
    ) -> dict[str, Any]:
        """The OpenAPI document of this API (docs/api.md is generated from it)."""
        return app.openapi()

    return app
