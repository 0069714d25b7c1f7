"""The JSON API under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from qa_engine.web.api import assignments, cases, credentials, dashboard, me, reports


def router() -> APIRouter:
    api = APIRouter()
    for module in (me, credentials, cases, assignments, reports, dashboard):
        api.include_router(module.router)
    return api
