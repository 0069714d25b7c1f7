"""What every command shares: the console, the language, error handling, the unit of work."""

from __future__ import annotations

import contextlib
import gettext as gettext_module
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.exceptions import TyperException

from qa_engine.domain import i18n
from qa_engine.domain.errors import QAError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

# where the command line reads its language, in gettext's order after the engine's own variable
LANGUAGE_VARIABLES = ("QA_LANGUAGE", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def cli_language(environ: Mapping[str, str] | None = None) -> str:
    """The language of the command line's messages, chosen the way gettext's tools choose it:
    `QA_LANGUAGE` when set, else the first of LANGUAGE (a colon-separated list), LC_ALL,
    LC_MESSAGES and LANG that is set, its first supported language (`cs_CZ.UTF-8` is cs); `C` and
    `POSIX`, an unsupported language and nothing set: English."""
    env = os.environ if environ is None else environ
    for name in LANGUAGE_VARIABLES:
        value = (env.get(name) or "").strip()
        if not value:
            continue
        for part in value.split(":"):
            tag = part.split(".", 1)[0].split("@", 1)[0]
            if tag.upper() in ("C", "POSIX"):
                return i18n.DEFAULT
            lang = i18n.supported(tag)
            if lang:
                return lang
        if name != "LANGUAGE":  # the first locale variable set decides, as in gettext
            return i18n.DEFAULT
    return i18n.DEFAULT


def catalog() -> gettext_module.NullTranslations:
    """The message catalog of the command line's language (the environment is read each time: a
    test may change it; the catalogs themselves are read once)."""
    from qa_engine.adapters.translations import translations  # Babel: loaded when first needed

    return translations(cli_language())


def _(message: str) -> str:
    """`message` in the command line's language (marked for the catalogs)."""
    return catalog().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a text with a count `n` in the command line's language."""
    return catalog().ngettext(singular, plural, n)


def in_language(value: object) -> str:
    """A text made below the command line (a `Phrase` or a `Message`) in its language; any other
    value as it is."""
    cat = catalog()
    return str(i18n.translated(value, cat.gettext, cat.ngettext))


def error_text(exc: QAError) -> tuple[str, list[str]]:
    """An engine error's message and details in the command line's language."""
    cat = catalog()
    return exc.in_language(cat.gettext, cat.ngettext)


def quiet_prefect() -> None:
    """Prefect runs offline and keeps its console quiet unless asked (QA_VERBOSE=1).

    Its home (under the data folder) is set, and created, only when Prefect is about to be used
    (`qa_engine.workflows.kick.prepare_prefect`): a command that only reads creates nothing."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    if not os.environ.get("QA_VERBOSE"):
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "CRITICAL")


def take_children_down() -> None:
    """This process's children (and theirs) end with it: on SIGTERM, SIGINT or any exit.

    The process becomes a subreaper, so that a grandchild whose parent died is still found."""
    import atexit
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    except (
        OSError,
        AttributeError,
    ):  # not Linux: children are still found while their parents live
        pass

    def _exit(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    atexit.register(reap_children)


def reap_children(timeout: float = 10.0) -> None:
    """Terminate every descendant of this process, then kill what is left after `timeout`
    seconds."""
    import psutil

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(alive, timeout=5)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn engine errors into a clear message and exit status 1; never show a traceback to a
    user."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QAError as exc:
            message, details = error_text(exc)
            err_console.print("[bold red]" + _("error:") + f"[/] {escape(message)}")
            for line in details:
                print(line, file=sys.stderr)
            raise SystemExit(1) from None
        except KeyboardInterrupt:
            err_console.print(_("interrupted"))
            raise SystemExit(130) from None
        except (
            SystemExit,
            GeneratorExit,
            typer.Exit,
            click.exceptions.Exit,
            click.ClickException,
            click.Abort,
            typer.Abort,
            TyperException,
        ):  # typer carries its own copy of click's exceptions
            raise
        except Exception as exc:  # a bug or an environment problem: say what, not where
            if os.environ.get("QA_DEBUG"):
                traceback.print_exc()
            err_console.print("[bold red]" + _("error:") + f"[/] {type(exc).__name__}: {exc}")
            err_console.print(_("(set QA_DEBUG=1 to see the traceback)"))
            raise SystemExit(2) from None

    return wrapper
