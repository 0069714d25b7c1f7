"""The case pages in the reader's language (issue 17): the case page, the list and the approver's
page in Czech and French (words, state names, dates and decimal commas by the locale), English as
before by default; refusals of the services and of the routes' role checks translated on a page
and through the API, whose `error` codes stay the same."""

from __future__ import annotations

import re

import pytest

from qa_engine.adapters.translations import translations
from qa_engine.domain.case_states import check_transition, require_state
from qa_engine.domain.errors import InvalidTransition, StaleUpdate, check_version
from qa_engine.domain.i18n import N_, Np_
from qa_engine.domain.roles import Role, refusal
from qa_engine.store.db import session_scope
from tests.helpers import to_state
from tests.web.support import bearer, signed_in, token_for

CS = {"Accept-Language": "cs"}
FR = {"Accept-Language": "fr-CH, fr;q=0.9"}
CZECH_DAY = re.compile(r"\b\d{1,2}\. \d{1,2}\. \d{4}\b")
FRENCH_DAY = re.compile(r"\b\d{1,2} [a-zéû]+\.? \d{4}\b")


def _in(lang: str, error: Exception) -> str:
    catalog = translations(lang)
    message, _ = error.in_language(catalog.gettext, catalog.ngettext)  # type: ignore[attr-defined]
    return message


@pytest.fixture
def assigning(p) -> int:
    with session_scope() as s:
        return to_state(s, p, "assignment")


@pytest.fixture
def deciding(p) -> int:
    with session_scope() as s:
        return to_state(s, p, "approval", scores=(3, 1))


def test_the_case_page_in_czech(client, p, assigning):
    signed_in(client, "officer")
    page = client.get(f"/cases/{assigning}", headers=CS)
    assert page.status_code == 200 and '<html lang="cs">' in page.text
    text = page.text
    for words in (
        f"<h1>Případ {assigning}: ",
        '<h2 id="next">Další kroky</h2>',
        '<h2 id="history">Historie</h2>',
        "přidělení posuzovatelů</span>",  # the state's badge
        "Přidělit posuzovatele</a>",
        "otevřel(a) případ",  # the history
        "Stáhnout tento případ",
        "<dt>Hodnoticí rubrika</dt>",
    ):
        assert words in text, words
    assert CZECH_DAY.search(text), "a day in the Czech form (3. 12. 2026)"
    assert re.search(r"\d{1,2}\. \d{1,2}\. \d{4} \d{1,2}:\d{2} UTC", text), "a moment, Czech"
    for english in ("Next steps", "History", "Withdraw this case", "opened the case"):
        assert english not in text, english


def test_the_case_page_in_english_by_default(client, p, assigning):
    signed_in(client, "officer")
    text = client.get(f"/cases/{assigning}").text
    assert '<html lang="en">' in text
    for words in ("Next steps", "History", "opened the case", ">assignment</span>", "round 1"):
        assert words in text, words
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2} UTC", text), "Dec 3, 2026 14:05"


def test_the_case_list_in_french_and_czech(client, p, assigning):
    signed_in(client, "officer")
    page = client.get("/cases", headers=FR)
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    text = page.text
    assert "<h1>Dossiers reçus</h1>" in text
    assert re.search(r"<caption>\d+ dossiers?</caption>", text)
    assert "désignation des experts" in text  # a tab and a badge
    assert f">Dossier {assigning}</a>" in text
    assert FRENCH_DAY.search(text), "a day in the French form (3 déc. 2026)"
    assert "Intake queue" not in text and ">Case " not in text
    one = client.get("/cases?state=assignment", headers=CS).text
    assert re.search(r"<caption>1 případ ve stavu „přidělení posuzovatelů“</caption>", one)
    none = client.get("/cases?state=withdrawn", headers=CS).text
    assert "Žádné případy ve stavu „staženo“." in none
    english = client.get("/cases?state=assignment").text
    assert "<caption>1 case in assignment</caption>" in english


def test_the_decision_page_in_czech_and_french(client, p, deciding):
    signed_in(client, "approver")
    cs = client.get(f"/cases/{deciding}/decision", headers=CS).text
    assert f"<h1>Souhrnné hodnocení: případ {deciding}</h1>" in cs
    for words in ("Hodnocení vedle sebe", "Posuzovatel A", "Doporučený výsledek", "Zaznamenat"):
        assert words in cs, words
    assert "schváleno s podmínkami" in cs.lower()  # the outcomes of the form
    assert re.search(r"<strong>\d,\d{3}</strong>", cs), "the overall score with a decimal comma"
    fr = client.get(f"/cases/{deciding}/decision", headers=FR).text
    assert f"<h1>Évaluation consolidée : dossier {deciding}</h1>" in fr
    assert "Notes côte à côte" in fr and "Expert A" in fr
    assert re.search(r"<strong>\d,\d{3}</strong>", fr)
    en = client.get(f"/cases/{deciding}/decision").text
    assert re.search(r"<strong>\d\.\d{3}</strong>", en) and "Scores side by side" in en


def test_a_refused_decision_is_shown_in_the_approvers_language(client, p, deciding):
    csrf = signed_in(client, "approver")
    page = client.get(f"/cases/{deciding}/decision").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    r = client.post(
        f"/cases/{deciding}/decision",
        data={
            "csrf_token": csrf,
            "outcome": "approved",
            "rationale": "Fine work.",
            "version": str(int(version) - 1),
        },
        headers=CS,
    )
    assert r.status_code == 409
    assert f"případ {deciding}: od načtení došlo ke změně" in r.text
    assert "vaše rozhodnutí je stále ve formuláři" in r.text
    assert "changed since you loaded it" not in r.text


