"""Every character people type prints in the evaluation report: as itself where the shipped
DejaVu fonts have a glyph for it (Latin, Greek, Cyrillic, emoticons), else as its code point in a
visible marker such as [U+6F22], with a note in the report; never as an empty box."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.pdfbase.ttfonts import TTFontFile

from qa_engine.adapters.aggregate_pdf import render_pdf
from qa_engine.adapters.dev_pki import create_dev_pki
from qa_engine.adapters.pdf_cells import markup
from qa_engine.adapters.pdf_report import render_report
from qa_engine.adapters.pdf_style import FONT_FILES, register_fonts
from qa_engine.adapters.signing import sign_pdf, verify_pdf
from qa_engine.domain.leadership import (
    Count,
    DigitalGreenFigures,
    LeadershipFigures,
    OutcomeFigures,
    OutcomeRow,
    PipelineFigures,
    ReportFilters,
    ReportPeriod,
    ReviewingFigures,
    Share,
    StandardsFigures,
)
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.report import EvaluationReport
from tests.adapters.test_reports_pdf import REPORTS_DIR, build_report

LATIN = "Crème brûlée à Øresund, Łódź, Straße"
GREEK = "Ωμέγα Ελληνικά"
CYRILLIC = "Привет, Кириллица"
CJK = "漢字"
EMOJI_IN_FONT = "😀"  # DejaVu Sans has the emoticons block
EMOJI_NOT_IN_FONT = "🎓"
TITLE = f"{LATIN} — {GREEK} — {CYRILLIC} — {CJK} {EMOJI_IN_FONT} {EMOJI_NOT_IN_FONT}"


def _report(title: str = TITLE) -> EvaluationReport:
    base = build_report(n_criteria=2, reviewers=2)
    first = base.criteria[0]
    criteria = [
        replace(
            first, scores=[("Reviewer A", 2.0, f"Gut — 好 {EMOJI_NOT_IN_FONT}"), *first.scores[1:]]
        ),
        *base.criteria[1:],
    ]
    return replace(
        base,
        credential=replace(base.credential, title=title),
        criteria=criteria,
        decision_rationale=f"Approved; the title reads {title}.",
        rubric_version="2026-漢",  # printed on the canvas, in every page's footer
    )


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_report(_report(), reports_dir=REPORTS_DIR)


def _text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as poppler's pdftotext reads it (pypdf where poppler is not installed)."""
    if shutil.which("pdftotext") is None:
        return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60, check=True
    )
    return out.stdout.decode("utf-8")


@cache
def _font_cmap(base_font: str) -> frozenset[int]:
    """The code points the shipped TrueType file of a PDF font (/AAAAAA+DejaVuSans-Bold) has a
    glyph for, read from the file's own cmap."""
    name = base_font.lstrip("/").split("+", 1)[-1]
    return frozenset(TTFontFile(str(REPORTS_DIR / "fonts" / FONT_FILES[name])).charToGlyph)


def code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def has_glyph(ch: str) -> bool:
    """Whether every shipped face (regular, bold, oblique) has a glyph for `ch`."""
    return ch.isspace() or all(ord(ch) in _font_cmap(name) for name in FONT_FILES)


def _embedded_fonts(pdf: bytes) -> list[DictionaryObject]:
    reader = PdfReader(io.BytesIO(pdf))
    fonts = []
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # noqa: BLE001 - free entries of the cross-reference table
            continue
        if isinstance(obj, DictionaryObject) and obj.get("/Type") == "/Font":
            # reportlab's default Helvetica (a standard font, never used for report data) has
            # no file and no ToUnicode map; every embedded font is a shipped DejaVu subset
            if "/ToUnicode" in obj:
                fonts.append(obj)
            else:
                assert obj["/BaseFont"] == "/Helvetica", obj
    return fonts


