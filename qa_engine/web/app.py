"""The web application: the JSON API under /api/v1, the pages, the static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from qa_engine import __version__
from qa_engine.config import Settings, get_settings
from qa_engine.web import api, errors, pages
from qa_engine.web.middleware import BodyLimit, SecurityHeaders
from qa_engine.web.templating import STATIC_DIR

DESCRIPTION = """The quality-assurance workflow engine of the 4EU+ alliance: micro-credentials,
review cases, self-assessments, reviewer assignment, reviews, decisions and signed evaluation
reports.

Authenticate with `Authorization: Bearer <token>` (`qa-engine users token USERNAME --scope
read|write`); a read token cannot change anything. Browser sessions use a cookie plus the CSRF token
in `X-CSRF-Token`. Errors are `{"error": code, "message": text, "details": [...]}`. Updates carry
the `version` you loaded (or `If-Match`); a stale one is a 409. A case you may not see is a 404,
exactly as a case that does not exist."""

FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and the other fields of an upload form


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Handlers and database work run in worker threads. Under a burst, dozens of threads taking
        # turns at the GIL cost several times the work itself (measured: 3x the CPU per request at
        # 32 concurrent requests); a few threads do the same work and the rest wait their turn.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        yield

    app = FastAPI(
        title="qa-engine",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    app.include_router(api.router())
    app.include_router(pages.router())

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness for load balancers and benchmarks: no database, no session."""
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_middleware(
        BodyLimit,
        limit=settings.max_upload_bytes + FORM_OVERHEAD,
        file_limit=settings.max_upload_bytes,
    )
    app.add_middleware(SecurityHeaders)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an API token (qat_…)",
                },
            }
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    # FastAPI's documented way to extend the schema replaces the method on the instance
    app.openapi = openapi  # type: ignore[method-assign]
    return app
