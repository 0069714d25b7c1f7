"""The reporting stage: the files of a decision (requested once, generated once): the signed PDF
report and its workbook, then the interop exports of that decision; then close the case or open the
next round."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qa_engine.domain import i18n
from qa_engine.domain.case_states import CaseState, require_state
from qa_engine.domain.decision_record import ExportInvalid
from qa_engine.domain.errors import Conflict, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.outcomes import APPROVING, Outcome
from qa_engine.domain.report import make_report_id
from qa_engine.domain.roles import SYSTEM
from qa_engine.domain.statuses import ReportStatus
from qa_engine.services import access, audit
from qa_engine.services.cases import record_round
from qa_engine.services.context import now, transition, workflow_settings
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store.models import Case, Decision, Institution, Report

REPORT_KINDS = ("pdf", "xlsx")
# Every file is made in English, the alliance's working language. The signed PDF and its workbook
# are also made in the language the provider's institution asks for
# (`Institution.report_language`), or on demand (`qa-engine reports pdf --language`); each is
# signed (the PDF) and registered under its own report id (`QA-2026-000123-R1-CS`).
LANGUAGE_KINDS = REPORT_KINDS
# The interop exports, generated after the PDF (they state its SHA-256), one file each:
# elm   the ELM v3 Qualification with its Accreditation, sealed as EDC seals (JAdES)
# edc   a sample EuropeanDigitalCredential issued from that Qualification, sealed likewise
# ob3   a sample Open Badges 3.0 AchievementCredential, as a VC-JWT
# deqar the DEQAR-shaped report record (JSON)
# A refusal (rejected, revision requested) has the DEQAR record only: no Qualification or
# Achievement is ever made of it.
EXPORT_KINDS = ("elm", "edc", "ob3", "deqar")
REFUSAL_EXPORT_KINDS = ("deqar",)


def export_kinds_for(outcome: str) -> tuple[str, ...]:
    """The export files a decision with this outcome has."""
    return EXPORT_KINDS if outcome in APPROVING else REFUSAL_EXPORT_KINDS


def kinds_for(decision: Decision) -> tuple[str, ...]:
    """Every file of this decision, in the order they are generated."""
    return REPORT_KINDS + export_kinds_for(decision.outcome)


def files_done(rows: list[Report | None], *, require_generated: bool = True) -> bool:
    """Whether every file of a decision is settled: generated, or (an export) failed with its
    error recorded. `require_generated=False`: requested is enough."""
    for row in rows:
        if row is None:
            return False
        if not require_generated:
            continue
        if row.status == ReportStatus.GENERATED:
            continue
        if row.kind in EXPORT_KINDS and row.status == ReportStatus.FAILED:
            continue
        return False
    return True


def report_id_for(decision: Decision, kind: str, language: str = i18n.DEFAULT) -> str:
    """Return the public id of this decision's report of this kind, in this language."""
    return make_report_id(
        year=decision.decided_at.year,
        case_id=decision.case_id,
        round=decision.round,
        kind=kind,
        language=language,
    )


def institution_language(session: Session, case_id: int) -> str | None:
    """The language besides English the case's provider institution asks its reports in."""
    case = case_repo.get_case(session, case_id)
    inst = session.get(Institution, case.institution_id) if case else None
    lang = i18n.supported(inst.report_language) if inst else None
    return lang if lang and lang != i18n.DEFAULT else None


def rows_of(session: Session, decision: Decision) -> list[Report | None]:
    """The rows of every file of this decision: the English files, then those in the language
    its institution asks for (None where a row is not requested yet)."""
    decision_id = saved_id(decision)
    rows = [case_repo.get_report(session, decision_id, k) for k in kinds_for(decision)]
    lang = institution_language(session, decision.case_id)
    if lang:
        rows += [case_repo.get_report(session, decision_id, k, lang) for k in LANGUAGE_KINDS]
    return rows


def current_decision(session: Session, case: Case) -> Decision:
    decision = case_repo.get_decision(session, saved_id(case), case.round)
    if decision is None:
        raise Conflict(f"case {case.id} has no decision for round {case.round}")
    return decision


def request_reports(*, session: Session, case_id: int) -> list[Report]:
    """Create the report rows of the current decision unless they exist (exactly once)."""
    case = case_repo.get_case(session, case_id)
    if case is None:
        raise access.not_found(case_id)
    require_state(case.state, CaseState.REPORTING, action="request reports")
    decision = current_decision(session, case)
    return request_files(session=session, decision=decision)


