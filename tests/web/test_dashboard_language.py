"""The leadership dashboard in the reader's language (issue 17, item 6): its words through
gettext, its figures, dates and percentages in the reader's locale, the downloads in the same
language; English unchanged."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from qa_engine.services import decisions
from qa_engine.store.db import session_scope
from tests.helpers import to_state
from tests.web.conftest import direct_kick
from tests.web.support import signed_in
from tests.web.test_i18n import set_language


@pytest.fixture
def decided(client, p) -> None:
    """One case decided (rejected) and closed: a decision and a share to show."""
    with session_scope() as s:
        case_id = to_state(s, p, "approval")
    with session_scope() as s:
        decisions.decide(
            session=s,
            actor=p["approver"],
            case_id=case_id,
            outcome="rejected",
            rationale="The learning outcomes are not assessable.",
        )
    direct_kick([case_id])


@pytest.mark.usefixtures("decided")
def test_the_dashboard_follows_the_browsers_language(client):
    signed_in(client, "leader")
    page = client.get("/dashboard", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert page.status_code == 200 and page.headers["Content-Language"] == "fr"
    text = page.text
    assert '<html lang="fr">' in text and "<h1>Tableau de bord</h1>" in text
    for words in (
        "Dossiers par état et par établissement",
        "Résultats des dossiers clos par établissement",
        "Chiffres agrégés uniquement",
        ">rejeté<",
        ">évaluation par les pairs<",
        "Synthèse",
        "Chiffres clés",
        "Charge des experts",
        "PDF signé",
        "Classeur",
    ):
        assert words in text, words
    # the period in French, the figures with a decimal comma and a narrow space before %
    assert re.search(r"Chiffres pour la période du \d{1,2} [a-zéû]+\.? \d{4} au ", text)
    assert re.search(r"\d,\d\u00a0%", text)
    # the charts' texts too
    assert "Aucune donnée pour cette période" in text or "<svg" in text
    assert "Reviewer load" not in text and "Key figures" not in text
    # anonymous reviewers in French
    assert "Expert(e) 01" in text


@pytest.mark.usefixtures("decided")
def test_the_dashboard_follows_the_accounts_language_and_its_downloads_too(client):
    set_language("leader", "cs")
    signed_in(client, "leader")
    page = client.get("/dashboard", headers={"Accept-Language": "en"})
    assert '<html lang="cs">' in page.text and "<h1>Přehled</h1>" in page.text
    assert "Případy podle stavu a instituce" in page.text and ">zamítnuto<" in page.text
    xlsx = client.get("/dashboard/report.xlsx")
    assert xlsx.status_code == 200
    assert "-cs.xlsx" in xlsx.headers["Content-Disposition"]
    wb = load_workbook(BytesIO(xlsx.content))
    assert wb.sheetnames[0] == "Shrnutí" and "Posuzování" in wb.sheetnames


@pytest.mark.usefixtures("decided")
def test_the_dashboard_in_english_as_it_was(client):
    signed_in(client, "leader")
    page = client.get("/dashboard")
    assert "<h1>Dashboard</h1>" in page.text
    assert "Outcomes of closed cases by institution" in page.text and "Key figures" in page.text
    assert "Reviewer 01" in page.text
    xlsx = client.get("/dashboard/report.xlsx")
    assert 'filename="leadership-' in xlsx.headers["Content-Disposition"]
    assert "-en." not in xlsx.headers["Content-Disposition"]
    assert load_workbook(BytesIO(xlsx.content)).sheetnames[0] == "Summary"