def _to_unicode(font: DictionaryObject) -> list[str]:
    """The characters a font subset's ToUnicode CMap maps its codes to (UTF-16 big-endian)."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    pairs = re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", data.split("beginbfchar", 1)[1])
    chars = []
    for _, target in pairs:
        assert len(target) % 4 == 0, f"<{target}> is not UTF-16 in {font['/BaseFont']}"
        chars.append(bytes.fromhex(target).decode("utf-16-be"))
    return chars


def test_every_character_prints_as_itself_or_as_its_code_point(pdf, tmp_path):
    text = _text(pdf, tmp_path)
    for written in (LATIN, GREEK, CYRILLIC, EMOJI_IN_FONT):
        assert written in text, f"{written!r} lost in the PDF text"
    for ch in TITLE:
        if has_glyph(ch):
            assert ch in text, f"{ch!r} ({code_point(ch)}) has a glyph but is not in the text"
        else:
            assert code_point(ch) in text, f"{ch!r} is neither printed nor marked"
    assert CJK not in text and EMOJI_NOT_IN_FONT not in text
    assert "[U+6F22 U+5B57]" in text  # a run of glyph-less characters is one marker
    assert "[U+1F393]" in text and "[U+597D]" in text
    assert "2026-[U+6F22]" in text  # the canvas footer, too


def test_the_report_says_which_characters_are_shown_as_code_points(pdf, tmp_path):
    text = " ".join(_text(pdf, tmp_path).split())
    assert "Characters shown as code points: 4 different characters in this report" in text
    for listed in (
        "U+6F22 (cjk unified ideograph-6f22)",
        "U+5B57 (cjk unified ideograph-5b57)",
        "U+1F393 (graduation cap)",
        "U+597D (cjk unified ideograph-597d)",
    ):
        assert listed in text, listed


def test_no_character_without_a_glyph_reaches_a_font(pdf):
    fonts = _embedded_fonts(pdf)
    assert {str(f["/BaseFont"]).split("+")[-1] for f in fonts} >= {"DejaVuSans", "DejaVuSans-Bold"}
    emitted: set[str] = set()
    for font in fonts:
        covered = _font_cmap(str(font["/BaseFont"]))
        for ch in _to_unicode(font):
            # reportlab reserves the ASCII codes of a first subset for themselves, DEL (U+007F)
            # and the unused code 0 included: control characters are never drawn (`markup`
            # marks them), so only the printing characters count
            if ch.isprintable():
                assert ord(ch) in covered, f"{ch!r} ({code_point(ch)}) has no glyph: an empty box"
                emitted.add(ch)
    assert EMOJI_IN_FONT in emitted  # extracted and searchable as itself, not as another char
    assert set(GREEK + CYRILLIC) - {" ", ","} <= emitted


def test_a_report_whose_characters_all_print_has_no_note_and_no_marker(tmp_path):
    report = replace(build_report(n_criteria=2, reviewers=2), rubric_version="1.0")
    report = replace(report, credential=replace(report.credential, title=f"{LATIN} {GREEK} 😀"))
    text = _text(render_report(report, reports_dir=REPORTS_DIR), tmp_path)
    assert "Characters shown as code points" not in text and "[U+" not in text
    assert f"{LATIN} {GREEK} 😀" in text


def test_markup_marks_glyphless_runs_and_still_escapes():
    register_fonts(REPORTS_DIR)
    assert markup("a<b & 漢字 c\nd 😀") == (
        'a&lt;b &amp; <font color="#b7410e">[U+6F22 U+5B57]</font> c<br/>d 😀'
    )


def test_a_signed_report_with_every_script_verifies(pdf, tmp_path):
    pki = create_dev_pki(tmp_path / "pki")
    verdict = verify_pdf(sign_pdf(pdf, pki.signer()), trust_roots=[pki.ca_cert])
    assert verdict.status == "valid", verdict.message


# --- the leadership report ------------------------------------------------------------------------


def _figures() -> LeadershipFigures:
    """Small leadership figures whose names hold Cyrillic, CJK and an emoji the fonts lack."""
    share = Share(key="x", label="Digital skills", count=1, share=0.5)
    return LeadershipFigures(
        report_id="QA-AGG-2026-01",
        period=ReportPeriod(date(2026, 1, 1), date(2026, 3, 31)),
        filters=ReportFilters(),
        generated_at=datetime(2026, 4, 1, 8, 0, tzinfo=UTC),
        audience="leadership",
        institutions={"CUNI": "Univerzita Karlova", "KYIV": "Київський університет 漢"},
        pipeline=PipelineFigures(
            cases_by_state=[Count(key="peer_review", label="peer review", count=2)],
            in_pipeline=2,
            open_cases=2,
            closed_per_month=[Count(key="2026-01", label="2026-01", count=1)],
            closed=1,
            stage_times=[],
            overdue_reviews=0,
            reviews_submitted=3,
            reviews_late=0,
            overdue_by_reviewer=None,
        ),
        outcomes=OutcomeFigures(
            decisions=1,
            totals={o.value: int(o.value == "approved") for o in Outcome},
            by_institution=[
                OutcomeRow(
                    key="KYIV",
                    label="Київський університет 漢",
                    counts={o.value: int(o.value == "approved") for o in Outcome},
                )
            ],
            by_month=[],
            top_conditions=[
                Count(key="c", label=f"Add a 字 glossary {EMOJI_NOT_IN_FONT}", count=1)
            ],
        ),
        standards=StandardsFigures(
            institutions=["KYIV"],
            heatmap=[],
            consolidations=0,
            below_gate=[],
            returned_screenings=0,
            missing_elements=[],
        ),
        digital_green=DigitalGreenFigures(
            approved=1,
            digcomp=share,
            greencomp=share,
            esco=share,
            digcomp_areas=[],
            digcomp_competences=[],
            greencomp_areas=[],
            greencomp_competences=[],
            eqf=[],
            ects=[],
        ),
        reviewing=ReviewingFigures(
            reviewers=[], named=False, agreement=[], median_alpha=None, lowest_agreement=[], gaps=[]
        ),
        notes=[f"Ελληνικά and {CJK} in a note."],
    )


def test_the_leadership_report_marks_and_lists_what_its_fonts_cannot_print(tmp_path):
    pdf = render_pdf(_figures(), reports_dir=REPORTS_DIR)
    text = _text(pdf, tmp_path)
    flat = " ".join(text.split())
    assert "Київський університет [U+6F22]" in flat
    assert "Ελληνικά and [U+6F22 U+5B57] in a note." in flat
    assert "[U+1F393]" in flat
    assert "Characters shown as code points: 3 different characters" in flat
    for font in _embedded_fonts(pdf):
        covered = _font_cmap(str(font["/BaseFont"]))
        assert all(ord(ch) in covered for ch in _to_unicode(font) if ch.isprintable())
