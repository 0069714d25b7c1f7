"""One rounding rule for percentages: the same share reads the same in every output."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qa_engine.adapters import charts, pdf_cells
from qa_engine.domain.numbers import percent

PACKAGE = Path(__file__).resolve().parents[2] / "qa_engine"


@pytest.mark.parametrize(
    ("share", "places", "text"),
    [
        (0.4375, 1, "43.8 %"),
        (0.43749999999999994, 1, "43.8 %"),  # what arithmetic leaves of 0.4375
        (0.12345, 2, "12.35 %"),
        (0.005, 0, "1 %"),
        (0.0, 1, "0.0 %"),
        (1.0, 0, "100 %"),
        (None, 1, "—"),
    ],
)
def test_percent_rounds_half_up_on_the_decimal_value(share, places, text):
    assert percent(share, places) == text


def test_every_output_uses_the_one_rule():
    for share in (0.4375, 0.43749999999999994, 0.6983427442123095):
        expected = percent(share)
        assert pdf_cells.percent(share) == expected
        assert charts.fmt(share, "pct") == expected


def test_no_module_formats_a_percentage_its_own_way():
    """A source scan: `x * 100` inside an f-string, or the `%` format spec, is a second rule."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FormattedValue):
                spec = ast.unparse(node.format_spec) if node.format_spec else ""
                value = ast.unparse(node.value)
                if spec.rstrip("'\"").endswith("%") or "* 100" in value:
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []
