"""Who is asking: a bearer token (scripts), a server-side session cookie (browsers), or nobody.

Every state-changing request made with the session cookie must carry the session's CSRF token
(form field ``csrf_token`` or header ``X-CSRF-Token``) and must not come from another site
(``Origin`` / ``Referer`` / ``Sec-Fetch-Site``). A read-only token cannot change anything.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlmodel import Session

from qa_engine.config import Settings
from qa_engine.domain import i18n
from qa_engine.domain.errors import Forbidden, QAError, Unauthenticated, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Actor, Role, refusal
from qa_engine.services import tokens, web_sessions
from qa_engine.store.db import read_only_session, session_scope

log = logging.getLogger("qa_engine.web")

SESSION_COOKIE = "qa_session"
SIGN_IN_COOKIE = "qa_sign_in"
FLASH_COOKIE = "qa_flash"  # a message for the next page, see web/pages/common.py
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_REFUSED = N_(
    "The form was not sent from this site or has expired (CSRF check). "
    "Reload the page and try again."
)
PASSWORD_PAGE = "/account/password"
# What a browser session may still do while its password must be changed (a one-time password):
# change it, sign out, and ask who it is.
OPEN_WHILE_PASSWORD_MUST_CHANGE = frozenset({PASSWORD_PAGE, "/sign-out", "/api/v1/me"})


class PasswordChangeRequired(QAError):
    """A browser session whose password must be changed first: pages lead to the change-password
    page (see web/errors.py), the API answers 403. API tokens are not concerned."""

    status = 403
    code = "password_change_required"


@dataclass
class Principal:
    actor: Actor | None
    via: str  # "session", "token" or "anonymous"
    scope: str  # "write" for sessions, the token's scope, "" for nobody
    csrf_token: str | None = None
    live: web_sessions.LiveSession | None = None
    display_name: str = ""  # kept as text: error pages render after the session is gone
    must_change_password: bool = False  # a one-time password: a browser session may only change it
    language: str | None = None  # the account's chosen language (domain.i18n), None: negotiated
    institution_language: str | None = None  # the language of the person's institution

    @property
    def signed_in(self) -> bool:
        return self.actor is not None


@dataclass
class SignedInPrincipal(Principal):
    """A principal with an actor: what `signed_in` and the pages' `page_user` hand to a route."""

    actor: Actor

    @classmethod
    def of(cls, principal: Principal, refusal: str) -> SignedInPrincipal:
        """The same principal, known to be signed in; nobody is refused (`refusal` says why)."""
        if principal.actor is None:
            raise Unauthenticated(refusal)
        return cls(
            principal.actor,
            principal.via,
            principal.scope,
            principal.csrf_token,
            principal.live,
            display_name=principal.display_name,
            must_change_password=principal.must_change_password,
            language=principal.language,
            institution_language=principal.institution_language,
        )


ANONYMOUS = Principal(None, "anonymous", "")


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings  # set by create_app
    return settings


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or settings_of(request).base_url.startswith("https://")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(request: Request) -> set[str]:
    own = {_origin(settings_of(request).base_url)}
    host = request.headers.get("host")
    if host:
        own.add(f"{request.url.scheme}://{host}".lower())
    return own - {""}


def check_origin(request: Request) -> None:
    """Refuse a state-changing request sent by another site."""
    site = request.headers.get("sec-fetch-site")
    if site and site.lower() not in ("same-origin", "none"):
        raise Forbidden(CSRF_REFUSED)
    origin = request.headers.get("origin")
    if origin is not None:
        if origin.lower() == "null" or _origin(origin) not in allowed_origins(request):
            raise Forbidden(CSRF_REFUSED)
        return
    referer = request.headers.get("referer")
    if referer and _origin(referer) not in allowed_origins(request):
        raise Forbidden(CSRF_REFUSED)


def resolve_principal(request: Request) -> Principal:
    """Identify the caller (no CSRF check here: that needs the body, see `csrf_checked`).

    In a short read-only unit of work of its own, not the request's: a request that writes then
    begins its write transaction only in its handler, after its body has arrived, so a slow upload
    never holds the database's writer, and a handler thread never waits for a transaction that
    began on another thread. What a use writes (the session's or token's last use, once a minute
    or five; a dead session's deletion) is written in its own short transaction when it is due."""
    with read_only_session() as db:
        principal = _principal(request, db)
    request.state.principal = principal
    return principal


