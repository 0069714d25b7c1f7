"""The leadership report in the language asked for (issue 17, item 6): `reports aggregate
--language`, every text of the PDF, workbook and HTML page in that language, with the language's
dates, numbers and percentages (Babel), in a font that has every character of the seven languages
(item 7); English stays the default, and an unknown language is refused in words."""

from __future__ import annotations

import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from babel.numbers import parse_decimal
from openpyxl import load_workbook
from typer.testing import CliRunner

from qa_engine.adapters import charts
from qa_engine.adapters.aggregate_html import render_html
from qa_engine.adapters.aggregate_pdf import render_pdf
from qa_engine.adapters.aggregate_report import render_aggregate
from qa_engine.adapters.aggregate_xlsx import build_workbook
from qa_engine.config import get_settings
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import LANGUAGES
from tests.services.test_leadership import data, figures  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")

SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _text(pdf: bytes, tmp_path: Path, name: str = "report") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return SPACES.sub(" ", out)


def _fonts(pdf: bytes, tmp_path: Path) -> set[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    return {line.split()[0].split("+")[-1] for line in out if line.strip()}


@pytest.mark.usefixtures("data")
def test_the_pdf_in_czech_has_czech_words_diacritics_and_decimal_commas(session, tmp_path):
    f = figures(session, reviewer_names=True)
    pdf = render_pdf(f, reports_dir=get_settings().reports_dir, lang="cs")
    text = _text(pdf, tmp_path)
    for words in (
        "Kvalita mikrocertifikátů v alianci 4EU+",
        "Shrnutí",
        "Klíčové údaje",
        "Případy v řízení během období",
        "Podíl schválených (s podmínkami i bez nich)",
        "Shoda posuzovatelů podle kritérií",
        "Vytížení posuzovatelů",
        "Poznámky",
        "strana 1",
    ):
        assert words in text, words
    for letter in "áčďéěíňóřšťúůýž":
        assert letter in text.lower() or letter in "ďňť", letter
    assert "ř" in text and "ě" in text and "ů" in text
    # the figures as Czech writes them: a decimal comma, a space before the percent sign
    assert "87,5 %" in text and "12,5 %" in text
    assert "-0,75" in text or "−0,75" in text
    assert "87.5" not in text and "0.75" not in text
    # the dates of the period in Czech (1. 1. 2025)
    assert "1. 1. 2025" in text
    # no English heading left
    for english in ("Key figures", "Summary", "Reviewer load", "Notes", "No data for this period"):
        assert english not in text, english
    # every font of the document is the shipped DejaVu (every Czech and Polish character)
    assert {font.split("-")[0] for font in _fonts(pdf, tmp_path)} == {"DejaVuSans"}


@pytest.mark.usefixtures("data")
def test_the_pdf_in_polish_and_german(session, tmp_path):
    f = figures(session, reviewer_names=True)
    pl = _text(render_pdf(f, reports_dir=get_settings().reports_dir, lang="pl"), tmp_path, "pl")
    for words in (
        "Jakość mikropoświadczeń w sojuszu 4EU+",
        "Podsumowanie",
        "Obciążenie recenzentów",
    ):
        assert words in pl, words
    assert "ł" in pl and "ś" in pl and "87,5%" in pl and "od 1 sty 2025 do 31 mar 2025" in pl
    de = _text(render_pdf(f, reports_dir=get_settings().reports_dir, lang="de"), tmp_path, "de")
    for words in ("Qualität der Microcredentials", "Zusammenfassung", "Kennzahlen", "Seite 1"):
        assert words in de, words
    assert "87,5 %" in de and "01.01.2025" in de


@pytest.mark.usefixtures("data")
def test_english_stays_the_default(session, tmp_path):
    f = figures(session, reviewer_names=True)
    text = _text(render_pdf(f, reports_dir=get_settings().reports_dir), tmp_path)
    assert "Key figures" in text and "Quality of micro-credentials across the 4EU+ alliance" in text
    assert "87.5 %" in text and "Jan 1, 2025" in text
    assert [s.title for s in charts.report_sections(f)][0] == "Summary"


@pytest.mark.usefixtures("data")
def test_the_workbook_in_german_has_german_sheets_and_headers(session):
    f = figures(session, reviewer_names=True)
    wb = build_workbook(f, "de")
    assert wb.sheetnames == [
        "Zusammenfassung",
        "Verfahren in Bearbeitung",
        "Ergebnisse",
        "Standards",
        "Digital und grün",
        "Begutachtung",
    ]
    summary = wb["Zusammenfassung"]
    assert summary["A1"].value.startswith("Zusammenfassung — 01.01.2025 bis 31.03.2025")
    headers = {
        name: [c.value for c in ws[ref][0]]
        for ws in wb.worksheets
        for name, ref in ws.tables.items()
    }
    assert headers["T_summary"] == ["Kennzahl", "Wert"]
    assert headers["T_reviewer_load"][:2] == ["Gutachter/in", "Einrichtung"]
    assert "Anmerkungen" in [c.value for c in summary["A"]]
    # the figures stay numbers (Excel shows them in the reader's own format)
    load = load_workbook(BytesIO(render_aggregate(f, "xlsx", lang="de")))
    ws = load["Zusammenfassung"]
    values = [r[1].value for r in ws.iter_rows(min_row=6, max_row=16)]
    assert any(isinstance(v, float) for v in values)
    assert load.properties.language == "de"


@pytest.mark.usefixtures("data")
def test_the_html_page_in_french(session):
    f = figures(session, reviewer_names=True)
    page = render_html(f, lang="fr")
    assert '<html lang="fr">' in page
    for words in (
        "Qualité des microcertificats dans l’alliance 4EU+",
        "Synthèse",
        "Chiffres clés",
        "Charge des experts",
        "87,5\u00a0%",
        "1 janv. 2025",
    ):
        assert words in page, words
    assert "Key figures" not in page and "No data for this period" not in page


@pytest.mark.usefixtures("data")
def test_every_language_states_the_same_figures(session):
    """The same tables, rows and figures in every language: each printed number parses back, with
    the language's decimal sign, to the English one."""
    f = figures(session, reviewer_names=True)
    english = [b.table for s in charts.report_sections(f) for b in s.blocks]
    for lang in LANGUAGES[1:]:
        tables = [b.table for s in charts.report_sections(f, lang) for b in s.blocks]
        assert [t.id for t in tables] == [t.id for t in english]
        for en, tr in zip(english, tables, strict=True):
            assert tr.formats == en.formats and len(tr.rows) == len(en.rows), (lang, en.id)
            assert len(tr.headers) == len(en.headers)
            assert tr.title != en.title or lang == "de", (lang, en.id)
            for i, (a, b) in enumerate(zip(en.formatted(), tr.formatted(), strict=True)):
                for j, (x, y) in enumerate(zip(a, b, strict=True)):
                    if en.cell_format(i, j) in ("int", "num2", "days", "time", "pct") and x != "—":
                        if isinstance(en.rows[i][j], str):
                            continue  # a text in a column of numbers ("1 of 21")
                        plain = y.replace("%", "").replace("\u00a0", "").strip()
                        number = parse_decimal(plain, locale=lang, strict=False)
                        want = parse_decimal(x.replace("%", ""), locale="en")
                        assert number == want, (lang, en.id, x, y)


@pytest.mark.usefixtures("data")
def test_render_refuses_an_unknown_language(session):
    f = figures(session)
    with pytest.raises(ValidationFailed, match="language xx: give one of en, fr, de, cs"):
        render_aggregate(f, "html", lang="xx")


def _aggregate(*extra: str, out: Path) -> object:
    from qa_engine.cli.leadership_cmd import reports_app

    return CliRunner().invoke(
        reports_app,
        [
            "aggregate",
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-31",
            "--format",
            "pdf",
            "--output",
            str(out),
            *extra,
        ],
    )


def test_cli_language_option(engine_env, tmp_path):
    from sqlalchemy import select

    from qa_engine.store.db import session_scope
    from qa_engine.store.models import AuditEvent

    out = tmp_path / "cs.pdf"
    result = _aggregate("--language", "cs", out=out)
    assert result.exit_code == 0, result.output
    text = _text(out.read_bytes(), tmp_path, "cli-cs")
    assert "Kvalita mikrocertifikátů v alianci 4EU+" in text and "Klíčové údaje" in text
    assert "Období 1. 1. 2025 až 31. 3. 2025" in text
    # the signed issue is recorded with its language
    with session_scope() as s:
        issued = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "report.issued")))
        assert issued and issued[-1].payload["language"] == "cs"
    # English by default
    default = tmp_path / "en.pdf"
    assert _aggregate(out=default).exit_code == 0
    assert "Key figures" in _text(default.read_bytes(), tmp_path, "cli-en")
    # an unknown language: a clear message, no traceback, a failing exit code
    bad = _aggregate("--language", "xx", out=tmp_path / "xx.pdf")
    assert bad.exit_code != 0
    assert "--language xx: give one of en, fr, de, cs, pl, it, da" in bad.output
    assert "Traceback" not in bad.output
    assert not (tmp_path / "xx.pdf").exists()


