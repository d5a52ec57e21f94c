"""``/api/v1/objectives``: every objective's SLI, error budget, burn rates and alert state.

Figures come from the evaluator's latest round (every few seconds), never from
a fresh scan of the database, so the list answers in constant time however
many checks are stored. Open alert events and the maintenance windows active
now are read from the store. ``/api/v1/agreement/history`` lists every recorded
change of an agreed number. Every route needs a viewer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from onwatch.policy.checks import suggest
from onwatch.slo.model import ObjectiveSpec
from onwatch.slo.specs import objective_specs
from onwatch.slo.standings import excluded_reasons
from onwatch.store.agreement_log import AgreementChange, history
from onwatch.store.alerts import open_alerts
from onwatch.web.api.models import Error, utc
from onwatch.web.api.objective_models import (
    HistoryEntry,
    Objective,
    ObjectiveDetail,
    ObjectiveList,
    OpenAlert,
)
from onwatch.web.auth import api_principal
from onwatch.web.context import WebContext, context_of
from onwatch.web.evaluations import active_maintenance, latest_evaluations

Context = Annotated[WebContext, Depends(context_of)]

router = APIRouter(
    prefix="/api/v1",
    tags=["objectives"],
    dependencies=[Depends(api_principal())],
    responses={
        401: {"model": Error, "description": "No valid session or bearer token"},
        403: {"model": Error, "description": "The role may not read objectives"},
    },
)


@router.get("/objectives", response_model=ObjectiveList)
def list_objectives(
    context: Context,
    service: Annotated[str | None, Query(description="Only this service's objectives")] = None,
) -> ObjectiveList:
    """Every objective with its SLI, budget left and alert state at the last evaluation."""
    specs = objective_specs(context.service.policy)
    if service is not None and service not in {spec.service for spec in specs}:
        raise HTTPException(404, _unknown_service(context, service))
    evaluations = latest_evaluations(context.service)
    return ObjectiveList(
        objectives=[
            Objective.of(spec, evaluations.get(spec.key))
            for spec in specs
            if service is None or spec.service == service
        ]
    )


@router.get(
    "/objectives/{service}/{name}",
    response_model=ObjectiveDetail,
    responses={404: {"model": Error, "description": "No such objective in the running policy"}},
)
async def objective_detail(context: Context, service: str, name: str) -> ObjectiveDetail:
    """One objective: every window (SLI, budget, excluded and lenient time), every burn-rate
    tier, open alert events and the maintenance windows active now."""
    spec = _find(context, service, name)
    evaluation = latest_evaluations(context.service).get(spec.key)
    alerts = await run_in_threadpool(_open_alerts, context, spec)
    reasons: dict[str, list[str]] = {}
    for standing in [evaluation.standing, *evaluation.also] if evaluation else []:
        found = await run_in_threadpool(excluded_reasons, context.service.database, spec, standing)
        reasons[standing.window.label] = found
    active = active_maintenance(context.service, spec)
    return ObjectiveDetail.build(spec, evaluation, alerts, active, reasons)


@router.get("/agreement/history", response_model=list[HistoryEntry])
def agreement_history(
    context: Context,
    item: Annotated[
        str | None, Query(description="Only items starting with this, e.g. checkout/")
    ] = None,
) -> list[HistoryEntry]:
    """Every recorded change of an agreed number, oldest first (what was agreed when)."""
    with context.service.database.engine.connect() as connection:
        changes: list[AgreementChange] = history(connection, item)
    return [HistoryEntry.of(change) for change in changes]


def _open_alerts(context: WebContext, spec: ObjectiveSpec) -> list[OpenAlert]:
    with context.service.database.engine.connect() as connection:
        events = open_alerts(connection, spec.key)
    return [
        OpenAlert(
            id=event.id,
            tier=event.tier,
            severity=event.severity,
            opened_at=utc(event.opened_at),
            message=event.message,
        )
        for event in events
    ]


def _find(context: WebContext, service: str, name: str) -> ObjectiveSpec:
    specs = objective_specs(context.service.policy)
    for spec in specs:
        if spec.service == service and spec.name == name:
            return spec
    if service not in {spec.service for spec in specs}:
        raise HTTPException(404, _unknown_service(context, service))
    names = [spec.name for spec in specs if spec.service == service]
    raise HTTPException(404, f'service "{service}" has no objective "{name}"{suggest(name, names)}')


def _unknown_service(context: WebContext, service: str) -> str:
    known: list[Any] = [s.name for s in context.service.policy.services]
    return f'no service named "{service}" with objectives{suggest(service, known)}'
