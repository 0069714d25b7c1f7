"""The rubric forms in the reader's language (issue 17): the review form and the self-assessment
form show the rubric's own translations (titles, guidance, evidence, scale labels, descriptors) and
the form's words in the account's language, English by default; the forms' cached HTML never
crosses from one language to another; refusals (a missing score, a wrong cell of a review sheet)
are in the reader's language, the sheet's cell reference kept."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from markupsafe import escape
from openpyxl import load_workbook

from qa_engine.adapters.review_sheet import FIRST_ROW, ReviewSheetInvalid, read_review_sheet
from qa_engine.adapters.translations import translations
from qa_engine.domain.rubric_i18n import localised
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services.rubrics import load
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from qa_engine.web.forms import criterion_views, frames_of
from tests.helpers import to_state
from tests.web.support import csrf_of, signed_in

RUBRICS = Path(__file__).resolve().parents[2] / "qa_engine" / "rubrics"
ESG = yaml.safe_load((RUBRICS / "esg-2015-part1.yaml").read_text(encoding="utf-8"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def esg_text(criterion: str, field: str, lang: str) -> str:
    """A text of an ESG criterion in `lang`, as the rubric file gives it."""
    return next(c for c in ESG["criteria"] if c["id"] == criterion)[field][lang]


def legend(criterion: str, lang: str) -> str:
    """The heading of a criterion's block on a form."""
    title = escape(esg_text(criterion, "title", lang))
    return f'<span class="cid">{criterion}</span> {title}</legend>'


def set_language(username: str, language: str | None) -> None:
    with session_scope() as s:
        user = repo.get_user_by_username(s, username)
        user.language = language
        s.add(user)


@pytest.fixture
def reviewing(p):
    """A case in peer review: (case id, the first accepted assignment's id, its reviewer)."""
    with session_scope() as s:
        case_id = to_state(s, p, "peer_review")
        asg = next(
            a
            for a in case_repo.assignments_of(s, case_id, 1)
            if a.status == AssignmentStatus.ACCEPTED
        )
        reviewer = next(k for k, v in p.items() if v.user_id == asg.reviewer_id)
        return case_id, asg.id, reviewer


@pytest.mark.parametrize("lang", ["cs", "fr"])
def test_the_review_form_shows_the_rubric_and_its_words_in_the_readers_language(
    client, reviewing, lang
):
    _, asg, reviewer = reviewing
    set_language(reviewer, lang)
    signed_in(client, reviewer)
    page = client.get(f"/assignments/{asg}/review")
    assert page.status_code == 200 and page.headers["content-language"] == lang
    html = page.text
    _ = translations(lang).gettext
    # the rubric's texts, as its file gives them in this language
    assert legend("esg-1.1", lang) in html and legend("esg-1.1", "en") not in html
    assert str(escape(esg_text("esg-1.1", "guidance", lang))) in html
    rubric = localised(load("4eu-mici"), lang)
    scale = next(iter(rubric.scales.values()))
    assert all(str(escape(lv.label)) in html for lv in scale.levels)
    assert str(escape(scale.levels[0].descriptor)) in html
    evidence = rubric.criterion("esg-1.1").criterion.evidence
    assert evidence and str(escape(evidence[0])) in html
    # the form's own words
    for text in ("Scores and comments", "Submit the review", "Overall recommendation"):
        assert str(escape(_(text))) in html and _(text) != text, text
    assert "Submit the review" not in html and "Not scored yet" not in html
    assert str(escape(_("Approved with conditions"))) in html
    # the autosave script's words come from the page
    assert 'id="autosave-texts"' in html and "Draft saved automatically" not in html


def test_english_stays_the_default_of_the_review_form(client, reviewing):
    _, asg, reviewer = reviewing
    signed_in(client, reviewer)
    html = client.get(f"/assignments/{asg}/review").text
    assert '<html lang="en">' in html
    assert legend("esg-1.1", "en") in html
    assert "Scores and comments" in html and "Submit the review" in html
    assert "Not scored yet" in html and "Approved with conditions" in html
    assert "Draft saved automatically at {time}" in html


@pytest.mark.parametrize("lang", ["cs", "fr"])
def test_the_self_assessment_form_in_the_readers_language(client, p, lang):
    with session_scope() as s:
        case_id = to_state(s, p, "self_assessment", index=0)
    set_language("prov.cuni", lang)
    signed_in(client, "prov.cuni")
    page = client.get(f"/cases/{case_id}/self-assessment")
    assert page.status_code == 200
    html = page.text
    _ = translations(lang).gettext
    assert legend("esg-1.1", lang) in html and legend("esg-1.1", "en") not in html
    assert str(escape(esg_text("esg-1.1", "guidance", lang))) in html
    for text in (
        "Summary of the self-assessment",
        "Submit the self-assessment",
        "Evidence links (one per line)",
        "Narrative: how the credential meets this",
        "Evidence asked for",
    ):
        assert str(escape(_(text))) in html and _(text) != text, text
    assert "Submit the self-assessment" not in html


