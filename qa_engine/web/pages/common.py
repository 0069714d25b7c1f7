"""What the page routes share: the signed-in page user, flash messages, redirects after a POST, and
running a service call in a savepoint so that a refused form can be shown again with its errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from qa_engine.domain.errors import QAError, Unauthenticated
from qa_engine.services.web_sessions import pop_flash, set_flash
from qa_engine.store.db import translate_db_error
from qa_engine.web.api.schemas import MAX_ID
from qa_engine.web.auth import Principal, csrf_checked
from qa_engine.web.db import DB

T = TypeVar("T")

CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
AssignmentId = Annotated[int, Path(ge=1, le=MAX_ID)]
CredentialId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _with_flash(request: Request, db: DB, principal: Principal) -> Principal:
    if request.method == "GET" and principal.live is not None:
        request.state.flash = pop_flash(db, principal.live.row)
    return principal


def page_user(request: Request, db: DB, principal: Annotated[Principal, Depends(csrf_checked)]) -> Principal:
    if principal.actor is None:
        raise Unauthenticated("sign in to continue")
    return _with_flash(request, db, principal)


def page_visitor(request: Request, db: DB, principal: Annotated[Principal, Depends(csrf_checked)]) -> Principal:
    return _with_flash(request, db, principal)


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
