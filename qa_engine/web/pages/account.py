"""A signed-in person's own account: changing their password (also where a one-time password
leads) and choosing the language the engine speaks to them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from qa_engine.adapters.translations import translations
from qa_engine.domain import i18n
from qa_engine.domain.errors import QAError
from qa_engine.domain.i18n import N_
from qa_engine.services import users, web_sessions
from qa_engine.web.auth import PASSWORD_PAGE, SignedInPrincipal, client_ip
from qa_engine.web.db import DB
from qa_engine.web.pages.auth import set_session_cookie
from qa_engine.web.pages.common import PageUser, error_text, redirect, safe_next
from qa_engine.web.templating import gettext_for, render, request_language

router = APIRouter()
Password = Annotated[str, Form(max_length=users.MAX_PASSWORD)]


def _page(
    request: Request,
    principal: SignedInPrincipal,
    *,
    next_: str,
    error: str = "",
    status_code: int = 200,
) -> Response:
    # a refused form is shown again empty: a password is never sent back in a page
    _ = gettext_for(request)
    return render(
        request,
        "account/password.html",
        status_code=status_code,
        title=_("Change your password"),
        next=next_,
        error=error,
        must_change=principal.must_change_password and principal.via == "session",
        min_length=users.MIN_PASSWORD,
        languages=i18n.choices(),
        chosen_language=principal.language or "",
        shown_language=request_language(request),
    )


def _after(next_: str) -> str:
    target = safe_next(next_)
    return "/" if target.startswith(PASSWORD_PAGE) else target


@router.get("/account/password")
def password_form(request: Request, principal: PageUser, next: str = "/") -> Response:
    return _page(request, principal, next_=_after(next))


@router.post("/account/password")
def change_password(
    request: Request,
    db: DB,
    principal: PageUser,
    current: Password = "",
    new: Password = "",
    repeat: Password = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    target = _after(next)
    if new != repeat:
        return _page(
            request,
            principal,
            next_=target,
            status_code=422,
            error=gettext_for(request)(
                N_("The two new passwords are not the same. Please type them again.")
            ),
        )
    # not in a savepoint that a refusal rolls back: a wrong current password is recorded
    # (throttling, audit) and committed with the refusal; the service leaves nothing else behind
    # when it refuses
    try:
        renewed = web_sessions.change_password(
            session=db,
            actor=principal.actor,
            current=current,
            new=new,
            client_ip=client_ip(request),
            renew=principal.via == "session",
            user_agent=request.headers.get("user-agent", ""),
        )
    except QAError as error:
        if error.status in (401, 403, 404):
            raise
        response = _page(
            request,
            principal,
            next_=target,
            error=error_text(request, error),
            status_code=error.status,
        )
        if isinstance(error, web_sessions.TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    message = gettext_for(request)(
        N_("Your password is changed. Your other sessions, if any, have ended.")
    )
    if renewed is None:  # a token's holder: no browser session to renew
        return redirect(target, principal, message)
    response = redirect(
        target, message=message, session_hash=web_sessions.digest(renewed.session_id)
    )
    set_session_cookie(response, request, renewed.session_id)
    return response


@router.post("/account/language")
def choose_language(
    request: Request,
    db: DB,
    principal: PageUser,
    language: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=500)] = "/account/password",
) -> Response:
    """Save the language the engine speaks to this person ("": the browser's, then the
    institution's); the next page, and its message, are in it."""
    users.set_own_language(session=db, actor=principal.actor, language=language or None)
    shown = i18n.negotiate(
        request.headers.get("accept-language"), language or None, principal.institution_language
    )
    _ = translations(shown).gettext
    return redirect(safe_next(next), principal, _("Your language is saved."))
