"""The case report in the language asked for (issue 17): a report in Czech and in Polish prints the
catalog's headings, every diacritic of the language in the shipped DejaVu fonts (pdftotext reads
them back), dates and numbers in the locale's format, and its signature verifies; the workbook
follows the report's language; English stays the default."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from qa_engine.adapters.case_workbook import workbook_bytes
from qa_engine.adapters.dev_pki import DevPKI, create_dev_pki
from qa_engine.adapters.pdf_report import render_report
from qa_engine.adapters.signing import sign_pdf, verify_pdf
from qa_engine.adapters.translations import translations
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.report import EvaluationReport, ReportCredential, make_report_id
from tests.adapters.test_reports_pdf import REPORTS_DIR, build_report

UTC = dt.UTC
GENERATED = dt.datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
DECIDED = dt.datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
# every letter with a diacritic of the two languages, in lower and upper case
DIACRITICS = {
    "cs": "áčďéěíňóřšťúůýž",
    "pl": "ąćęłńóśźż",
}
HEADINGS = (
    "Evaluation report",
    "1. The credential",
    "4. Criteria, scores and justifications",
    "5. Consolidation",
    "7. What the scores say about the standards",
    "8. Decision",
    "10. Case history",
    "How to verify this report",
    "mean as a share of the scale",  # the chart's legend
)
# the locale's dates and numbers: the generation and decision times, a mean of 3.5
FORMATS = {
    "cs": ("3. 12. 2026 14:05 UTC", "1. 12. 2026 09:30 UTC", "3,50"),
    "pl": ("3 gru 2026 14:05 UTC", "1 gru 2026 09:30 UTC", "3,50"),
    "en": ("Dec 3, 2026 14:05 UTC", "Dec 1, 2026 09:30 UTC", "3.50"),
}

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


def in_language(lang: str) -> EvaluationReport:
    base = build_report(n_criteria=12, reviewers=3)
    letters = DIACRITICS.get(lang, "")
    criteria = list(base.criteria)
    criteria[0] = dataclasses.replace(criteria[0], mean=3.5, median=3.5)
    credential = dataclasses.replace(
        base.credential,
        title=f"Mikrokurz {letters} {letters.upper()}",
    )
    return dataclasses.replace(
        base,
        report_id=make_report_id(year=2026, case_id=42, round=1, language=lang),
        generated_at=GENERATED,
        decided_at=DECIDED,
        criteria=criteria,
        credential=credential,
        language=lang,
    )


def pdftotext(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    # one line of text may wrap in the layout: compare words, not line breaks
    return " ".join(done.stdout.decode("utf-8").replace("\xa0", " ").split())


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> DevPKI:
    return create_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def signed(pki) -> dict[str, bytes]:
    return {
        lang: sign_pdf(render_report(in_language(lang), reports_dir=REPORTS_DIR), pki.signer())
        for lang in ("cs", "pl", "en")
    }


@needs_pdftotext
@pytest.mark.parametrize("lang", ["cs", "pl"])
def test_the_report_prints_the_catalogs_headings_and_every_diacritic(signed, lang):
    text = pdftotext(signed[lang])
    _ = translations(lang).gettext
    for heading in HEADINGS:
        translated = _(heading)
        assert translated != heading, f"{lang} has no translation of {heading!r}"
        assert " ".join(translated.split()) in text, translated
    # the header and footer of every page, in the language
    assert _("Evaluation report of a micro-credential") in text
    assert (_("Page %(page)s of %(pages)s") % {"page": 1, "pages": "x"}).split("x")[0] in text
    letters = DIACRITICS[lang]
    missing = [ch for ch in letters + letters.upper() if ch not in text]
    assert not missing, f"{lang}: not in the PDF's text layer: {missing}"
    assert "[U+" not in text  # no character fell back to its code point


@needs_pdftotext
@pytest.mark.parametrize("lang", ["cs", "pl", "en"])
def test_dates_and_numbers_are_in_the_locales_format(signed, lang):
    text = pdftotext(signed[lang])
    generated, decided, mean = FORMATS[lang]
    assert generated in text and decided in text
    assert mean in text
    other = "3.50" if mean == "3,50" else "3,50"
    assert other not in text
    assert "2026-12-03" not in text  # no ISO date left for a reader


@pytest.mark.parametrize("lang", ["cs", "pl"])
def test_the_report_in_another_language_verifies(signed, pki, lang):
    verdict = verify_pdf(signed[lang], trust_roots=[pki.ca_cert])
    assert verdict.status == "valid", verdict.message
    assert verdict.report_id == f"QA-2026-000042-R1-{lang.upper()}"


def test_the_pdf_says_its_language(signed):
    assert b"/Lang (cs)" in signed["cs"] and b"/Lang (en)" in signed["en"]


@needs_pdftotext
def test_english_is_the_default_and_reads_as_before(signed):
    report = build_report(n_criteria=3, reviewers=2)
    assert report.language == "en"
    text = pdftotext(signed["en"])
    for heading in HEADINGS:
        assert heading in text
    assert "of the rubric maximum" in text and "Page 1 of" in text


def test_a_report_in_an_unknown_language_is_refused():
    with pytest.raises(ValidationFailed):
        dataclasses.replace(build_report(n_criteria=2, reviewers=2), language="xx")
    with pytest.raises(ValidationFailed):
        make_report_id(year=2026, case_id=1, round=1, language="xx")


def test_report_ids_name_the_language():
    assert make_report_id(year=2026, case_id=7, round=2) == "QA-2026-000007-R2"
    assert make_report_id(year=2026, case_id=7, round=2, language="cs") == "QA-2026-000007-R2-CS"
    assert (
        make_report_id(year=2026, case_id=7, round=2, kind="xlsx", language="pl")
        == "QA-2026-000007-R2-PL-XLSX"
    )


@pytest.mark.parametrize("lang", ["cs", "pl"])
def test_the_workbook_follows_the_reports_language(lang):
    report = in_language(lang)
    wb = load_workbook(io.BytesIO(workbook_bytes(report)))
    # the sheet names are the workbook's stable identifiers in every language
    assert wb.sheetnames[:4] == ["Scores", "Scales", "Comments", "Consolidation"]
    _ = translations(lang).gettext
    scores = wb["Scores"]
    assert scores.cell(4, 1).value == _("Criterion")
    assert scores.cell(4, 1).value != "Criterion"
    consolidation = wb["Consolidation"]
    items = {consolidation.cell(r, 1).value: consolidation.cell(r, 2).value for r in range(2, 21)}
    assert items[_("Decided at")] == FORMATS[lang][1]
    assert _("Notes on agreement") in items


def test_the_credential_data_is_never_translated():
    report = in_language("cs")
    assert isinstance(report.credential, ReportCredential)
    assert report.credential.title.startswith("Mikrokurz")
