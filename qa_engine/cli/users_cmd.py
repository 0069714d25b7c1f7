"""``qa-engine users …``"""

from __future__ import annotations

import typer
from rich.table import Table

from qa_engine.cli.common import console, handle_errors
from qa_engine.domain.roles import SYSTEM, Role
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope

app = typer.Typer(help="Accounts: add, list, disable, API tokens.", no_args_is_help=True)


@app.command("add")
@handle_errors
def add(username: str, full_name: str = typer.Option(..., "--name"), email: str = typer.Option(...),
        role: list[Role] = typer.Option(..., help="Role (repeat for several)"),
        institution: str = typer.Option(None, help="Institution code (required for providers)"),
        password: str = typer.Option(None, prompt=True, hide_input=True, confirmation_prompt=True,
                                     prompt_required=False, help="Password (asked when omitted with --ask-password)"),
        max_open_reviews: int = typer.Option(4), expertise: list[str] = typer.Option(None, help="ISCED-F field code"),
        skill: list[str] = typer.Option(None, help="DigComp/GreenComp id or ESCO URI"),
        language: list[str] = typer.Option(None, help="ISO 639-1 code")) -> None:
    """Create an account."""
    from qa_engine.services.users import add_user

    with session_scope() as s:
        user = add_user(session=s, actor=SYSTEM, username=username, full_name=full_name, email=email, roles=role,
                        institution_code=institution, password=password, max_open_reviews=max_open_reviews,
                        expertise_fields=expertise or [], expertise_skills=skill or [], languages=language or [])
        console.print(f"user {user.username} created (id {user.id}) with roles {', '.join(r.value for r in role)}")


@app.command("list")
@handle_errors
def list_() -> None:
    """List accounts."""
    with session_scope() as s:
        table = Table(title="Users")
        for col in ("id", "username", "name", "roles", "institution", "active"):
            table.add_column(col)
        codes = {i.id: i.code for i in repo.list_institutions(s)}
        for u in repo.list_users(s):
            table.add_row(str(u.id), u.username, u.full_name, ", ".join(sorted(r.value for r in repo.roles_of(s, u.id))),
                          codes.get(u.institution_id, ""), "yes" if u.active else "no")
    console.print(table)


@app.command("disable")
@handle_errors
def disable(username: str) -> None:
    """Disable an account: its sessions and tokens stop working at once."""
    from qa_engine.services.users import disable_user

    with session_scope() as s:
        disable_user(session=s, actor=SYSTEM, username=username)
    console.print(f"user {username} disabled")
