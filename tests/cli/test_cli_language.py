"""The command line speaks the language of its environment, as gettext's tools do (issue 17):
QA_LANGUAGE, else LANGUAGE, LC_ALL, LC_MESSAGES, LANG, else English; its errors keep their exit
codes in every language, and machine-readable output is never translated."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from qa_engine.cli.common import LANGUAGE_VARIABLES, cli_language, error_text
from qa_engine.cli.main import app
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_, Nn_
from qa_engine.services import users
from tests.helpers import FastHasher

runner = CliRunner()
NOTHING = dict.fromkeys(LANGUAGE_VARIABLES)  # CliRunner: None unsets a variable
WORKER_ERROR = "set PREFECT_API_URL to the Prefect server"


def run(*args: str, **env: str | None):
    return runner.invoke(app, list(args), env={**NOTHING, **env}, catch_exceptions=False)


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({}, "en"),
        ({"LANG": "cs_CZ.UTF-8"}, "cs"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "de_DE@euro"}, "de"),
        ({"LANG": "pt_BR.UTF-8"}, "en"),  # a language the engine does not speak
        ({"LANG": "cs_CZ.UTF-8", "QA_LANGUAGE": "fr"}, "fr"),
        ({"LANG": "cs_CZ.UTF-8", "QA_LANGUAGE": "en"}, "en"),
        ({"LANG": "cs_CZ.UTF-8", "LC_ALL": "pl_PL.UTF-8"}, "pl"),
        ({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "it_IT.UTF-8"}, "it"),
        ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),  # the first set decides
        ({"LANGUAGE": "pt:da:de", "LANG": "fr_FR.UTF-8"}, "da"),  # its first supported one
        ({"LANGUAGE": "pt", "LANG": "fr_FR.UTF-8"}, "fr"),  # none supported: on to the locale
        ({"QA_LANGUAGE": " ", "LANG": "de_AT.UTF-8"}, "de"),
    ],
)
def test_the_language_is_chosen_like_gettext_chooses_it(environ, lang):
    assert cli_language(environ) == lang


def test_an_error_is_shown_in_the_language_of_the_environment_with_the_same_exit_code(
    monkeypatch,
):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    english = run("worker")
    czech = run("worker", LANG="cs_CZ.UTF-8")
    french = run("worker", LANG="cs_CZ.UTF-8", QA_LANGUAGE="fr")
    posix = run("worker", LANG="POSIX")
    c_utf8 = run("worker", LANG="C.UTF-8")

    assert english.exit_code == czech.exit_code == french.exit_code == posix.exit_code == 1
    assert f"error: {WORKER_ERROR}" in english.output
    assert "chyba: nastavte PREFECT_API_URL na server Prefect" in czech.output, czech.output
    assert "erreur : définissez PREFECT_API_URL sur le serveur Prefect" in french.output
    assert WORKER_ERROR not in czech.output + french.output
    assert WORKER_ERROR in posix.output and WORKER_ERROR in c_utf8.output
    assert "Traceback" not in czech.output + french.output


def test_the_details_of_an_error_follow_the_language(monkeypatch):
    error = ValidationFailed(
        N_("no user %(name)s"),
        name="rita",
        details=[Nn_("%(num)s day overdue", "%(num)s days overdue", 3), "as typed"],
    )
    monkeypatch.setenv("QA_LANGUAGE", "cs")
    message, details = error_text(error)
    assert message == "uživatel rita neexistuje"
    assert details[0] != "3 days overdue" and "3" in details[0]
    assert details[1] == "as typed"
    monkeypatch.setenv("QA_LANGUAGE", "en")
    assert error_text(error) == ("no user rita", ["3 days overdue", "as typed"])


def test_a_summary_line_in_czech_and_english_by_default(engine_env, monkeypatch):
    monkeypatch.setattr(users, "_hasher", FastHasher())
    args = ["users", "add", "{}", "--name", "Olga Officer", "--email", "o@example.eu"]
    czech = run(*[a.format("olga") for a in args], "--role", "qa_officer", LANG="cs_CZ.UTF-8")
    assert czech.exit_code == 0, czech.output
    assert "uživatel olga vytvořen (id " in czech.output, czech.output
    assert "zatím bez hesla" in czech.output
    english = run(*[a.format("oleg") for a in args], "--role", "qa_officer", LANG="C.UTF-8")
    assert english.exit_code == 0, english.output
    assert "user oleg created (id " in english.output
    assert "no password yet" in english.output

    # a usage error stays Typer's own (English), with its exit code
    usage = run("users", "add", LANG="cs_CZ.UTF-8")
    assert usage.exit_code == 2
