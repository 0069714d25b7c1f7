"""Entry point of the ``qa-engine`` command."""

from __future__ import annotations

from pathlib import Path

import typer

from qa_engine.cli import (
    cases_cmd,
    credentials_cmd,
    dev_cmd,
    export_cmd,
    exports_cmd,
    institutions_cmd,
    leadership_cmd,
    reports_cmd,
    rubrics_cmd,
    users_cmd,
    web_cmd,
)
from qa_engine.cli.common import (
    _,
    cli_language,
    console,
    handle_errors,
    in_language,
    quiet_prefect,
)

quiet_prefect()

app = typer.Typer(
    help="qa-engine: quality assurance of micro-credentials for the 4EU+ alliance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
prefect_app = typer.Typer(
    help="The local Prefect server of the data folder (embedded mode).", no_args_is_help=True
)
app.add_typer(prefect_app, name="prefect")
app.add_typer(rubrics_cmd.app, name="rubrics")
app.add_typer(credentials_cmd.app, name="credentials")
app.add_typer(cases_cmd.cases_app, name="cases")
app.add_typer(cases_cmd.self_app, name="self-assessment")
app.add_typer(cases_cmd.review_app, name="review")
app.add_typer(cases_cmd.audit_app, name="audit")
app.add_typer(users_cmd.app, name="users")
app.add_typer(institutions_cmd.app, name="institutions")
app.add_typer(reports_cmd.app, name="reports")
app.add_typer(export_cmd.app, name="export")
app.add_typer(exports_cmd.app, name="exports")
app.add_typer(dev_cmd.app, name="dev")
reports_cmd.app.command("aggregate")(leadership_cmd.aggregate)
app.command("assign")(handle_errors(cases_cmd.assign))
app.command("decide")(handle_errors(cases_cmd.decide))
app.command("sweep")(handle_errors(cases_cmd.sweep))
app.command("advance")(handle_errors(cases_cmd.advance))
app.command("serve")(web_cmd.serve)
users_cmd.app.command("token")(web_cmd.users_token)


@app.callback()
def _global(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="The data folder (overrides QA_DATA_DIR)"
    ),
) -> None:
    """qa-engine: quality assurance of micro-credentials for the 4EU+ alliance."""
    if data_dir is not None:
        _use_data_dir(data_dir)


@prefect_app.command("status")
@handle_errors
def prefect_status() -> None:
    """Say whether the data folder's local Prefect server runs, where, and since when."""
    from datetime import UTC, datetime

    from qa_engine.adapters.translations import format_decimal, format_moment
    from qa_engine.config import get_settings
    from qa_engine.workflows import local_server

    settings = get_settings()
    info = local_server.running(settings.resolved_data_dir)
    if info is None:
        console.print(
            _("no local Prefect server runs for %(path)s") % {"path": settings.resolved_data_dir}
        )
        raise typer.Exit(1)
    lang = cli_language()
    since = format_moment(datetime.fromtimestamp(info.started_at, tz=UTC), lang)
    console.print(
        _("local Prefect server: pid %(pid)s, since %(since)s") % {"pid": info.pid, "since": since}
        + "\n  "
        + _("UI and API: %(url)s") % {"url": info.ui_url}
        + "\n  "
        + _("data folder: %(path)s") % {"path": info.data_dir}
        + "\n  "
        + _("stops after %(minutes)s idle minutes")
        % {"minutes": format_decimal(settings.prefect_idle_minutes, lang)}
    )


@prefect_app.command("start")
@handle_errors
def prefect_start() -> None:
    """Start the data folder's local Prefect server now (commands start it on first need anyway)."""
    from qa_engine.cli.cases_cmd import STARTING
    from qa_engine.workflows.kick import local_prefect

    with console.status(_("looking for the local Prefect server…")) as shown:
        info = local_prefect(on_start=lambda: shown.update(_(STARTING)))
    console.print(
        _("local Prefect server: pid %(pid)s, UI and API at %(url)s")
        % {"pid": info.pid, "url": info.ui_url}
    )


@prefect_app.command("stop")
@handle_errors
def prefect_stop() -> None:
    """Stop the data folder's local Prefect server
    (runs in progress end; the sweep picks them up)."""
    from qa_engine.config import get_settings
    from qa_engine.workflows import local_server

    data_dir = get_settings().resolved_data_dir
    pid = local_server.stop(data_dir)
    console.print(
        _("stopped the local Prefect server (pid %(pid)s)") % {"pid": pid}
        if pid
        else _("no local Prefect server ran for %(path)s") % {"path": data_dir}
    )