def request_files(*, session: Session, decision: Decision) -> list[Report]:
    """Create the rows of every file of this decision unless they exist (exactly once): in
    English, and the signed report and its workbook in the language the provider's institution
    asks for."""
    wanted = [(kind, i18n.DEFAULT) for kind in kinds_for(decision)]
    lang = institution_language(session, decision.case_id)
    if lang:
        wanted += [(kind, lang) for kind in LANGUAGE_KINDS]
    return [_request(session, decision, kind, language) for kind, language in wanted]


def request_language_files(*, session: Session, decision: Decision, language: str) -> list[Report]:
    """The rows of the signed report and its workbook of this decision in `language` (created
    unless they exist): a report asked for on demand."""
    lang = i18n.supported(language)
    if lang is None or lang != language:
        raise ValidationFailed(
            N_("A report is written in one of %(languages)s, not %(language)s."),
            languages=", ".join(i18n.LANGUAGES),
            language=language,
        )
    return [_request(session, decision, kind, lang) for kind in LANGUAGE_KINDS]


def _request(session: Session, decision: Decision, kind: str, language: str) -> Report:
    decision_id = saved_id(decision)
    case_id = decision.case_id
    row = case_repo.get_report(session, decision_id, kind, language)
    if row is not None:
        return row
    row = Report(
        decision_id=decision_id,
        case_id=case_id,
        kind=kind,
        language=language,
        report_id=report_id_for(decision, kind, language),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # requested at the same moment by another run: keep theirs
        row = case_repo.get_report(session, decision_id, kind, language)
        if row is None:
            raise
    else:
        audit.record(
            session,
            actor=SYSTEM,
            action="report.requested",
            subject_type="case",
            subject_id=case_id,
            payload={
                "report_id": row.report_id,
                "kind": kind,
                "language": language,
                "decision_id": decision.id,
            },
        )
    return row


Generator = Callable[[Session, Report], None]


def generate_reports(
    *, session: Session, case_id: int, generator: Generator | None
) -> list[Report]:
    """Generate every requested file of the current decision with `generator` (which sets path and
    hash)."""
    rows = request_reports(session=session, case_id=case_id)
    return generate_files(session=session, rows=rows, generator=generator)


def generate_files(
    *, session: Session, rows: list[Report], generator: Generator | None, retry: bool = False
) -> list[Report]:
    """Generate these rows in order unless generated. An export that cannot be made truthfully
    (`ExportInvalid`) is recorded as failed with its reason (`report.failed`) and not attempted
    again unless `retry` (the `qa-engine export` command); any other error propagates and leaves
    the row requested for the next run."""
    for row in rows:
        if row.status == ReportStatus.GENERATED or generator is None:
            continue
        if row.status == ReportStatus.FAILED and not retry:
            continue
        try:
            with session.begin_nested():
                generator(session, row)
        except ExportInvalid as exc:
            if row.kind not in EXPORT_KINDS:
                raise
            session.refresh(row)
            row.status = ReportStatus.FAILED
            row.error = exc.message
            session.add(row)
            session.flush()
            audit.record(
                session,
                actor=SYSTEM,
                action="report.failed",
                subject_type="case",
                subject_id=row.case_id,
                payload={"report_id": row.report_id, "kind": row.kind, "error": exc.message},
            )
            continue
        row.status = ReportStatus.GENERATED
        row.generated_at = now()
        row.error = ""
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=SYSTEM,
            action="report.generated",
            subject_type="case",
            subject_id=row.case_id,
            payload={
                "report_id": row.report_id,
                "kind": row.kind,
                "language": row.language,
                "sha256": row.sha256,
                "path": row.path,
            },
        )
    return rows


def finish_reporting(*, session: Session, case_id: int, require_generated: bool = True) -> Case:
    """Close the case, or open the next round after a revision request."""
    case = case_repo.get_case(session, case_id)
    if case is None:
        raise access.not_found(case_id)
    require_state(case.state, CaseState.REPORTING, action="finish reporting")
    decision = current_decision(session, case)
    rows = rows_of(session, decision)
    if not files_done(rows, require_generated=require_generated):
        raise Conflict(
            f"case {case.id}: the reports of decision {decision.id} are not generated yet"
        )
    if decision.outcome == Outcome.REVISION_REQUESTED.value:
        case.round += 1
        record_round(session, case)  # the version of round 1 until a revision is submitted
        case.extra_reviewers_requested = 0
        case.due_at = now() + timedelta(days=workflow_settings().deadlines_days.self_assessment)
        transition(
            session,
            case,
            CaseState.SELF_ASSESSMENT,
            actor=SYSTEM,
            payload={"new_round": case.round, "decision_id": decision.id},
        )
    else:
        case.outcome = decision.outcome
        case.due_at = None
        transition(
            session,
            case,
            CaseState.CLOSED,
            actor=SYSTEM,
            payload={"outcome": decision.outcome, "decision_id": decision.id},
        )
    return case