def test_the_german_and_polish_workbooks_print_within_the_budget(tmp_path):
    """Longer words (German) and other letters (Polish) print as the English workbook does: one
    page wide, charts within the printed area, and, with LibreOffice, within the page budget."""
    from qa_engine.adapters import aggregate_xlsx
    from tests.adapters.test_report_characters import _figures
    from tests.adapters.test_workbook_print import (
        LEADERSHIP_PAGE_BUDGET,
        _pages,
        check_charts_fit,
        check_print_setup,
    )

    for lang in ("de", "pl"):
        wb = aggregate_xlsx.build_workbook(_figures(), lang)
        check_print_setup(wb)
        assert check_charts_fit(wb) > 0
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    german = aggregate_xlsx.workbook_bytes(_figures(), "de")
    assert _pages(german, tmp_path, "leadership-de") <= LEADERSHIP_PAGE_BUDGET


def test_the_scheduled_flow_writes_the_report_in_a_language(engine_env, tmp_path):
    from datetime import date

    from prefect.logging import disable_run_logger

    from qa_engine.workflows.leadership import compute_figures, render_report

    with disable_run_logger():
        f = compute_figures.fn(date(2025, 1, 1), date(2025, 1, 31))
        path = Path(render_report.fn(f, "html", str(tmp_path), "fr"))
    assert path.name == "leadership-2025-01-01-2025-01-31-fr.html"
    page = path.read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "Synthèse" in page and "direction de l’alliance" in page