@db_app.command("upgrade")
@handle_errors
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from qa_engine.store.db import get_engine
    from qa_engine.store.migrate import current_revision, upgrade

    engine = get_engine()
    upgrade(engine, revision)
    console.print(
        _("database at revision %(revision)s (%(url)s)")
        % {"revision": current_revision(engine), "url": engine.url.render_as_string()}
    )


@db_app.command("current")
@handle_errors
def db_current() -> None:
    """Print the database's migration revision and the newest one."""
    from qa_engine.store.db import get_engine
    from qa_engine.store.migrate import current_revision, head_revision

    engine = get_engine()
    console.print(
        _("current: %(current)s; newest: %(newest)s")
        % {"current": current_revision(engine) or _("(empty database)"), "newest": head_revision()}
    )


@app.command("init")
@handle_errors
def init(data_dir: Path | None = typer.Option(None, help="Override QA_DATA_DIR")) -> None:
    """Create the data folder, migrate the database and load the alliance's institutions."""
    if data_dir is not None:
        _use_data_dir(data_dir)
    for line in initialise_all():
        console.print(in_language(line), markup=False)


@app.command("demo")
@handle_errors
def demo(
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help="The demo's data folder (default: QA_DATA_DIR if set, else ./var/demo)",
    ),
    cases: int = typer.Option(
        10, min=1, max=10, help="How many of the ten sample credentials to route"
    ),
) -> None:
    """Run the engine end to end on a fresh data folder with the sample credentials."""
    from qa_engine.cli.demo import run_demo

    run_demo(data_dir, cases=cases)


@app.command("worker")
@handle_errors
def worker(
    sweep_minutes: int = typer.Option(15, help="Run the sweep every N minutes (0: never)"),
    limit: int = typer.Option(4, help="At most this many flow runs at once in this worker"),
) -> None:
    """Serve the flows as Prefect deployments
    (needs PREFECT_API_URL pointing at a Prefect server)."""
    import os

    from qa_engine.cli.common import take_children_down
    from qa_engine.domain.errors import ValidationFailed
    from qa_engine.domain.i18n import N_
    from qa_engine.workflows.kick import prepare_prefect

    if not os.environ.get("PREFECT_API_URL"):
        raise ValidationFailed(
            N_(
                "set PREFECT_API_URL to the Prefect server (e.g. http://127.0.0.1:4200/api); "
                "a worker serves deployments of a running server"
            )
        )
    take_children_down()
    prepare_prefect()
    from qa_engine.workflows.serve import serve_all

    serve_all(sweep_minutes=sweep_minutes, limit=limit)


@app.command("workflow-check")
@handle_errors
def workflow_check(
    path: Path | None = typer.Argument(None, help="Settings file (default: QA_WORKFLOW_SETTINGS)"),
) -> None:
    """Check a workflow settings file; FILE:LINE: message per problem (exit 1 if any)."""
    from qa_engine.config import get_settings
    from qa_engine.domain.workflow_settings import WorkflowSettingsError, load_workflow_settings

    target = path or get_settings().workflow_settings
    try:
        settings = load_workflow_settings(target)
    except WorkflowSettingsError as exc:
        for p in exc.problems:
            print(p)
        raise typer.Exit(1) from None
    console.print("[green]" + _("ok") + f"[/]: {target}")
    console.print(settings.model_dump())


def initialise_all() -> list[str]:
    """Migrate and seed, and create the development signing PKI when no signing key is
    configured."""
    from qa_engine.adapters.report_files import ensure_dev_pki
    from qa_engine.services.setup import initialise

    lines = initialise()
    pki = ensure_dev_pki()
    lines.append(
        _("development signing certificate: %(cert)s (trust root %(root)s)")
        % {"cert": pki.signer_cert, "root": pki.ca_cert}
        if pki
        else _("signing: using the configured QA_SIGNING_* key")
    )
    return lines


def _use_data_dir(path: Path) -> None:
    import os

    from qa_engine.config import reset_settings
    from qa_engine.store.db import reset_engines

    os.environ["QA_DATA_DIR"] = str(path)
    reset_settings()
    reset_engines()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
