"""Aggregate figures for leadership: counts of cases by state and outcome per institution."""

from __future__ import annotations

from fastapi import APIRouter

from qa_engine.domain.i18n import N_
from qa_engine.services.dashboard import AGGREGATE_READERS
from qa_engine.services.dashboard import dashboard as dashboard_service
from qa_engine.web.api.schemas import ERRORS, DashboardOut, InstitutionCountsOut
from qa_engine.web.auth import CurrentActor, requires
from qa_engine.web.db import DB

router = APIRouter(prefix="/api/v1", tags=["dashboard"], responses=ERRORS)


@router.get(
    "/dashboard",
    response_model=DashboardOut,
    summary="Counts of cases by state and by outcome per institution (no person is named)",
    dependencies=[requires(AGGREGATE_READERS, action=N_("read the aggregate figures"))],
)
def dashboard(db: DB, actor: CurrentActor) -> DashboardOut:
    d = dashboard_service(session=db, actor=actor)
    return DashboardOut(
        total=d.total,
        states=d.states,
        outcomes=d.outcomes,
        totals_by_state=d.totals_by_state,
        totals_by_outcome=d.totals_by_outcome,
        institutions=[
            InstitutionCountsOut(
                code=r.code,
                name=r.name,
                total=r.total,
                by_state=r.by_state,
                by_outcome=r.by_outcome,
            )
            for r in d.rows
        ],
    )
