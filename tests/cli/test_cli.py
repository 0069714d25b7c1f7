"""The command line on good and bad input: exit codes and messages, no tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa_engine.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def run(*args):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


def test_rubrics_validate_shipped_ok():
    result = run("rubrics", "validate")
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_rubrics_validate_bad_file_lists_file_line_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rubric:\n  id: bad\n  version: '1'\n  title: B\n  colour: red\n"
        "criteria:\n  - id: a\n    title: A\n    kind: scale\n    scale: missing\n"
        "thresholds:\n  - {outcome: rejected, min_score: 0}\n"
    )
    result = run("rubrics", "validate", str(bad))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert f"{bad}:5: unknown key 'colour' in rubric" in lines
    assert "Traceback" not in result.output


SHIPPED = sorted(p.name for p in (ROOT / "rubrics").glob("*.yaml"))


@pytest.mark.parametrize("folder", ["rubrics", "qa_engine/rubrics"])
@pytest.mark.parametrize("name", SHIPPED)
def test_rubrics_validate_each_shipped_file_on_its_own(name, folder):
    """An unchanged shipped file is the shipped rubric, not a second file with its id."""
    result = run("rubrics", "validate", str(ROOT / folder / name))
    assert result.exit_code == 0, result.output
    assert "1 rubric file valid" in result.output


def test_rubrics_validate_copy_of_a_shipped_id_elsewhere(tmp_path):
    """A draft: a copy of a shipped file in another folder, changed, is checked on its own (it
    takes the place of the shipped file); against the shipped folder, a same-version change names
    the shipped file and line, a higher version is a new version."""
    shipped = ROOT / "rubrics" / "esg-2015-part1.yaml"
    copy = tmp_path / "elsewhere" / "esg-2015-part1.yaml"
    copy.parent.mkdir()
    shutil.copyfile(shipped, copy)
    unchanged = run("rubrics", "validate", str(copy), "--against", str(ROOT / "rubrics"))
    assert unchanged.exit_code == 0, unchanged.output
    assert f"identical to {ROOT / 'rubrics' / 'esg-2015-part1.yaml'}" in unchanged.output
    copy.write_text(shipped.read_text().replace("weight: 1.5", "weight: 2.5"))
    alone = run("rubrics", "validate", str(copy))
    assert alone.exit_code == 0, alone.output
    clash = run("rubrics", "validate", str(copy), "--against", str(ROOT / "rubrics"))
    assert clash.exit_code == 1, clash.output
    lines = [line for line in clash.output.splitlines() if line.strip()]
    assert lines == [
        f"{copy}:6: rubric 'esg-2015-part1' version 1.1.0 is also at {shipped}:6 with other"
        " content; a version is never changed in place: give this file a version above 1.1.0"
    ], lines
    copy.write_text(copy.read_text().replace('version: "1.1.0"', 'version: "1.2.0"'))
    newer = run("rubrics", "validate", str(copy), "--against", str(ROOT / "rubrics"))
    assert newer.exit_code == 0, newer.output
    assert "new version 1.2.0 of rubric 'esg-2015-part1'" in newer.output
    copy.write_text(copy.read_text().replace('version: "1.2.0"', 'version: "0.9"'))
    older = run("rubrics", "validate", str(copy), "--against", str(ROOT / "rubrics"))
    assert older.exit_code == 1, older.output
    assert "is older than the installed version 1.1.0" in older.output
    assert "Traceback" not in older.output


def test_rubrics_validate_against_a_missing_folder(tmp_path):
    result = run("rubrics", "validate", str(ROOT / "rubrics"), "--against", str(tmp_path / "no"))
    assert result.exit_code == 1
    assert result.output.strip() == f"{tmp_path / 'no'}:0: no such file or folder"


def test_rubrics_diff_and_publish(tmp_path, engine_env):
    shipped = ROOT / "rubrics" / "esg-2015-part1.yaml"
    draft = tmp_path / "drafts" / "esg-2015-part1.yaml"
    draft.parent.mkdir()
    draft.write_text(
        shipped.read_text()
        .replace('version: "1.1.0"', 'version: "1.2.0"')
        .replace("maps_to: [ESG-1.10, EU-P1]", "maps_to: [ESG-1.10, DigComp-4.4]")
    )
    diff = run("rubrics", "diff", "esg-2015-part1", str(draft))
    assert diff.exit_code == 0, diff.output
    assert "esg-2015-part1@1.1.0 → esg-2015-part1@1.2.0" in diff.output
    assert "maps_to of 'esg-1.10' gains DigComp-4.4" in diff.output
    assert "DigComp-4.4 Protecting the environment (DigComp 2.2) becomes covered" in diff.output
    published = run("rubrics", "publish", str(draft), "--reason", "DigComp 4.4 asked for")
    assert published.exit_code == 0, published.output
    assert "published esg-2015-part1 1.2.0" in published.output
    again = run("rubrics", "publish", str(draft))
    assert again.exit_code != 0
    assert "already the active version" in again.output
    stored = run("rubrics", "diff", "esg-2015-part1@1.2.0", "esg-2015-part1")
    assert stored.exit_code == 0 and "no change" in stored.output, stored.output
    missing = run("rubrics", "diff", "esg-2015-part1@7", "esg-2015-part1")
    assert missing.exit_code != 0
    assert "no version 7 of rubric 'esg-2015-part1' (known: 1.1.0, 1.2.0)" in missing.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("rubric:\n  id: bad\n  version: '1'\n  title: B\n  colour: red\n")
    refused = run("rubrics", "publish", str(bad))
    assert refused.exit_code != 0
    assert f"{bad}:5: unknown key 'colour' in rubric" in refused.output
    assert "Traceback" not in refused.output


def test_rubrics_validate_missing_path(tmp_path):
    result = run("rubrics", "validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1


def test_rubrics_list_show_coverage():
    assert "4eu-mici" in run("rubrics", "list").output
    shown = run("rubrics", "show", "esg-2015-part1")
    assert shown.exit_code == 0 and "esg-1.10" in shown.output
    cov = run("rubrics", "coverage", "4eu-mici")
    assert (
        cov.exit_code == 0
        and "every ESG standard, EU principle and standard element is covered" in cov.output
    )
    partial = run("rubrics", "coverage", "digital-green-skills")
    assert "missing" in partial.output
    unknown = run("rubrics", "show", "no-such-rubric")
    assert unknown.exit_code == 1


def test_rubrics_coverage_lists_digcomp_and_greencomp_competences():
    out = run("rubrics", "coverage", "digital-green-skills")
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "DigComp 2.2: 1 of 21 competences addressed; missed: DigComp-1.1 Browsing," in text
    assert "addressed: DigComp-4.4 Protecting the environment (dg-digcomp)" in text
    assert "DigComp-5.4 Identifying digital competence gaps" in text
    assert "GreenComp: 0 of 12 competences addressed; missed: GreenComp-1.1 Valuing" in text
    assert "GreenComp-4.3 Individual initiative" in text
    assert (
        "DigComp 2.2 areas addressed as a whole, counting for no competence: 5 of 5"
        " (DigComp-1 Information and data literacy," in text
    )
    assert "GreenComp areas addressed as a whole, counting for no competence: 4 of 4" in text
    # the alliance rubric includes the digital-green one: the same competences, through it
    alliance = " ".join(run("rubrics", "coverage", "4eu-mici").output.split())
    assert "DigComp 2.2: 1 of 21 competences addressed" in alliance
    assert "GreenComp: 0 of 12 competences addressed" in alliance


def test_init_import_list_cycle(fresh_env, tmp_path):
    assert run("init").exit_code == 0
    assert "already present" in run("init").output
    samples = ROOT / "qa_engine" / "samples" / "credentials.json"
    out = run("credentials", "import", str(samples))
    assert out.exit_code == 0, out.output
    assert "10 new" in out.output
    listed = run("credentials", "list")
    assert "CUNI-MC-2026-01" in listed.output or "CUNI" in listed.output

    bad = tmp_path / "bad.json"
    items = json.loads(samples.read_text(encoding="utf-8"))
    items[2]["ects"] = "abc"
    items[2]["title"] = "A changed title that must not be stored"
    bad.write_text(json.dumps(items), encoding="utf-8")
    result = run("credentials", "import", str(bad))
    assert result.exit_code == 1
    assert "$[2].ects" in result.output
    assert "A changed title" not in run("credentials", "list").output


def test_template_then_import_empty_is_an_error(fresh_env, tmp_path):
    run("init")
    out = tmp_path / "template.xlsx"
    assert run("credentials", "template", str(out)).exit_code == 0
    result = run("credentials", "import", str(out))
    assert result.exit_code == 1
    assert "no credential rows" in result.output


def test_import_of_a_non_spreadsheet(fresh_env, tmp_path):
    run("init")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"%PDF-1.7 not a workbook")
    result = run("credentials", "import", str(junk))
    assert result.exit_code == 1
    assert "not an .xlsx workbook" in result.output
    assert "Traceback" not in result.output


def test_import_of_a_damaged_workbook_names_the_file_not_the_exception(fresh_env, tmp_path):
    import io
    import zipfile

    run("init")
    template = tmp_path / "template.xlsx"
    run("credentials", "template", str(template))
    damaged = io.BytesIO()
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            broken = info.filename.startswith("xl/worksheets/")
            dst.writestr(info.filename, b"<worksheet><sheetData" if broken else src.read(info))
    path = tmp_path / "spring courses.xlsx"
    path.write_bytes(damaged.getvalue())
    result = run("credentials", "import", str(path))
    assert result.exit_code == 1
    assert "spring courses.xlsx: the workbook is damaged" in result.output
    for name in ("XMLSyntaxError", "ParseError", "Error:", "Traceback"):
        assert name not in result.output


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("QA_TRUST_ROOTS", "[bad", "QA_TRUST_ROOTS: cannot be read"),
        (
            "QA_PREFECT_IDLE_MINUTES",
            "abc",
            "QA_PREFECT_IDLE_MINUTES: Input should be a valid number",
        ),
    ],
)
def test_an_unusable_setting_is_named_without_an_exception_class(
    fresh_env, monkeypatch, name, value, said
):
    from qa_engine.config import reset_settings

    monkeypatch.setenv(name, value)
    reset_settings()
    result = run("rubrics", "list")
    assert result.exit_code == 1
    assert "the settings (QA_* environment variables or .env) are not valid" in result.output
    assert said in result.output
    assert "Error" not in result.output and "QA_DEBUG" not in result.output
    monkeypatch.delenv(name)
    reset_settings()


def test_rubrics_diff_of_two_files_needs_no_data_folder(tmp_path, monkeypatch):
    from qa_engine.config import reset_settings

    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    try:
        shipped = ROOT / "rubrics" / "esg-2015-part1.yaml"
        draft = tmp_path / "esg.yaml"
        draft.write_text(shipped.read_text().replace("weight: 1.5", "weight: 3"))
        result = run("rubrics", "diff", str(shipped), str(draft))
    finally:
        reset_settings()
    assert result.exit_code == 0, result.output
    assert "weight of 'esg-1.2' raised from 1.5 to 3" in result.output
    assert not (tmp_path / "data").exists()
