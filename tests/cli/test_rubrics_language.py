"""`qa-engine rubrics show --language`: the rubric's texts in the reader's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from qa_engine.cli.common import console
from qa_engine.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    """Wide enough that the table shows whole titles."""
    before = console.width
    console.width = 400
    yield
    console.width = before


def show(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["rubrics", "show", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_show_in_czech():
    code, out = show("4eu-mici", "--language", "cs")
    assert code == 0, out
    assert "Hodnocení kvality mikrocertifikátů 4EU+ (4eu-mici 1.1.0, cs)" in out
    assert "Přeshraniční uznávání v rámci aliance" in out  # the alliance's own criterion
    assert "Výuka, učení a hodnocení zaměřené na studenta" in out  # ESG 1.3, included
    assert "Student-centred" not in out
    assert "Úroveň kvality (0-4): 0 Neřešeno; 1 Počáteční; 2 Rozvíjející se;" in out


def test_show_in_english_by_default_and_for_an_undeclared_language():
    code, out = show("esg-2015-part1")
    assert code == 0 and "ESG 2015 Part 1 applied to micro-credentials" in out
    code, out = show("esg-2015-part1", "-l", "sv")
    assert code == 0, out
    assert "is not written in 'sv'" in out and "showing English" in out
    assert "Student-centred learning, teaching and assessment" in out


def test_show_refuses_a_code_that_is_not_a_language():
    code, out = show("esg-2015-part1", "--language", "czech")
    assert code != 0
    assert "'czech' is not an ISO 639-1 language code" in out
    assert "Traceback" not in out
