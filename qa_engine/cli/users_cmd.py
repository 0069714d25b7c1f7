"""``qa-engine users …``: the operator's accounts commands (they act as the engine itself, like an
admin).

A password is never an argument (it would show in the shell's history and the process list): it is
asked twice without echo, or read as one line from standard input with ``--password-stdin``.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from qa_engine.cli.common import _, console, handle_errors
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.roles import SYSTEM, Role
from qa_engine.store.db import session_scope

app = typer.Typer(
    help="Accounts: add, list, passwords, roles, disable and enable, API tokens.",
    no_args_is_help=True,
)

ROLES = ", ".join(r.value for r in Role)
STDIN_HELP = (
    "Read the password from the first line of standard input (for scripts) instead of asking"
)


def read_password(*, ask: bool, from_stdin: bool) -> str | None:
    """The password asked twice without echo, or the first line of standard input; None if
    neither."""
    if ask and from_stdin:
        raise ValidationFailed("use either --ask-password or --password-stdin, not both")
    if from_stdin:
        line = typer.get_text_stream("stdin").readline()
        password = line.rstrip("\r\n")
        if not password:
            raise ValidationFailed("no password on standard input (one line expected)")
        return password
    if ask:
        typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return typed
    return None


def _exists(username: str) -> None:
    """Refuse an unknown account before asking for anything."""
    from qa_engine.services.users import get_account

    with session_scope() as s:
        get_account(session=s, actor=SYSTEM, username=username)


@app.command("add")
@handle_errors
def add(
    username: str,
    full_name: str = typer.Option(..., "--name"),
    email: str = typer.Option(...),
    role: list[Role] = typer.Option(..., help="Role (repeat for several)"),
    institution: str | None = typer.Option(None, help="Institution code (required for providers)"),
    ask_password: bool = typer.Option(
        False,
        "--ask-password",
        help="Ask for a password (twice, not shown); without a password "
        "the account cannot sign in until one is set",
    ),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=STDIN_HELP),
    max_open_reviews: int = typer.Option(4),
    expertise: list[str] | None = typer.Option(None, help="ISCED-F field code"),
    skill: list[str] | None = typer.Option(None, help="DigComp/GreenComp id or ESCO URI"),
    language: list[str] | None = typer.Option(None, help="ISO 639-1 code"),
) -> None:
    """Create an account."""
    from qa_engine.services.users import add_user

    password = read_password(ask=ask_password, from_stdin=password_stdin)
    with session_scope() as s:
        user = add_user(
            session=s,
            actor=SYSTEM,
            username=username,
            full_name=full_name,
            email=email,
            roles=role,
            institution_code=institution,
            password=password,
            max_open_reviews=max_open_reviews,
            expertise_fields=expertise or [],
            expertise_skills=skill or [],
            languages=language or [],
        )
        console.print(
            _("user %(username)s created (id %(id)s) with roles %(roles)s")
            % {"username": user.username, "id": user.id, "roles": ", ".join(r.value for r in role)}
            + ("" if password else _("; no password yet (users set-password NAME)"))
        )


@app.command("list")
@handle_errors
def list_() -> None:
    """List accounts."""
    from qa_engine.services.users import list_accounts

    with session_scope() as s:
        accounts = list_accounts(session=s, actor=SYSTEM)
    table = Table(title="Users")
    for col in ("id", "username", "name", "roles", "institution", "active", "password"):
        table.add_column(col, no_wrap=col in ("username", "password"))
    for a in accounts:
        password = "must change" if a.must_change else ("set" if a.has_password else "none")
        table.add_row(
            str(a.id),
            a.username,
            a.full_name,
            ", ".join(r.value for r in a.roles),
            a.institution_code or "",
            "yes" if a.active else "no",
            password,
        )
    console.print(table)


@app.command("set-password")
@handle_errors
def set_password(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help=STDIN_HELP),
    must_change: bool = typer.Option(
        False, "--must-change", help="The person must change it at the next sign-in"
    ),
) -> None:
    """Set an account's password (asked twice, not shown);
    every open session of the account ends."""
    from qa_engine.services.users import set_password as set_password_

    _exists(username)
    password = read_password(ask=not password_stdin, from_stdin=password_stdin)
    with session_scope() as s:
        user = set_password_(
            session=s,
            actor=SYSTEM,
            username=username,
            password=password or "",
            must_change=must_change,
        )
        name = user.username
    console.print(
        _("password of %(name)s set") % {"name": name}
        + (_("; it must be changed at the next sign-in") if must_change else "")
    )


@app.command("one-time-password")
@handle_errors
def one_time_password(username: str) -> None:
    """Give an account a random password, printed once, that must be changed at the next sign-in."""
    from qa_engine.services.users import set_one_time_password

    with session_scope() as s:
        password = set_one_time_password(session=s, actor=SYSTEM, username=username)
    said = _("one-time password of %(username)s; it is shown only this once:") % {
        "username": username.strip().lower()
    }
    console.print(f"[dim]{escape(said)}[/]")
    print(password)


@app.command("roles")
@handle_errors
def roles(
    username: str,
    add: list[str] | None = typer.Option(
        None, "--add", help=f"Role to add (repeat for several): {ROLES}"
    ),
    remove: list[str] | None = typer.Option(
        None, "--remove", help="Role to remove (repeat for several)"
    ),
) -> None:
    """Add or remove roles of an account."""
    from qa_engine.services.users import change_roles

    with session_scope() as s:
        held = change_roles(
            session=s, actor=SYSTEM, username=username, add=add or (), remove=remove or ()
        )
    console.print(
        _("%(username)s now has the roles %(roles)s")
        % {"username": username.strip().lower(), "roles": ", ".join(sorted(r.value for r in held))}
    )


@app.command("disable")
@handle_errors
def disable(username: str) -> None:
    """Disable an account: its sessions and tokens stop working at once."""
    from qa_engine.services.users import disable_user

    with session_scope() as s:
        disable_user(session=s, actor=SYSTEM, username=username)
    console.print(_("user %(username)s disabled") % {"username": username})


@app.command("enable")
@handle_errors
def enable(username: str) -> None:
    """Enable a disabled account: it may sign in again
    (its earlier sessions and tokens stay ended)."""
    from qa_engine.services.users import enable_user

    with session_scope() as s:
        enable_user(session=s, actor=SYSTEM, username=username)
    console.print(_("user %(username)s enabled") % {"username": username})
