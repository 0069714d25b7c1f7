"""Entry point of the ``qa-engine`` command."""

from __future__ import annotations

from pathlib import Path

import typer

from qa_engine.cli import credentials_cmd, rubrics_cmd
from qa_engine.cli.common import console, handle_errors, quiet_prefect

quiet_prefect()

app = typer.Typer(
    help="qa-engine: quality assurance of micro-credentials for the 4EU+ alliance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(rubrics_cmd.app, name="rubrics")
app.add_typer(credentials_cmd.app, name="credentials")


@db_app.command("upgrade")
@handle_errors
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from qa_engine.store.db import get_engine
    from qa_engine.store.migrate import current_revision, upgrade

    engine = get_engine()
    upgrade(engine, revision)
    console.print(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")


@db_app.command("current")
@handle_errors
def db_current() -> None:
    """Print the database's migration revision and the newest one."""
    from qa_engine.store.db import get_engine
    from qa_engine.store.migrate import current_revision, head_revision

    engine = get_engine()
    console.print(f"current: {current_revision(engine) or '(empty database)'}; newest: {head_revision()}")


@app.command("init")
@handle_errors
def init(data_dir: Path = typer.Option(None, help="Override QA_DATA_DIR")) -> None:
    """Create the data folder, migrate the database and load the alliance's institutions."""
    from qa_engine.services.setup import initialise

    if data_dir is not None:
        _use_data_dir(data_dir)
    for line in initialise():
        console.print(line)


@app.command("demo")
@handle_errors
def demo(data_dir: Path = typer.Option(None, help="Override QA_DATA_DIR (default ./var/demo)")) -> None:
    """Run the engine end to end on a fresh data folder with the sample credentials."""
    from qa_engine.cli.demo import run_demo

    run_demo(data_dir)


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