def test_a_wrong_role_and_a_missing_case_on_a_page(client, p, assigning):
    csrf = signed_in(client, "rev.cuni")
    refused = client.post(
        f"/cases/{assigning}/withdraw",
        data={"csrf_token": csrf, "reason": "no"},
        headers={"Accept-Language": "pl"},
    )
    assert refused.status_code == 403 and '<html lang="pl">' in refused.text
    assert (
        "recenzenci: brak uprawnień, by wycofywać sprawy; uprawnieni: dostawcy i dział jakości"
    ) in refused.text
    missing = client.get("/cases/987654", headers=CS)
    assert missing.status_code == 404 and "případ 987654 nebyl nalezen" in missing.text
    english = client.get("/cases/987654")
    assert "case 987654 not found" in english.text


def test_the_api_answers_in_the_language_asked_for_with_the_same_codes(client, p, assigning):
    reviewer = bearer(token_for("rev.cuni"))
    officer = bearer(token_for("officer"))
    polish = {"Accept-Language": "pl"}
    r = client.get("/api/v1/cases/987654", headers={**officer, **polish})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    assert r.json()["error"] == "not_found"
    assert r.json()["message"] == "nie znaleziono sprawy 987654"
    r = client.post(
        f"/api/v1/cases/{assigning}/withdraw",
        json={"reason": "no longer offered"},
        headers={**reviewer, **polish},
    )
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert r.json()["message"] == (
        "recenzenci: brak uprawnień, by wycofywać sprawy; uprawnieni: dostawcy i dział jakości"
    )
    english = client.post(
        f"/api/v1/cases/{assigning}/withdraw", json={"reason": "x"}, headers=reviewer
    )
    assert english.json() == {
        "error": "forbidden",
        "message": "reviewers do not withdraw cases; providers and the QA office do",
        "details": [],
    }


def test_refusals_translate_their_names_lists_and_actions():
    office = refusal(frozenset({Role.PROVIDER}), (Role.QA_OFFICER, Role.ADMIN), "assign reviewers")
    assert office.message == "providers do not assign reviewers; the QA office does"
    assert _in("cs", office) == (
        "poskytovatelé nesmějí přidělovat posuzovatele; smí to oddělení kvality"
    )
    with pytest.raises(InvalidTransition) as wrong:
        require_state("closed", *("assignment", "peer_review"), action=N_("assign reviewers"))  # type: ignore[arg-type]
    assert wrong.value.message == (
        "cannot assign reviewers: the case is in state 'closed', not assignment or peer review"
    )
    assert _in("de", wrong.value) == (
        "Gutachter/innen zuweisen ist nicht möglich: Das Verfahren ist im Status „abgeschlossen“, "
        "nicht Gutachterzuweisung oder Begutachtung"
    )
    with pytest.raises(InvalidTransition) as finished:
        check_transition("closed", "approval")
    assert _in("it", finished.value).endswith("consentito: nulla (la pratica è conclusa)")
    with pytest.raises(StaleUpdate) as stale:
        check_version(Np_(N_("case %(id)s"), id=7), 3, 2)
    assert stale.value.message.startswith("case 7 changed since you loaded it (version 3, yours 2)")
    assert _in("da", stale.value).startswith("sag 7: ændret siden du indlæste det")


def test_a_decided_case_says_its_decision_in_the_readers_language(client, p, deciding):
    from qa_engine.services import decisions

    with session_scope() as s:
        decisions.decide(
            session=s,
            actor=p["approver"],
            case_id=deciding,
            outcome="approved_with_conditions",
            rationale="Sound, with one gap.",
            conditions=["Publish the change log"],
        )
    signed_in(client, "officer")
    cs = client.get(f"/cases/{deciding}", headers=CS).text
    assert "Schváleno s 1 podmínkou: Publish the change log — splňte ji v uvedené lhůtě; " in cs
    assert "schváleno s podmínkami</span>" in cs  # the outcome's badge
    en = client.get(f"/cases/{deciding}").text
    assert "Approved with 1 condition: Publish the change log — meet it within the time" in en


def test_rubric_texts_on_case_pages_follow_the_reader(client, p):
    """The rubric's own translations on the case, reviews, decision and rubric list pages (the
    rubric title and criterion titles), the credential list's decision in words."""
    from qa_engine.services import rubrics as rubric_service
    from qa_engine.services.cases import rubric_of
    from qa_engine.store.models import Case

    with session_scope() as s:
        case_id = to_state(s, p, "decided")
        rubric = rubric_of(s, s.get(Case, case_id))
    cs = rubric_service.library().models[rubric.id].rubric.translations["cs"]["title"]
    first = rubric.reviewer_criteria[0]
    cs_criterion = localised_title(rubric, first.id, "cs")
    signed_in(client, "officer")
    headers = {"Accept-Language": "cs"}
    assert cs in client.get(f"/cases/{case_id}", headers=headers).text
    assert rubric.meta.title in client.get(f"/cases/{case_id}").text
    reviews = client.get(f"/cases/{case_id}/reviews", headers=headers).text
    assert f"</span> {cs_criterion}</th>" in reviews
    assert f"</span> {first.criterion.title}</th>" not in reviews  # (the comments are English)
    assert cs in client.get("/rubrics", headers=headers).text
    listing = client.get("/credentials", headers=headers).text
    assert "Schváleno" in listing and "Approved" not in listing


def localised_title(rubric, criterion_id: str, lang: str) -> str:
    from qa_engine.domain.rubric_i18n import localised

    shown = localised(rubric, lang).criterion(criterion_id)
    assert shown is not None
    return shown.criterion.title
