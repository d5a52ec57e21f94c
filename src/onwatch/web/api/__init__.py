"""The JSON API under ``/api/v1`` (OpenAPI at ``/api/openapi.json``; docs/api.md).

One module per resource, each exposing a FastAPI ``router`` registered in
:data:`onwatch.web.app.ROUTERS`; response shapes live in :mod:`.models`.
"""
