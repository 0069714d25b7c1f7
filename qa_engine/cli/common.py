"""What every command shares: the console, error handling, the unit of work."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
import typer
from rich.console import Console
from typer.exceptions import TyperException

from qa_engine.domain.errors import QAError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def quiet_prefect() -> None:
    """Prefect runs offline and keeps its console quiet unless asked (QA_VERBOSE=1)."""
    data_dir = Path(os.environ.get("QA_DATA_DIR", "var")).expanduser().resolve()
    os.environ.setdefault("PREFECT_HOME", str(data_dir / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    if not os.environ.get("QA_VERBOSE"):
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "CRITICAL")


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn engine errors into a clear message and exit status 1; never show a traceback to a user."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QAError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}")
            for line in exc.details:
                print(line, file=sys.stderr)
            raise SystemExit(1) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise SystemExit(130) from None
        except (SystemExit, GeneratorExit, typer.Exit, click.exceptions.Exit, click.ClickException, click.Abort,
                typer.Abort, TyperException):  # typer carries its own copy of click's exceptions
            raise
        except Exception as exc:  # a bug or an environment problem: say what, not where
            if os.environ.get("QA_DEBUG"):
                traceback.print_exc()
            err_console.print(f"[bold red]error:[/] {type(exc).__name__}: {exc}")
            err_console.print("(set QA_DEBUG=1 to see the traceback)")
            raise SystemExit(2) from None

    return wrapper
