"""``/agreement``: the published reliability agreement, for the team and through share links.

``/agreement`` needs a login like every dashboard page. ``/agreement/shared/{secret}``
is public (it is in :data:`onwatch.web.public.PUBLIC_PATHS`) but only answers
for a secret made by ``onwatch agreement share`` that is neither revoked nor
expired; anything else is a plain 404 that says nothing about why.
``/api/v1/agreement/history`` lists every recorded change of an agreed number.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from onwatch.agreement.document import AgreementDocument, build_document
from onwatch.slo.standings import all_excluded_reasons
from onwatch.store.agreement_links import verify_link
from onwatch.store.agreement_log import history
from onwatch.web.auth import Principal, page_principal
from onwatch.web.context import WebContext, context_of
from onwatch.web.evaluations import latest_evaluations
from onwatch.web.templating import templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(page_principal())]
Context = Annotated[WebContext, Depends(context_of)]

HISTORY_SHOWN = 50
"""Most recent changes shown on the page (the CLI and API give them all)."""


def agreement_document(context: WebContext) -> AgreementDocument:
    """The agreement as it stands now (reads the history; run it off the event loop)."""
    service = context.service
    with service.database.engine.connect() as connection:
        changes = history(connection)
    evaluations = latest_evaluations(service)
    return build_document(
        service.policy,
        evaluations,
        service.clock.now(),
        list(reversed(changes))[:HISTORY_SHOWN],
        all_excluded_reasons(service.database, evaluations),
    )


@router.get("/agreement", response_class=HTMLResponse)
def agreement_page(request: Request, principal: Viewer, context: Context) -> Response:
    """The agreed numbers in plain words, the standing against each, and their history."""
    return templates.TemplateResponse(
        request,
        "agreement/page.html",
        {"principal": principal, "section": "agreement", "document": agreement_document(context)},
    )


@router.get("/agreement/shared/{secret}", response_class=HTMLResponse)
def shared_agreement(request: Request, secret: str, context: Context) -> Response:
    """The same page for people without an account, through a link made to share it."""
    service = context.service
    with service.database.engine.connect() as connection:
        link = verify_link(connection, secret, now=service.clock.now())
    if link is None:
        raise HTTPException(404, "Not Found")
    response = templates.TemplateResponse(
        request, "agreement/page.html", {"document": agreement_document(context)}
    )
    # The secret is in the URL: keep it out of other sites' logs and out of caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
