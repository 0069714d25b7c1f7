"""The admin's accounts pages: the list with a form to add one, and one account's page (roles,
disabling and enabling, a one-time password). Who may do what is decided by the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from qa_engine.adapters import translations as tr
from qa_engine.domain.errors import QAError
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Role
from qa_engine.services import access, institutions, users
from qa_engine.web.auth import SignedInPrincipal, requires
from qa_engine.web.db import DB
from qa_engine.web.pages.common import PageUser, attempt, error_text, redirect
from qa_engine.web.templating import current_language, gettext_for, render

router = APIRouter()
Username = Annotated[str, Path(min_length=1, max_length=120)]
Short = Annotated[str, Form(max_length=254)]
Roles = Annotated[list[str], Form(max_length=len(Role))]
EMPTY_FORM: dict[str, str | list[str]] = {
    "username": "",
    "full_name": "",
    "email": "",
    "institution": "",
    "roles": [],
}


# an account's history in words: what happened (the audit action) and the names of its details
_EVENTS = {
    "user.created": N_("created"),
    "user.signed_in": N_("signed in"),
    "user.signed_out": N_("signed out"),
    "user.sign_in_failed": N_("sign-in failed"),
    "user.password_set": N_("password set"),
    "user.one_time_password_issued": N_("one-time password issued"),
    "user.password_changed": N_("password changed"),
    "user.password_change_failed": N_("password change failed"),
    "user.language_changed": N_("language changed"),
    "user.enabled": N_("enabled"),
    "user.disabled": N_("disabled"),
    "user.roles_changed": N_("roles changed"),
}
_DETAILS = {
    "username": N_("username"),
    "roles": N_("roles"),
    "added": N_("added"),
    "removed": N_("removed"),
    "institution": N_("institution"),
    "must_change": N_("to be changed"),
    "language": N_("language"),
    "tokens_ended": N_("API tokens ended"),
    "development": N_("development password"),
    "ip": N_("address"),
}
_ROLE_DETAILS = {"roles", "added", "removed"}


def _event_name(action: str) -> str:
    """An audit action in the page's language (one this page does not know: its words)."""
    known = _EVENTS.get(action)
    if known is None:
        return action.split(".", 1)[-1].replace("_", " ")
    return tr.translations(current_language()).gettext(known)


def _event_detail(key: str, value: object) -> str:
    """One detail of an audit event, `name: value`, in the page's language."""
    gettext = tr.translations(current_language()).gettext
    name = gettext(_DETAILS[key]) if key in _DETAILS else key.replace("_", " ")
    if isinstance(value, bool):
        shown = gettext(N_("yes")) if value else gettext(N_("no"))
    elif isinstance(value, list | tuple):
        items = [str(v) for v in value]
        if key in _ROLE_DETAILS:
            items = [_role_word(gettext, v) for v in items]
        shown = ", ".join(items)
    else:
        shown = str(value)
    return f"{name}: {shown}"


def _role_word(gettext: Callable[[str], str], role: str) -> str:
    """A role in words in the language of `gettext` (the catalogs' role names, as the `role_name`
    filter shows them, are the role's value with spaces: "qa officer")."""
    return gettext(role.replace("_", " "))


def _raise_refusal(error: QAError) -> None:
    if error.status in (401, 403, 404):
        raise error