def _principal(request: Request, db: Session) -> Principal:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated(N_("use 'Authorization: Bearer <token>'"))
        found = tokens.resolve_token(session=db, token=value.strip())
        if found is None:
            raise Unauthenticated(N_("the token is unknown or expired, or its user is disabled"))
        if request.method in UNSAFE and found.scope != "write":
            raise Forbidden(N_("this token is read-only: it cannot change anything"))
        if found.touch:
            _record_use(lambda s: tokens.record_token_use(session=s, token_id=found.token_id))
        return Principal(
            found.actor,
            "token",
            found.scope,
            display_name=found.display_name,
            must_change_password=found.must_change_password,
            language=found.language,
            institution_language=i18n.of_country(found.institution_country),
        )
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        return ANONYMOUS
    lookup = web_sessions.look_up_session(session=db, session_id=sid)
    if lookup.writes:
        _record_use(lambda s: web_sessions.record_session_use(session=s, lookup=lookup))
    live = lookup.live
    if live is None:
        return ANONYMOUS
    return Principal(
        live.actor,
        "session",
        "write",
        live.row.csrf_token,
        live,
        display_name=live.user.full_name,
        must_change_password=live.user.must_change_password,
        language=live.user.language,
        institution_language=i18n.of_country(live.institution_country),
    )


def _record_use(write: Callable[[Session], object]) -> None:
    """Record a session's or token's use in a short transaction of its own. Best effort: a visit is
    not refused because its bookkeeping met a busy database (the next visit records it)."""
    try:
        with session_scope() as s:
            write(s)
    except Exception:  # noqa: BLE001 - logged; the request goes on
        log.warning("could not record the use of a session or token", exc_info=True)


def _has_nul(items: Iterable[tuple[str, object]]) -> bool:
    return any(isinstance(v, str) and "\x00" in v for _, v in items)


async def csrf_checked(
    request: Request, principal: Annotated[Principal, Depends(resolve_principal)]
) -> Principal:
    """The caller, after the CSRF and origin checks for state-changing requests made with the
    cookie.

    Text with NUL characters is refused here too, in every query and form (PostgreSQL cannot store
    it)."""
    form = None
    if request.method in UNSAFE and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
    if principal.via == "session" and request.method in UNSAFE:
        check_origin(request)
        sent = request.headers.get(CSRF_HEADER)
        if not sent and form is not None:
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
        if (
            not sent
            or not principal.csrf_token
            or not hmac.compare_digest(sent.encode(), principal.csrf_token.encode())
        ):
            raise Forbidden(CSRF_REFUSED)
    if _has_nul(request.query_params.multi_items()) or (
        form is not None and _has_nul(form.multi_items())
    ):
        raise ValidationFailed(N_("text must not contain NUL characters"))
    return principal


def check_password_current(request: Request, principal: Principal) -> None:
    """Refuse a browser session whose password must be changed, except to change it (or sign
    out)."""
    if (
        principal.via == "session"
        and principal.must_change_password
        and request.url.path not in OPEN_WHILE_PASSWORD_MUST_CHANGE
    ):
        raise PasswordChangeRequired(
            N_(
                "change your password first: the one you signed in with was set for you "
                "and must be replaced (%(page)s)"
            ),
            page=PASSWORD_PAGE,
        )


# Async (they do no I/O): a sync dependency would cost each request a hop to a worker thread.
async def signed_in(
    request: Request, principal: Annotated[Principal, Depends(csrf_checked)]
) -> SignedInPrincipal:
    user = SignedInPrincipal.of(principal, N_("sign in first (or send an API token)"))
    check_password_current(request, user)
    return user


async def current_actor(principal: Annotated[SignedInPrincipal, Depends(signed_in)]) -> Actor:
    return principal.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
SignedIn = Annotated[SignedInPrincipal, Depends(signed_in)]
MaybeSignedIn = Annotated[Principal, Depends(csrf_checked)]


@dataclass(frozen=True)
class RoleCheck:
    """A route's first check: only these roles may ever call it, see `requires`."""

    roles: tuple[Role, ...]
    action: str

    async def __call__(self, principal: Annotated[SignedInPrincipal, Depends(signed_in)]) -> None:
        actor = principal.actor
        if not actor.has(*self.roles):
            raise refusal(actor.roles, self.roles, self.action)


def role_refusal(request: Request) -> QAError | None:
    """The refusal of the route's role check (`requires`) for a request refused before its
    dependencies ran, as a body that is not JSON at all is (FastAPI reads it first); None when the
    caller may call the route, or the route needs no role."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    checks = [
        d.call for d in getattr(dependant, "dependencies", []) if isinstance(d.call, RoleCheck)
    ]
    if not checks:
        return None
    try:
        actor = resolve_principal(request).actor
    except QAError as refused:  # an unknown token, say
        return refused
    if actor is None:
        return Unauthenticated(N_("sign in first (or send an API token)"))
    for check in checks:
        if not actor.has(*check.roles):
            return refusal(actor.roles, check.roles, check.action)
    return None


def requires(roles: tuple[Role, ...], *, action: str) -> Any:
    """A route's first check: only these roles may ever call it (the services' own lists,
    `services.access`), so anyone else is refused before the body or the parameters are read: 401
    for nobody, 403 worded for the roles the caller has ("reviewers do not submit credentials;
    providers and the QA office do"). Use it as `dependencies=[requires(...)]`: FastAPI solves a
    route's dependencies before it raises the validation errors of its parameters and body; a body
    that is not JSON at all, refused while it is read, meets the same check in the error handler
    (`role_refusal`). The services check again, with the case or credential at hand."""
    return Depends(RoleCheck(tuple(roles), action))
