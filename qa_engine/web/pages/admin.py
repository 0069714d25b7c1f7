"""The admin's accounts pages: the list with a form to add one, and one account's page (roles,
disabling and enabling, a one-time password). Who may do what is decided by the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from qa_engine.domain.errors import QAError
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Role
from qa_engine.services import access, institutions, users
from qa_engine.web.auth import SignedInPrincipal, requires
from qa_engine.web.db import DB
from qa_engine.web.pages.common import PageUser, attempt, redirect
from qa_engine.web.templating import render

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
        title="Accounts",
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
        title=f"Account {account.username}",
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
        title=f"One-time password for {username}",
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
            request, db, principal, form=form, error=error.message, status_code=error.status
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
            request, db, principal, username, error=error.message, status_code=error.status
        )
    return redirect(
        f"/admin/users/{username}",
        principal,
        f"Roles of {username}: {', '.join(sorted(r.value.replace('_', ' ') for r in held))}.",
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
            request, db, principal, username, error=error.message, status_code=error.status
        )
    return redirect(f"/admin/users/{username}", principal, done)


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
        f"Account {username} disabled: its sessions and API tokens have ended.",
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
        f"Account {username} enabled: it may sign in again.",
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
            request, db, principal, username, error=error.message, status_code=error.status
        )
    return _one_time_page(request, username, password, created=False)