def _list_page(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    *,
    form: dict[str, str | list[str]] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    accounts = users.list_accounts(session=db, actor=principal.actor)
    return render(
        request,
        "admin/users.html",
        status_code=status_code,
        title=gettext_for(request)(N_("Accounts")),
        accounts=accounts,
        institutions=institutions.list_institutions(session=db),
        all_roles=list(Role),
        form=form or EMPTY_FORM,
        error=error,
    )


def _account_page(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    username: str,
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    account = users.get_account(session=db, actor=principal.actor, username=username)
    history = users.account_history(session=db, actor=principal.actor, username=username)
    return render(
        request,
        "admin/user.html",
        status_code=status_code,
        title=gettext_for(request)(N_("Account %(username)s")) % {"username": account.username},
        event_name=_event_name,
        event_detail=_event_detail,
        account=account,
        history=history,
        all_roles=list(Role),
        error=error,
        is_me=account.id == principal.actor.user_id,
    )


def _one_time_page(request: Request, username: str, password: str, *, created: bool) -> Response:
    # shown once, in the answer to the POST: it is stored nowhere in clear (the page is never
    # cached)
    return render(
        request,
        "admin/one_time_password.html",
        title=gettext_for(request)(N_("One-time password for %(username)s"))
        % {"username": username},
        username=username,
        password=password,
        created=created,
    )


@router.get("/admin/users")
def accounts_page(request: Request, db: DB, principal: PageUser) -> Response:
    return _list_page(request, db, principal)


@router.post("/admin/users", dependencies=[requires(access.ADMINS, action=N_("add users"))])
def add_account(
    request: Request,
    db: DB,
    principal: PageUser,
    username: Short = "",
    full_name: Short = "",
    email: Short = "",
    institution: Short = "",
    role: Roles = [],  # noqa: B006 - FastAPI copies the default for each request
) -> Response:
    user = attempt(
        db,
        users.add_user,
        session=db,
        actor=principal.actor,
        username=username,
        full_name=full_name,
        email=email,
        roles=role,
        institution_code=institution or None,
    )
    if isinstance(user, QAError):
        error = user
        _raise_refusal(error)
        form: dict[str, str | list[str]] = {
            "username": username,
            "full_name": full_name,
            "email": email,
            "institution": institution,
            "roles": role,
        }
        return _list_page(
            request,
            db,
            principal,
            form=form,
            error=error_text(request, error),
            status_code=error.status,
        )
    password = users.set_one_time_password(
        session=db, actor=principal.actor, username=user.username
    )
    return _one_time_page(request, user.username, password, created=True)


@router.get("/admin/users/{username}")
def account_page(username: Username, request: Request, db: DB, principal: PageUser) -> Response:
    return _account_page(request, db, principal, username)


@router.post(
    "/admin/users/{username}/roles",
    dependencies=[requires(access.ADMINS, action=N_("change roles"))],
)
def change_roles(
    username: Username,
    request: Request,
    db: DB,
    principal: PageUser,
    role: Roles = [],  # noqa: B006 - FastAPI copies the default for each request
    loaded: Roles = [],  # noqa: B006 - FastAPI copies the default for each request
) -> Response:
    # the form says which roles it showed: only what this admin changed is applied, not what another
    # admin changed meanwhile
    wanted, shown = set(role), set(loaded)
    held = attempt(
        db,
        users.change_roles,
        session=db,
        actor=principal.actor,
        username=username,
        add=sorted(wanted - shown),
        remove=sorted(shown - wanted),
    )
    if isinstance(held, QAError):
        error = held
        _raise_refusal(error)
        return _account_page(
            request,
            db,
            principal,
            username,
            error=error_text(request, error),
            status_code=error.status,
        )
    _ = gettext_for(request)
    names = ", ".join(sorted(_role_word(_, r.value) for r in held))
    return redirect(
        f"/admin/users/{username}",
        principal,
        _("Roles of %(username)s: %(roles)s.") % {"username": username, "roles": names},
    )


def _switch(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    username: str,
    service: Callable[..., object],
    done: str,
) -> Response:
    error = attempt(db, service, session=db, actor=principal.actor, username=username)
    if isinstance(error, QAError):
        _raise_refusal(error)
        return _account_page(
            request,
            db,
            principal,
            username,
            error=error_text(request, error),
            status_code=error.status,
        )
    text = gettext_for(request)(done) % {"username": username}
    return redirect(f"/admin/users/{username}", principal, text)


@router.post(
    "/admin/users/{username}/disable",
    dependencies=[requires(access.ADMINS, action=N_("disable accounts"))],
)
def disable_account(username: Username, request: Request, db: DB, principal: PageUser) -> Response:
    return _switch(
        request,
        db,
        principal,
        username,
        users.disable_user,
        N_("Account %(username)s disabled: its sessions and API tokens have ended."),
    )


@router.post(
    "/admin/users/{username}/enable",
    dependencies=[requires(access.ADMINS, action=N_("enable accounts"))],
)
def enable_account(username: Username, request: Request, db: DB, principal: PageUser) -> Response:
    return _switch(
        request,
        db,
        principal,
        username,
        users.enable_user,
        N_("Account %(username)s enabled: it may sign in again."),
    )


@router.post(
    "/admin/users/{username}/one-time-password",
    dependencies=[requires(access.ADMINS, action=N_("issue one-time passwords"))],
)
def one_time_password(
    username: Username, request: Request, db: DB, principal: PageUser
) -> Response:
    password = attempt(
        db, users.set_one_time_password, session=db, actor=principal.actor, username=username
    )
    if isinstance(password, QAError):
        error = password
        _raise_refusal(error)
        return _account_page(
            request,
            db,
            principal,
            username,
            error=error_text(request, error),
            status_code=error.status,
        )
    return _one_time_page(request, username, password, created=False)
