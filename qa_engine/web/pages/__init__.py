"""The server-rendered pages (plain HTML forms that work without JavaScript)."""

from __future__ import annotations

from fastapi import APIRouter

from qa_engine.web.pages import (
    account,
    admin,
    assignments,
    auth,
    cases,
    credentials,
    dashboard,
    decision_records,
    decisions,
    home,
    reports,
    reviews,
    rubrics,
    self_assessment,
)

MODULES = (
    auth,
    home,
    credentials,
    cases,
    self_assessment,
    assignments,
    reviews,
    decisions,
    reports,
    decision_records,
    dashboard,
    rubrics,
    account,
    admin,
)


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    for module in MODULES:
        pages.include_router(module.router)
    return pages