def test_submitting_an_incomplete_review_is_refused_in_the_readers_language(client, reviewing):
    _, asg, reviewer = reviewing
    set_language(reviewer, "cs")
    csrf = signed_in(client, reviewer)
    r = client.post(
        f"/assignments/{asg}/review",
        data={"csrf_token": csrf, "action": "submit", "version": "0"},
    )
    assert r.status_code == 422
    cs = translations("cs")
    assert "hodnocení je povinné" == cs.gettext("a score is required")
    assert "hodnocení je povinné" in r.text and "a score is required" not in r.text
    # the head counts the criteria, with Czech plural forms
    assert "kritérií je před odesláním třeba opravit." in r.text
    assert "need attention" not in r.text


def test_an_unreadable_score_is_named_in_the_readers_language(client, reviewing):
    _, asg, reviewer = reviewing
    set_language(reviewer, "fr")
    csrf = signed_in(client, reviewer)
    r = client.post(
        f"/assignments/{asg}/review",
        data={"csrf_token": csrf, "action": "save", "version": "0", "score.esg-1.1": "lots"},
    )
    assert r.status_code == 422
    assert "n’est pas une note de l’échelle" in r.text
    assert "Certaines notes n’ont pas pu être lues" in r.text


def test_the_form_cache_keeps_each_language_apart():
    rubric = load("4eu-mici")
    cs, fr = frames_of(rubric, "cs"), frames_of(rubric, "fr")
    assert frames_of(rubric, "cs") is cs  # rendered once per rubric and language
    first_cs = next(f for f in cs if f.id == "esg-1.1")
    first_fr = next(f for f in fr if f.id == "esg-1.1")
    assert first_cs.title == esg_text("esg-1.1", "title", "cs")
    assert first_fr.title == esg_text("esg-1.1", "title", "fr")
    assert "Požadované doklady" in first_cs.head_html and "Preuves demandées" in first_fr.head_html
    choices_cs = first_cs.choices_html("", True, False)
    choices_fr = first_fr.choices_html("", True, False)
    assert "Zatím nehodnoceno" in choices_cs and "Pas encore noté" in choices_fr
    # a view in English after both: English, not the last language rendered
    en = criterion_views(rubric, {}, text_key="comment", lang="en")
    first_en = next(v for v in en if v.id == "esg-1.1")
    assert first_en.title == esg_text("esg-1.1", "title", "en")
    assert "Not scored yet" in first_en.choices_html(True)
    assert "Evidence asked for" in first_en.frame.head_html
    # a language the engine does not speak: English
    assert frames_of(rubric, "ja")[0].title == frames_of(rubric, "en")[0].title


def test_a_review_sheet_refusal_keeps_the_cell_and_speaks_the_readers_language(tmp_path):
    from tests.web.test_review_sheet import HASH, KEYS, LIMITS, RUBRIC, fill_all, rows, sheet

    def spoil(wb):
        fill_all(wb)
        wb["Review"].cell(row=rows(wb)["esg-1.2"], column=3, value=7)

    path = sheet(tmp_path, spoil)
    with pytest.raises(ReviewSheetInvalid) as err:
        read_review_sheet(path, rubric=RUBRIC, rubric_hash=HASH, assignment_id=7, **KEYS, **LIMITS)
    row = rows(load_workbook(path))["esg-1.2"]
    assert row >= FIRST_ROW
    cs = translations("cs")
    message, details = err.value.in_language(cs.gettext, cs.ngettext)
    assert message == "review.xlsx: 1 problém; nic nebylo uloženo"
    assert details == [f"Review!C{row}: 7 není stupeň škály (0, 1, 2, 3, 4)"]
    assert err.value.details == [f"Review!C{row}: 7 is not a level of the scale (0, 1, 2, 3, 4)"]


def test_an_uploaded_sheet_is_refused_on_the_page_in_the_readers_language(client, reviewing):
    _, asg, reviewer = reviewing
    set_language(reviewer, "pl")
    csrf = signed_in(client, reviewer)
    wb = load_workbook(io.BytesIO(client.get(f"/assignments/{asg}/review-sheet").content))
    ws = wb["Review"]
    row = next(
        r for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(row=r, column=1).value == "esg-1.1"
    )
    # the rubric's texts in the reader's language, the columns as the upload expects them
    assert ws.cell(row=row, column=2).value == esg_text("esg-1.1", "title", "pl")
    assert ws.cell(row=FIRST_ROW - 1, column=2).value == "Title"
    ws.cell(row=row, column=3, value="three")
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        f"/assignments/{asg}/review-sheet",
        data={"csrf_token": csrf, "action": "save"},
        files={"file": ("offline.xlsx", buf.getvalue(), XLSX)},
    )
    assert r.status_code == 422
    assert f"<code>Review!C{row}</code>: " in r.text
    assert str(escape("'three' nie jest oceną; wybierz ocenę z listy")) in r.text
    assert "Arkusz nie został zapisany" in r.text
    assert csrf_of(r.text) == csrf
