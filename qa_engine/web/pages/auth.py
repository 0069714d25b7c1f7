"""Sign in and sign out."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qa_engine.domain.errors import Forbidden, Unauthenticated
from qa_engine.domain.i18n import N_
from qa_engine.services import web_sessions
from qa_engine.web.auth import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    check_origin,
    client_ip,
    secure_cookies,
)
from qa_engine.web.db import DB
from qa_engine.web.pages.common import PageUser, PageVisitor, error_text, safe_next
from qa_engine.web.templating import gettext_for, render

router = APIRouter()
# the sign-in form's CSRF refusal (web.auth.CSRF_REFUSED, with what a sign-in needs of the browser)
SIGN_IN_CSRF_REFUSED = N_(
    "The form was not sent from this site or has expired (CSRF check). Reload the page and try "
    "again. (Your browser must accept cookies from this site.)"
)


def _sign_in_page(
    request: Request,
    *,
    token: str,
    next_: str,
    username: str = "",
    error: str = "",
    status_code: int = 200,
    notice: str = "",
) -> Response:
    _ = gettext_for(request)
    response = render(
        request,
        "sign_in.html",
        status_code=status_code,
        sign_in_token=token,
        next=next_,
        username=username,
        error=error,
        notice=notice,
        title=_("Sign in"),
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/sign-in",
        max_age=3600,
    )
    return response


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    """Give the browser the id of a session that has just begun (sign-in, a changed password)."""
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
        max_age=int(web_sessions.SESSION_LIFETIME.total_seconds()),
    )


@router.get("/sign-in")
def sign_in_form(
    request: Request, principal: PageVisitor, next: str = "/", signed_out: bool = False
) -> Response:
    if principal.signed_in:
        return RedirectResponse(safe_next(next), status_code=303)
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    _ = gettext_for(request)
    return _sign_in_page(
        request,
        token=token,
        next_=safe_next(next),
        notice=_("You are signed out.") if signed_out else "",
    )


@router.post("/sign-in")
def sign_in(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    check_origin(request)
    cookie = request.cookies.get(SIGN_IN_COOKIE)
    if (
        not cookie
        or not csrf_token
        or not hmac.compare_digest(cookie.encode(), csrf_token.encode())
    ):
        raise Forbidden(SIGN_IN_CSRF_REFUSED)
    target = safe_next(next)
    try:
        signed = web_sessions.sign_in(
            session=db,
            username=username,
            password=password,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            previous_session_id=request.cookies.get(SESSION_COOKIE),
        )
    except web_sessions.TooManyAttempts as exc:
        response = _sign_in_page(
            request,
            token=cookie,
            next_=target,
            username=username,
            error=error_text(request, exc),
            status_code=429,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except Unauthenticated as exc:
        # the failed attempt is recorded (this response commits); the same page for every refusal,
        # its message (web_sessions.SIGN_IN_REFUSED) in the reader's language
        return _sign_in_page(
            request,
            token=cookie,
            next_=target,
            username=username,
            error=error_text(request, exc),
            status_code=401,
        )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, signed.session_id)
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, db: DB, principal: PageUser) -> Response:
    web_sessions.sign_out(session=db, session_id=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/sign-in?signed_out=true", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request)
    )
    return response
