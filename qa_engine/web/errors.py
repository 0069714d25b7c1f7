"""One place turns errors into responses: JSON ``{"error", "message", "details"}`` under /api/v1, an
HTML page (or the sign-in page) for the browser. An unexpected error is logged and answered with a
generic 500; a traceback never reaches a user."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import TypeVar
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, compile_path

from qa_engine.domain import i18n
from qa_engine.domain.errors import QAError
from qa_engine.domain.i18n import N_
from qa_engine.services.web_sessions import TooManyAttempts
from qa_engine.web.auth import PASSWORD_PAGE, PasswordChangeRequired, is_api, role_refusal
from qa_engine.web.templating import catalog_for, gettext_for, render

log = logging.getLogger("qa_engine.web")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_attempts",
}
_TITLES = {
    400: N_("Bad request"),
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed here"),
    409: N_("Conflict"),
    413: N_("Too large"),
    422: N_("Please check what you entered"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Busy"),
}
GENERIC_500 = N_("An unexpected error occurred; it has been logged. Please try again later.")

UploadForm = Callable[[Request, str], Response]
_Form = TypeVar("_Form", bound=UploadForm)
_UPLOAD_FORMS: list[tuple[re.Pattern[str], UploadForm, bool]] = []


def shows_upload_form(path: str, *, public: bool = False) -> Callable[[_Form], _Form]:
    """Register the page that shows the upload form posted to `path` (a route's path, with its
    parameters), given a message: a too-large upload to that route comes back on that form (413)
    instead of a bare error page. Unless `public`, only for a signed-in user."""

    def register(page: _Form) -> _Form:
        _UPLOAD_FORMS.append((compile_path(path)[0], page, public))
        return page

    return register


def _upload_form_of(request: Request) -> UploadForm | None:
    """The form page of an upload route (its path parameters set on the request), if any: the
    limit on the body is checked before routing, so the path is matched here."""
    if request.method != "POST":
        return None
    signed_in = getattr(getattr(request.state, "principal", None), "actor", None) is not None
    for pattern, page, public in _UPLOAD_FORMS:
        found = pattern.fullmatch(request.url.path)
        if found is not None and (public or signed_in):
            request.scope.setdefault("path_params", {}).update(found.groupdict())
            return page
    return None


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if is_api(request) or request.url.path == "/openapi.json":
        return JSONResponse(
            {"error": code, "message": message, "details": list(details or [])},
            status_code=status,
            headers=headers,
        )
    if status == 401:
        target = "/sign-in"
        if request.method == "GET" and request.url.path not in ("/", "/sign-in"):
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target += "?next=" + quote(nxt, safe="/")
        return RedirectResponse(target, status_code=303)
    if not hasattr(request.state, "principal"):
        _identify(request)
    page = _upload_form_of(request) if status == 413 else None
    if page is not None:
        try:
            return page(request, message)
        except Exception:  # noqa: BLE001 - a form this visitor may not see: the plain error page
            log.debug("no upload form for %s", request.url.path, exc_info=True)
    response = render(
        request,
        "error.html",
        status_code=status,
        title=gettext_for(request)(_TITLES.get(status, N_("Error"))),
        message=message,
        details=list(details or []),
        status=status,
    )
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _identify(request: Request) -> None:
    """For an error met before any dependency ran (an unknown address): who is signed in, for the
    menu."""
    from qa_engine.services.web_sessions import look_up_session
    from qa_engine.store.db import read_only_session
    from qa_engine.web.auth import SESSION_COOKIE, Principal

    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        return
    try:
        with read_only_session() as db:
            live = look_up_session(session=db, session_id=sid).live
            if live is not None:
                request.state.principal = Principal(
                    live.actor,
                    "session",
                    "write",
                    live.row.csrf_token,
                    None,
                    display_name=live.user.full_name,
                    language=live.user.language,
                    institution_language=i18n.of_country(live.institution_country),
                )
    except Exception:  # noqa: BLE001 - the error page is shown without the menu then
        log.debug("could not identify the visitor of an error page", exc_info=True)


def _to_password_page(request: Request) -> Response:
    target = PASSWORD_PAGE
    if request.method == "GET" and request.url.path not in ("/", "/sign-in"):
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?next=" + quote(nxt, safe="/")
    return RedirectResponse(target, status_code=303)


async def qa_error(request: Request, exc: QAError) -> Response:
    if isinstance(exc, PasswordChangeRequired) and not is_api(request):
        return _to_password_page(request)
    headers = {}
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 401 and is_api(request):
        headers["WWW-Authenticate"] = "Bearer"
    if exc.status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    catalog = catalog_for(request)
    message, details = exc.in_language(catalog.gettext, catalog.ngettext)
    return error_response(request, exc.status, exc.code, message, details, headers)


def _loc(loc: Iterable[object]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    refused = await run_in_threadpool(role_refusal, request)
    if refused is not None:  # who may never call the route is told so, whatever they sent
        return await qa_error(request, refused)
    _ = gettext_for(request)
    details = []
    for err in exc.errors()[:50]:
        message = str(err.get("msg", "invalid"))
        if "Expected UploadFile" in message:  # a text field where a file upload belongs
            message = _("expected a file upload (a multipart part with a filename), not text")
        details.append(f"{_loc(err.get('loc', ()))}: {message}")
    return error_response(request, 422, "validation_failed", _("the request is not valid"), details)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path accepts. The router's own 405 names only the methods
    of the first route whose path matched; a path served by several routes (GET and PUT of a
    resource, GET and POST of a form) accepts the methods of them all."""
    # a method no route has: every route of this path matches partially
    scope = {**request.scope, "method": "\x00"}
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(scope)
        if match is not Match.NONE and route.methods:
            methods.update(route.methods)
    return sorted(methods)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if not hasattr(request.state, "principal") and not is_api(request):
        _identify(request)  # whose language the page speaks, before any text is chosen
    _ = gettext_for(request)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "error")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 404 and message == "Not Found":
        message = _("there is nothing at this address")
    elif exc.status_code == 405:
        if message == "Method Not Allowed":
            message = _("this address does not accept that method")
        methods = allowed_methods(request)
        if methods:
            headers["Allow"] = ", ".join(methods)
    return error_response(request, exc.status_code, code, message, headers=headers or None)


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    try:
        return error_response(request, 500, "internal_error", gettext_for(request)(GENERIC_500))
    except Exception:  # noqa: BLE001 - the error page itself failed: plain text, still no traceback
        return Response(GENERIC_500, status_code=500, media_type="text/plain")


def install(app: FastAPI) -> None:
    # Starlette types every handler as taking any Exception, though it calls one only with the
    # class it is registered for: a handler of that class is refused (its parameter is narrower).
    app.add_exception_handler(QAError, qa_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected)
