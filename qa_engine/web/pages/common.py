"""What the page routes share: the signed-in page user, flash messages, redirects after a POST, and
running a service call in a savepoint so that a refused form can be shown again with its errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from qa_engine.config import get_settings
from qa_engine.domain.errors import QAError
from qa_engine.store.db import translate_db_error
from qa_engine.web.api.schemas import MAX_ID
from qa_engine.web.auth import (
    FLASH_COOKIE,
    Principal,
    SignedInPrincipal,
    check_password_current,
    csrf_checked,
)
from qa_engine.web.errors import in_reader_language

T = TypeVar("T")

CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
AssignmentId = Annotated[int, Path(ge=1, le=MAX_ID)]
CredentialId = Annotated[int, Path(ge=1, le=MAX_ID)]


# A message for the next page ("Credential saved.") travels in a short-lived cookie, signed with the
# secret key and bound to the browser session, so showing it once writes nothing to the database.
FLASH_SECONDS = 300


def _flash_mac(session_hash: str, message: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{session_hash}\n{message}".encode(), hashlib.sha256).hexdigest()[:32]


def _read_flash(request: Request, principal: Principal) -> str:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or principal.live is None or len(raw) > 2000:
        return ""
    encoded, _, mac = raw.rpartition(".")
    try:
        message = base64.urlsafe_b64decode(encoded.encode()).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return ""
    return (
        message
        if hmac.compare_digest(mac, _flash_mac(principal.live.row.token_hash, message))
        else ""
    )


def _with_flash(request: Request, principal: Principal) -> Principal:
    if request.method == "GET":
        request.state.flash = _read_flash(request, principal)
    return principal


async def page_user(
    request: Request, principal: Annotated[Principal, Depends(csrf_checked)]
) -> SignedInPrincipal:
    user = SignedInPrincipal.of(principal, "sign in to continue")
    check_password_current(request, user)
    _with_flash(request, user)
    return user


async def page_visitor(
    request: Request, principal: Annotated[Principal, Depends(csrf_checked)]
) -> Principal:
    check_password_current(request, principal)
    return _with_flash(request, principal)


PageUser = Annotated[SignedInPrincipal, Depends(page_user)]
PageVisitor = Annotated[Principal, Depends(page_visitor)]


def redirect(
    url: str,
    principal: Principal | None = None,
    message: str = "",
    *,
    session_hash: str | None = None,
) -> RedirectResponse:
    """See other (303) after a successful POST, with a message for the next page (bound to the
    principal's browser session, or to the session whose id hashes to `session_hash`, one begun by
    this request)."""
    response = RedirectResponse(url, status_code=303)
    if session_hash is None and principal is not None and principal.live is not None:
        session_hash = principal.live.row.token_hash
    if message and session_hash:
        message = message[:500]
        value = (
            base64.urlsafe_b64encode(message.encode()).decode()
            + "."
            + _flash_mac(session_hash, message)
        )
        response.set_cookie(
            FLASH_COOKIE,
            value,
            max_age=FLASH_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=get_settings().base_url.startswith("https://"),
        )
    return response


def attempt(db: Session, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | QAError:
    """Call a service in a savepoint: its result, or the refusal (with nothing of it kept); tell
    them apart with ``isinstance(outcome, QAError)``."""
    try:
        with db.begin_nested():
            return fn(*args, **kwargs)
    except QAError as exc:
        return exc
    except Exception as exc:
        translated = translate_db_error(exc)
        if isinstance(translated, QAError):
            return translated
        raise


def error_text(request: Request, error: QAError, *, with_details: bool = False) -> str:
    """A refusal in the language of `request`, for a form shown again (its details after it, when
    asked for)."""
    message, details = in_reader_language(request, error)
    return " ".join([message, *details]) if with_details else message


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or len(value) > 500
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
    ):
        return "/"
    return value
