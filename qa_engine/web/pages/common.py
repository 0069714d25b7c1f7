"""What the page routes share: the signed-in page user, flash messages, redirects after a POST, and
running a service call in a savepoint so that a refused form can be shown again with its errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from qa_engine.domain.errors import QAError, Unauthenticated
from qa_engine.services.web_sessions import clear_flash, set_flash
from qa_engine.store.db import translate_db_error
from qa_engine.web.api.schemas import MAX_ID
from qa_engine.web.auth import Principal, csrf_checked
from qa_engine.web.db import DB, write_aside

T = TypeVar("T")

CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
AssignmentId = Annotated[int, Path(ge=1, le=MAX_ID)]
CredentialId = Annotated[int, Path(ge=1, le=MAX_ID)]


# Async, so that a page view does not pay a worker-thread hop for what is almost always no work:
# only the first view after an action has a flash message to clear (then in a worker thread).
async def _with_flash(request: Request, db: Session, principal: Principal) -> Principal:
    live = principal.live
    if request.method == "GET" and live is not None and live.row.flash:
        request.state.flash = live.row.flash
        await run_in_threadpool(write_aside, db, lambda s: clear_flash(session=s, token_hash=live.row.token_hash))
    return principal


async def page_user(request: Request, db: DB, principal: Annotated[Principal, Depends(csrf_checked)]) -> Principal:
    if principal.actor is None:
        raise Unauthenticated("sign in to continue")
    return await _with_flash(request, db, principal)


async def page_visitor(request: Request, db: DB, principal: Annotated[Principal, Depends(csrf_checked)]) -> Principal:
    return await _with_flash(request, db, principal)


PageUser = Annotated[Principal, Depends(page_user)]
PageVisitor = Annotated[Principal, Depends(page_visitor)]


def redirect(url: str, principal: Principal | None = None, message: str = "") -> RedirectResponse:
    """See other (303) after a successful POST, with a message for the next page."""
    if message and principal is not None and principal.live is not None:
        set_flash(principal.live.row, message)
    return RedirectResponse(url, status_code=303)


def attempt(db: Session, fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T | None, QAError | None]:
    """Call a service in a savepoint: its result, or the refusal (with nothing of it kept)."""
    try:
        with db.begin_nested():
            return fn(*args, **kwargs), None
    except QAError as exc:
        return None, exc
    except Exception as exc:
        translated = translate_db_error(exc)
        if isinstance(translated, QAError):
            return None, translated
        raise


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if (not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)):
        return "/"
    return value
