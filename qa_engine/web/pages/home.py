"""The home page: what waits for this person."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from qa_engine.services.dashboard import waiting_for
from qa_engine.web.db import DB
from qa_engine.web.pages.common import PageUser
from qa_engine.web.templating import gettext_for, render

router = APIRouter()


@router.get("/")
def home(request: Request, db: DB, principal: PageUser) -> Response:
    waiting = waiting_for(session=db, actor=principal.actor)
    _ = gettext_for(request)
    return render(request, "home.html", title=_("Home"), waiting=waiting)
