"""Leadership's dashboard: counts of cases by state and outcome per institution.

Kept in its own module and template (dashboard.html): the leadership-reports work replaces it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from qa_engine.services.dashboard import dashboard as dashboard_service
from qa_engine.web.db import DB
from qa_engine.web.pages.common import PageUser
from qa_engine.web.templating import render

router = APIRouter()


@router.get("/dashboard")
def dashboard(request: Request, db: DB, principal: PageUser) -> Response:
    data = dashboard_service(session=db, actor=principal.actor)
    return render(request, "dashboard.html", title="Dashboard", d=data)
