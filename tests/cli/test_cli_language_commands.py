"""The commands that speak to people follow the command line's language (issue 17): `rubrics
validate` keeps `FILE:LINE:` and its exit code in every language, the replay and calibration tables
and `institutions list` are in it, and English is the default; the replay page follows the page's
language."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from qa_engine.adapters.rubric_evidence import calibration_tables, replay_tables
from qa_engine.adapters.translations import translations
from qa_engine.cli.common import LANGUAGE_VARIABLES
from qa_engine.cli.main import app
from qa_engine.config import get_settings
from qa_engine.domain.calibration import CalibrationReport
from qa_engine.domain.i18n import N_, Np_, Phrase
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.replay import Change, ReplayReport

runner = CliRunner()
NOTHING = dict.fromkeys(LANGUAGE_VARIABLES)  # CliRunner: None unsets a variable
DUPLICATE = "duplicate key '%(key)s'"


def run(*args: str, **env: str | None):
    return runner.invoke(app, list(args), env={**NOTHING, **env}, catch_exceptions=False)


def _broken(tmp_path):
    text = (get_settings().rubrics_dir / "4eu-mici.yaml").read_text()
    lines = text.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("  version:"))
    lines.insert(first + 1, lines[first])  # the same key twice
    path = tmp_path / "broken.yaml"
    path.write_text("".join(lines))
    return path, first + 2


def test_rubrics_validate_speaks_czech_and_keeps_file_line_and_exit_code(tmp_path):
    path, line = _broken(tmp_path)
    english = run("rubrics", "validate", str(path))
    czech = run("rubrics", "validate", str(path), LANG="cs_CZ.UTF-8")

    assert english.exit_code == czech.exit_code == 1
    expected_en = f"{path}:{line}: " + DUPLICATE % {"key": "version"}
    assert expected_en in english.output, english.output
    cs_text = translations("cs").gettext(DUPLICATE) % {"key": "version"}
    assert cs_text != DUPLICATE % {"key": "version"}
    assert f"{path}:{line}: {cs_text}" in czech.output, czech.output
    assert "duplicate key" not in czech.output


def test_rubrics_validate_of_a_missing_path_in_german(tmp_path):
    gone = tmp_path / "gone.yaml"
    english = run("rubrics", "validate", str(gone))
    german = run("rubrics", "validate", str(gone), QA_LANGUAGE="de")
    assert english.exit_code == german.exit_code == 1
    assert f"{gone}:0: no such file or folder" in english.output
    assert f"{gone}:0: Datei oder Ordner nicht gefunden" in german.output


def test_rubrics_list_headings_follow_the_language():
    assert "Rubrics" in run("rubrics", "list").output
    polish = run("rubrics", "list", LANG="pl_PL.UTF-8")
    assert polish.exit_code == 0 and "wersja" in polish.output, polish.output


def test_institutions_in_german_and_english_by_default(engine_env):
    assert run("institutions", "report-language", "CUNI", "cs").exit_code == 0
    english = run("institutions", "list")
    german = run("institutions", "list", QA_LANGUAGE="de")
    assert english.exit_code == german.exit_code == 0
    assert "report language" in english.output and "English only" in english.output
    assert "English and Czech" in english.output
    assert "Berichtssprache" in german.output and "nur Englisch" in german.output, german.output
    assert "Englisch und" in german.output and "Tschechisch" in german.output
    assert "English only" not in german.output
    said = run("institutions", "report-language", "CUNI", "none", LANG="da_DK.UTF-8")
    assert "CUNI: sagsrapporter kun på engelsk" in said.output, said.output


@pytest.fixture
def history(fresh_env):
    got = run("dev", "generate", "--credentials", "1", "--reviewers-per-institution", "1",
              "--seed", "5", "--history", "30")  # fmt: skip
    assert got.exit_code == 0, got.output
    return fresh_env


def test_replay_and_calibrate_tables_in_french(history):
    english = run("rubrics", "replay", "4eu-mici")
    french = run("rubrics", "replay", "4eu-mici", QA_LANGUAGE="fr")
    assert english.exit_code == french.exit_code == 0
    assert "Recommended outcomes before and after" in english.output
    assert "Replay of 4eu-mici" in english.output
    out = " ".join(french.output.split())
    assert "Rejeu de 4eu-mici" in out, french.output
    assert "Résultats recommandés avant et après" in out
    assert "Effet par établissement" in out
    assert "Recommended outcomes" not in out

    calibrated = run("rubrics", "calibrate", "4eu-mici", QA_LANGUAGE="fr")
    assert calibrated.exit_code == 0, calibrated.output
    out = " ".join(calibrated.output.split())
    assert "Calibrage de 4eu-mici" in out
    assert "Critères classés selon l’intérêt de les reformuler" in out
    assert "Criteria ranked" not in out


def test_the_tables_are_english_by_default_and_translated_when_asked():
    replay = ReplayReport(rubric_id="r", version="2.0.0", content_hash="0" * 64)
    calibration = CalibrationReport(rubric_id="r", version="2.0.0", threshold=1.0)
    assert replay_tables(replay)[0].title == "Recommended outcomes that would change"
    assert replay_tables(replay)[0].headers[0] == "case"
    assert calibration_tables(calibration)[0].headers[0] == "rank"
    czech = replay_tables(replay, "cs")
    assert czech[0].title == "Doporučené výsledky, které by se změnily"
    assert czech[0].headers[0] == "případ"
    assert calibration_tables(calibration, "pl")[0].title.startswith("Kryteria uszeregowane")


def test_a_change_and_its_reason_in_the_readers_language():
    reason = Phrase(Np_(N_("gate %(criterion)s ≥ %(level)s is removed"), criterion="c1", level=3))
    change = Change(
        case_id=7, round=1, institution="CUNI", field="0613", eqf=6, decided="2026-03-05",
        before=Outcome.REJECTED, after=Outcome.APPROVED, overall_before=0.5, overall_after=0.7,
        reasons=(reason,),
    )  # fmt: skip
    report = ReplayReport(rubric_id="r", version="2.0.0", content_hash="0", rounds=1,
                          changes=[change])  # fmt: skip
    english = replay_tables(report)[0]
    assert english.rows[0][5] == "Mar 5, 2026"
    assert english.rows[0][-1] == "gate c1 ≥ 3 is removed"
    assert english.note.startswith(
        "r 2.0.0 replayed over 1 decided round: 1 recommended outcome would change ("
    )
    german = replay_tables(report, "de")[0]
    assert german.rows[0][5] == "05.03.2026"
    assert german.rows[0][-1] == "Mindestanforderung c1 ≥ 3 entfällt"
    assert german.note.startswith("r 2.0.0 auf 1 entschiedene Runde angewandt: 1 empfohlenes")


def test_the_period_is_written_in_the_readers_way():
    from datetime import date

    from qa_engine.adapters.translations import format_date, translations
    from qa_engine.services.rubric_replay import Period

    period = Period(date(2026, 3, 5), None)
    assert period.words() == "decided 2026-03-05 – today"
    czech = period.words(translations("cs").gettext, lambda d: format_date(d, "cs"))
    assert "5. 3. 2026" in czech and "2026-03-05" not in czech


def test_rubrics_diff_in_polish(tmp_path):
    shipped = get_settings().rubrics_dir / "esg-2015-part1.yaml"
    draft = tmp_path / "esg.yaml"
    draft.write_text(shipped.read_text().replace("weight: 1.5", "weight: 3"))
    english = run("rubrics", "diff", str(shipped), str(draft))
    polish = run("rubrics", "diff", str(shipped), str(draft), LANG="pl_PL.UTF-8")
    assert english.exit_code == polish.exit_code == 0
    assert "weights:" in english.output and "coverage: unchanged" in english.output
    pl = translations("pl")
    assert f"{pl.gettext('weights')}:" in polish.output, polish.output
    assert "pokrycie: bez zmian" in polish.output
    assert "raised from" not in polish.output


def test_rubrics_coverage_in_german_and_english():
    english = run("rubrics", "coverage", "4eu-mici")
    german = run("rubrics", "coverage", "4eu-mici", QA_LANGUAGE="de")
    assert english.exit_code == german.exit_code == 0
    assert "competences addressed" in english.output
    assert "Kompetenzen behandelt" in german.output, german.output
    assert "competences addressed" not in german.output
