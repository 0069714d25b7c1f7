"""Jinja2 pages: one environment, paths from the package, a few filters, the shared context."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from qa_engine.domain import numbers
from qa_engine.domain.roles import Role
from qa_engine.domain.scoring import GATE_RULE
from qa_engine.services.context import now
from qa_engine.web.auth import FLASH_COOKIE
from qa_engine.web.forms import CriterionView

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
env = templates.env
env.trim_blocks = True
env.lstrip_blocks = True


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _day(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d")


def _due(value: datetime | None) -> str:
    if value is None:
        return ""
    days = (value - now()).total_seconds() / 86400
    if days < 0:
        n = int(-days) or 1
        return f"{n} day{'s' if n != 1 else ''} overdue"
    n = int(days)
    return "due today" if n == 0 else f"due in {n} day{'s' if n != 1 else ''}"


def _overdue(value: datetime | None) -> bool:
    return value is not None and value < now()


def _label(value: Any) -> str:
    return str(value or "").replace("_", " ")


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _count_errors(criteria: Iterable[CriterionView]) -> int:
    """How many criteria of a form are marked (Jinja's selectattr chain cost a tenth of the review
    page)."""
    return sum(1 for cv in criteria if cv.error)


env.filters.update(when=_when, day=_day, due=_due, label=_label, num=_num, percent=numbers.percent)
env.globals["count_errors"] = _count_errors
env.tests["overdue"] = _overdue
env.globals["Role"] = Role
env.globals["GATE_RULE"] = GATE_RULE


def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    actor = principal.actor if principal is not None else None
    ctx = {
        "request": request,
        "principal": principal,
        "me": actor,
        "csrf": principal.csrf_token if principal is not None else None,
        "flash": getattr(request.state, "flash", ""),
        "roles": {r.value for r in actor.roles} if actor else set(),
        **context,
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    if ctx["flash"]:  # shown once
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
