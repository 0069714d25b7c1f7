"""`qa-engine rubrics replay` and `rubrics calibrate`: the table, the workbook and the HTML file,
and bad input named without a traceback."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from qa_engine.cli.main import app
from qa_engine.config import get_settings

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def history(fresh_env):
    got = run("dev", "generate", "--credentials", "1", "--reviewers-per-institution", "1",
              "--seed", "5", "--history", "40")  # fmt: skip
    assert got.exit_code == 0, got.output
    return fresh_env


def _draft(tmp_path):
    text = (get_settings().rubrics_dir / "4eu-mici.yaml").read_text()
    text = text.replace('version: "1.0.0"', 'version: "1.1.0"', 1)
    anchor = "    weight: 0.125\n"
    text = text.replace(anchor, anchor + "    gate: {min_level: 4}\n", 1)
    path = tmp_path / "4eu-mici.yaml"
    path.write_text(text)
    return path


def test_replay_as_table_xlsx_and_html(history, tmp_path):
    draft = _draft(tmp_path)
    table = run("rubrics", "replay", str(draft))
    assert table.exit_code == 0, table.output
    assert "Replay of 4eu-mici 1.1.0" in table.output
    summary = re.search(r"(\d+) recommended outcomes? would change", table.output)
    assert summary and int(summary.group(1)) > 0, table.output
    assert "Effect per institution" in table.output
    xlsx = tmp_path / "replay.xlsx"
    got = run("rubrics", "replay", str(draft), "--format", "xlsx", "--output", str(xlsx))
    assert got.exit_code == 0, got.output
    wb = load_workbook(BytesIO(xlsx.read_bytes()))
    first = wb.worksheets[0]
    assert first["A1"].value == "Recommended outcomes that would change"
    assert [c.value for c in first[3]][:3] == ["case", "round", "institution"]
    changed = [r for r in first.iter_rows(min_row=4, values_only=True) if r[0] is not None]
    assert changed and all(r[7] == "revision_requested" for r in changed)
    html = tmp_path / "replay.html"
    got = run("rubrics", "replay", str(draft), "--format", "html", "--output", str(html),
              "--from", "2000-01-01", "--to", "2100-12-31", "--institution", "CUNI")  # fmt: skip
    assert got.exit_code == 0, got.output
    text = html.read_text()
    assert "<h2>Effect per EQF level</h2>" in text and "<td>CUNI</td>" in text
    assert "<td>UW</td>" not in text


def test_calibrate_as_table_and_xlsx(history, tmp_path):
    got = run("rubrics", "calibrate", "4eu-mici")
    assert got.exit_code == 0, got.output
    assert "Criteria ranked by how much they are worth rewording" in got.output
    assert "dg-stackable" in got.output
    out = tmp_path / "cal.xlsx"
    got = run("rubrics", "calibrate", "4eu-mici", "--format", "xlsx", "--output", str(out))
    assert got.exit_code == 0, got.output
    sheet = load_workbook(out).worksheets[0]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows["esg-1.2"][5].startswith("Krippendorff's α (ordinal)")
    assert rows["dg-stackable"][5].startswith("percent agreement (yes/no)")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("rubrics", "replay", "4eu-mici", "--from", "soon"), "--from: give a date as YYYY-MM-DD"),
        (("rubrics", "replay", "4eu-mici", "--format", "pdf"), "--format: one of table, xlsx"),
        (("rubrics", "replay", "4eu-mici", "--format", "xlsx"), "give --output FILE"),
        (("rubrics", "replay", "4eu-mici@7.0"), "has no version 7.0"),
        (("rubrics", "replay", "nope.yaml"), "no such rubric file"),
        (("rubrics", "calibrate", "4eu-mici", "--institution", "XX"), "no institution"),
        (
            ("rubrics", "calibrate", "4eu-mici", "--from", "2026-02-01", "--to", "2026-01-01"),
            "--from before --to",
        ),
    ],
)
def test_bad_input_is_named(engine_env, args, said):
    got = run(*args)
    assert got.exit_code != 0
    assert said in " ".join(got.output.split()), got.output
    assert "Traceback" not in got.output
