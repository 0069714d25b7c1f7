"""A case's report in its institution's language (issue 17): an institution that asks for one gets
the signed report and its workbook twice, in English and in its language, each registered under
its own report id and verified as issued; a report in another language on demand from the CLI;
the setting refuses a language the engine does not speak."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa_engine.adapters.report_files import ReportFiles, signature_checker
from qa_engine.adapters.translations import translations
from qa_engine.cli.main import app
from qa_engine.domain.errors import NotFound, ValidationFailed
from qa_engine.domain.rubric_i18n import localised
from qa_engine.services import cases as case_service
from qa_engine.services import institutions, reporting
from qa_engine.services.report_files import report_generator, verify_bytes
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from qa_engine.store.models import Institution
from tests.helpers import people
from tests.services.test_reports_from_cases import _decided_case


def tr(text: str, lang: str) -> str:
    return translations(lang).gettext(text)


def _pdftotext(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def _institution_of(session, case_id: int) -> Institution:
    case = case_repo.get_case(session, case_id)
    inst = session.get(Institution, case.institution_id)
    assert inst is not None
    return inst


def _generate(session, rows):
    files = [r for r in rows if r.kind in reporting.REPORT_KINDS]
    return reporting.generate_files(
        session=session, rows=files, generator=report_generator(ReportFiles.from_settings())
    )


def test_the_institutions_language_gives_a_second_signed_registered_report(engine_env):
    from qa_engine.cli.main import initialise_all

    initialise_all()
    with session_scope() as s:
        p = people(s)
        case_id = _decided_case(s, p)
        code = _institution_of(s, case_id).code
        institutions.set_report_language(session=s, code=code, language="cs")
        rows = _generate(s, reporting.request_reports(session=s, case_id=case_id))
        made = {(r.kind, r.language): (r.report_id, r.path, r.status) for r in rows}
        decision = reporting.current_decision(s, case_repo.get_case(s, case_id))
        # the English files as before; the institution's language beside them
        assert reporting.rows_of(s, decision)[-2:] == [
            case_repo.get_report(s, decision.id, "pdf", "cs"),
            case_repo.get_report(s, decision.id, "xlsx", "cs"),
        ]
    english_id, english_path, _ = made[("pdf", "en")]
    czech_id, czech_path, status = made[("pdf", "cs")]
    assert status == "generated" and made[("xlsx", "cs")][2] == "generated"
    assert czech_id == english_id + "-CS"
    assert made[("xlsx", "cs")][0] == english_id + "-CS-XLSX"
    assert english_path != czech_path
    for path, report_id in ((english_path, english_id), (czech_path, czech_id)):
        data = Path(path).read_bytes()
        with session_scope() as s:
            result = verify_bytes(data, session=s, check_signature=signature_checker())
        assert result.ok and result.registered is True, result.headline
        assert result.verdict.report_id == report_id
    assert Path(czech_path).read_bytes() != Path(english_path).read_bytes()
    # the rubric's own texts in the report's language (the shipped rubrics carry all seven)
    if shutil.which("pdftotext"):
        with session_scope() as s:
            rubric = case_service.rubric_of(s, case_repo.get_case(s, case_id))
        czech = localised(rubric, "cs").criteria[0].criterion.title
        english = rubric.criteria[0].criterion.title
        assert czech != english
        text = " ".join(_pdftotext(Path(czech_path).read_bytes()).split())
        assert " ".join(czech.split())[:40] in text
        assert tr("1. The credential", "cs") in text
    # both listed with the case, each with its language
    with session_scope() as s:
        listed = {(r.kind, r.language) for r in case_repo.reports_of(s, case_id)}
    assert {("pdf", "en"), ("xlsx", "en"), ("pdf", "cs"), ("xlsx", "cs")} <= listed
    # the command line checks either
    runner = CliRunner()
    for path in (english_path, czech_path):
        res = runner.invoke(app, ["reports", "verify", path])
        assert res.exit_code == 0 and "Valid" in res.output, res.output


def test_without_the_setting_only_english_is_made(engine_env):
    from qa_engine.cli.main import initialise_all

    initialise_all()
    with session_scope() as s:
        p = people(s)
        case_id = _decided_case(s, p)
        rows = reporting.request_reports(session=s, case_id=case_id)
        assert {r.language for r in rows} == {"en"}


def test_a_report_in_a_language_on_demand_from_the_cli(engine_env):
    from qa_engine.cli.main import initialise_all

    initialise_all()
    with session_scope() as s:
        p = people(s)
        case_id = _decided_case(s, p)
        _generate(s, reporting.request_reports(session=s, case_id=case_id))
    runner = CliRunner()
    res = runner.invoke(app, ["reports", "pdf", str(case_id), "--language", "pl"])
    assert res.exit_code == 0, res.output
    with session_scope() as s:
        decision = reporting.current_decision(s, case_repo.get_case(s, case_id))
        row = case_repo.get_report(s, decision.id, "pdf", "pl")
        assert row is not None and row.status == "generated" and row.report_id.endswith("-PL")
        path, digest = row.path, row.sha256
    verified = runner.invoke(app, ["reports", "verify", path])
    assert verified.exit_code == 0 and "Valid" in verified.output, verified.output
    # asked again: the report made is kept, not made twice
    again = runner.invoke(app, ["reports", "pdf", str(case_id), "--language", "pl"])
    assert again.exit_code == 0 and "-R1-PL (pdf, pl)" in again.output, again.output
    with session_scope() as s:
        row = case_repo.get_report(s, decision.id, "pdf", "pl")
        assert row is not None and (row.path, row.sha256) == (path, digest)
    refused = runner.invoke(app, ["reports", "pdf", str(case_id), "--language", "xx"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output


def test_the_setting_from_the_cli_and_its_checks(engine_env):
    runner = CliRunner()
    res = runner.invoke(app, ["institutions", "report-language", "CUNI", "cs"])
    assert res.exit_code == 0 and "English and Czech (cs)" in res.output, res.output
    listed = runner.invoke(app, ["institutions", "list"])
    assert listed.exit_code == 0 and "cs" in listed.output
    with session_scope() as s:
        inst = s.exec(
            Institution.__table__.select().where(Institution.code == "CUNI")  # type: ignore[attr-defined]
        ).one()
        assert inst.report_language == "cs"
    assert runner.invoke(app, ["institutions", "report-language", "CUNI", "xx"]).exit_code != 0
    assert runner.invoke(app, ["institutions", "report-language", "NOPE", "cs"]).exit_code != 0
    res = runner.invoke(app, ["institutions", "report-language", "CUNI", "none"])
    assert res.exit_code == 0 and "English only" in res.output
    with session_scope() as s:
        with pytest.raises(ValidationFailed):
            institutions.set_report_language(session=s, code="CUNI", language="fr-CA-x")
        with pytest.raises(NotFound):
            institutions.set_report_language(session=s, code="NOPE", language="fr")
        inst = institutions.set_report_language(session=s, code="cuni", language="en")
        assert inst.report_language is None  # English is made anyway
