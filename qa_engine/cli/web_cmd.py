"""``qa-engine serve`` and ``qa-engine users token``.

Wire them in qa_engine/cli/main.py with::

    app.command("serve")(web_cmd.serve)
    users_cmd.app.command("token")(web_cmd.users_token)
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from qa_engine.cli.common import _, console, handle_errors, in_language
from qa_engine.domain.i18n import N_

APP_FACTORY = "qa_engine.web.app:create_app"


@handle_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on"),
    workers: int = typer.Option(
        1, min=1, max=64, help="Server processes (more than one: PostgreSQL only)"
    ),
    log_level: str = typer.Option("warning", help="uvicorn log level"),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="The data folder (overrides QA_DATA_DIR)"
    ),
) -> None:
    """Run the web app (pages and JSON API); in embedded mode each action's flow run goes to the
    data folder's local Prefect server, which this command starts and takes down with it."""
    import os

    import uvicorn

    from qa_engine.cli.common import take_children_down
    from qa_engine.cli.main import _use_data_dir, initialise_all
    from qa_engine.config import get_settings
    from qa_engine.domain.errors import ValidationFailed
    from qa_engine.store.db import get_engine

    if data_dir is not None:
        _use_data_dir(data_dir)

    if workers > 1 and get_settings().db_url.startswith("sqlite"):
        # the writers of one process queue in arrival order; several processes would meet at
        # SQLite's lock, whose back-off lets some wait seconds under load
        raise ValidationFailed(
            N_(
                "several server processes need PostgreSQL (QA_DATABASE_URL): "
                "with SQLite, serve with one process"
            )
        )
    take_children_down()
    for line in initialise_all():
        console.print(f"[dim]{escape(in_language(line))}[/]")
    settings = get_settings()
    flows = _("%(mode)s mode") % {"mode": settings.prefect_mode}
    if settings.prefect_mode == "embedded" and not os.environ.get("PREFECT_API_URL"):
        from qa_engine.cli.cases_cmd import STARTING
        from qa_engine.workflows import local_server
        from qa_engine.workflows.kick import local_prefect

        with console.status("looking for the local Prefect server…") as shown:
            info = local_prefect(settings, on_start=lambda: shown.update(_(STARTING)))
            local_server.hold(info, os.getpid())
        flows = _("local Prefect server, UI at %(url)s") % {"url": info.ui_url}
    console.print(_("data folder: %(path)s") % {"path": settings.resolved_data_dir})
    console.print(
        _("database:    %(url)s") % {"url": get_engine().url.render_as_string(hide_password=True)}
    )
    console.print(_("flows:       %(flows)s") % {"flows": flows})
    web_app = _("web app:     %(url)s") % {"url": f"http://{host}:{port}/"}
    console.print(f"[bold]{web_app}[/]  " + _("(Ctrl-C stops it)"))
    # by import string: the CLI and the web app are sibling layers (neither imports the other)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=True,
    )


@handle_errors
def users_token(
    username: str = typer.Argument(..., help="The user the token acts for"),
    scope: str = typer.Option("read", help="read: look only; write: may change things"),
    days: int = typer.Option(90, min=1, max=3650, help="Days until the token expires"),
    label: str = typer.Option("", help="A note saying what the token is for"),
) -> None:
    """Create an API token (printed once; only its hash is stored).
    Use it as 'Authorization: Bearer TOKEN'."""
    from qa_engine.domain.roles import SYSTEM
    from qa_engine.services.tokens import issue_token
    from qa_engine.store.db import session_scope

    with session_scope() as s:
        issued = issue_token(
            session=s, actor=SYSTEM, username=username, scope=scope, days=days, label=label
        )
        expires = issued.row.expires_at
    console.print(
        "[dim]"
        + _("%(scope)s token for %(username)s, expires %(expires)s; it is shown only this once:")
        % {"scope": scope, "username": username, "expires": f"{expires:%Y-%m-%d}"}
        + "[/]",
        highlight=False,
    )
    print(issued.token)
