"""The interop exports of a decision, the store's half: the `DecisionRecord` of a decision (what the
ELM, Open Badges and DEQAR exports and the public decision page state), generating an export file
and recording where it is and its SHA-256, and finding them again: publicly by the decision's id
(the signed PDF's report id), or for the people of the case.

Rendering, validating, sealing and writing the files are the adapters'
(`qa_engine.adapters.export_files`); the entry points pass them in, as for the reports.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from sqlmodel import Session

from qa_engine.config import get_settings
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.decision_record import DecisionRecord, ExportInvalid
from qa_engine.domain.errors import Conflict, NotFound, QAError, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.interop_profile import (
    InteropProfile,
    InteropProfileError,
    load_interop_profile,
)
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.statuses import ReportStatus
from qa_engine.services import access, reporting
from qa_engine.services.cases import credential_version_for_round, rubric_and_hash_of
from qa_engine.services.context import now
from qa_engine.services.report_files import ReportOutput, generate_report
from qa_engine.services.rows import get_or_raise, saved_id
from qa_engine.store import case_repo
from qa_engine.store.models import Case, Decision, Institution, Report, User

# the format each kind of export file is written in, stored with the row as its template version
FORMAT_VERSIONS = {
    "elm": "elm-3/jades",
    "edc": "elm-3-edc/jades",
    "ob3": "ob-3.0/vc-jwt",
    "deqar": "deqar-2",
}

KIND_NAMES = {
    "elm": N_("ELM Qualification"),
    "edc": N_("sample European Digital Credential"),
    "ob3": N_("Open Badges 3.0 credential"),
    "deqar": N_("DEQAR record"),
}


def interop_profile() -> InteropProfile:
    """The interop profile the settings name (`QA_INTEROP_PROFILE`), checked."""
    return _profile(str(get_settings().interop_profile))


def _profile(path: str) -> InteropProfile:
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        mtime = 0.0
    return _load(path, mtime)


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> InteropProfile:
    del mtime  # part of the cache key: an edited file is read again
    return load_interop_profile(Path(path))


# --------------------------------------------------------------------------- the record


def build_record(
    session: Session, case: Case, decision: Decision, *, as_of: date | None = None
) -> DecisionRecord:
    """The record of one decision of one case, as the exports and the public page state it."""
    settings = get_settings()
    profile = interop_profile()
    version = credential_version_for_round(session, case, decision.round)
    rubric, _ = rubric_and_hash_of(session, case)
    inst = get_or_raise(session, Institution, case.institution_id, what="institution")
    approver = session.get(User, decision.decided_by_id) if decision.decided_by_id else None
    pdf = case_repo.get_report(session, saved_id(decision), "pdf")
    return DecisionRecord(
        report_id=reporting.report_id_for(decision, "pdf"),
        case_id=saved_id(case),
        round=decision.round,
        credential_id=case.credential_id,
        credential_version=version.number,
        credential=parse_credential(version.data),
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        outcome=Outcome(decision.outcome),
        rationale=decision.rationale,
        conditions=tuple(decision.conditions or ()),
        decided_at=decision.decided_at,
        decided_by=approver.full_name if approver else "the approver",
        valid_until=decision.valid_until.date() if decision.valid_until else None,
        provider=profile.institution(
            inst.code,
            name=inst.name,
            local_name=inst.local_name,
            country=inst.country,
            city=inst.city,
        ),
        qa_office=profile.office(),
        base_url=settings.base_url.rstrip("/"),
        report_sha256=pdf.sha256 if pdf and pdf.status == ReportStatus.GENERATED else None,
        deqar_activity_id=profile.deqar_activity_id,
        as_of=as_of or now().date(),
        superseded_by=_superseded_by(session, decision),
    )


def _superseded_by(session: Session, decision: Decision) -> str | None:
    later = case_repo.next_decision_on_credential(session, decision)
    if later is None:
        return None
    pdf = case_repo.get_report(session, saved_id(later), "pdf")
    return pdf.report_id if pdf and pdf.status == ReportStatus.GENERATED else None


# --------------------------------------------------------------------------- generating files


class ExportOutput(Protocol):
    """Turns a decision record into the bytes of one export file (validated, sealed where the
    format is) and keeps them beside the reports."""

    def render(self, record: DecisionRecord, kind: str, *, at: datetime) -> bytes:
        """The file of this kind; `ExportInvalid` when it cannot be made truthfully."""
        ...

    def write(self, *, case_id: int, report_id: str, kind: str, payload: bytes) -> Path:
        """Keep the file (atomically, at a path that depends only on its arguments); return the
        path."""
        ...


def generate_export(session: Session, row: Report, *, output: ExportOutput) -> None:
    """Render one requested export of a decision whose signed PDF exists, and record where it is
    and its SHA-256."""
    decision = get_or_raise(session, Decision, row.decision_id, what="decision")
    case = access.get_case_or_raise(session, row.case_id)
    pdf = case_repo.get_report(session, row.decision_id, "pdf")
    if pdf is None or pdf.status != ReportStatus.GENERATED:
        raise Conflict(
            N_("case %(case)s: the signed report of round %(round)s comes before its exports"),
            case=case.id,
            round=decision.round,
        )
    try:
        record = build_record(session, case, decision)
    except InteropProfileError as exc:
        raise ExportInvalid("QA_INTEROP_PROFILE", "; ".join([exc.message, *exc.details])) from None
    payload = output.render(record, row.kind, at=now())
    path = output.write(
        case_id=row.case_id, report_id=row.report_id, kind=row.kind, payload=payload
    )
    row.path = str(path)
    row.sha256 = hashlib.sha256(payload).hexdigest()
    row.template_version = FORMAT_VERSIONS[row.kind]
    session.add(row)


def files_generator(reports: ReportOutput, exports: ExportOutput) -> reporting.Generator:
    """The generator of every file of a decision: the reports, then the exports, by kind."""

    def generate(session: Session, row: Report) -> None:
        if row.kind in reporting.EXPORT_KINDS:
            generate_export(session, row, output=exports)
        else:
            generate_report(session, row, output=reports)

    return generate


# --------------------------------------------------------------------------- reading them


class UnavailableRecord(QAError):
    """A public decision record the engine cannot state now (its configuration is not valid)."""

    status = 503
    code = "unavailable"


@dataclass(frozen=True)
class ExportFile:
    """One generated file of a decision, as anyone downloads it."""

    kind: str
    report_id: str
    sha256: str
    path: Path
    generated_at: datetime | None


@dataclass(frozen=True)
class PublicDecision:
    """The public decision record: the record and the files that anyone may download (the signed
    PDF, then the exports)."""

    record: DecisionRecord
    files: list[ExportFile]

    def file(self, kind: str) -> ExportFile | None:
        return next((f for f in self.files if f.kind == kind), None)


PUBLIC_KINDS = ("pdf", *reporting.EXPORT_KINDS)


def _public_rows(session: Session, report_id: str) -> tuple[Case, Decision, list[Report]]:
    missing = NotFound(f"decision {report_id} not found")
    if not looks_like_report_id(report_id):
        raise missing
    pdf = case_repo.get_report_by_report_id(session, report_id)
    if pdf is None or pdf.kind != "pdf" or pdf.status != ReportStatus.GENERATED:
        raise missing
    decision = get_or_raise(session, Decision, pdf.decision_id, what="decision")
    case = access.get_case_or_raise(session, pdf.case_id)
    rows = [
        r
        for r in (case_repo.get_report(session, pdf.decision_id, k) for k in PUBLIC_KINDS)
        if r is not None
    ]
    return case, decision, rows


def looks_like_report_id(report_id: str) -> bool:
    """Whether this looks like a report id at all (anything else is not looked up)."""
    return 0 < len(report_id) <= 40 and all(c.isalnum() or c == "-" for c in report_id)


def _files(rows: list[Report]) -> list[ExportFile]:
    return [
        ExportFile(r.kind, r.report_id, r.sha256, Path(r.path), r.generated_at)
        for r in rows
        if r.status == ReportStatus.GENERATED and r.path and r.sha256
    ]


def public_decision(*, session: Session, report_id: str) -> PublicDecision:
    """The public record of a decision by its id (its signed PDF's report id), for anyone; NotFound
    for an unknown id or a decision whose signed report is not generated yet."""
    case, decision, rows = _public_rows(session, report_id)
    try:
        record = build_record(session, case, decision)
    except InteropProfileError:
        # its problems name files on the server: they are for the QA office (`qa-engine export`
        # shows them), not for the public
        raise UnavailableRecord(
            N_(
                "the record of decision %(id)s cannot be shown now: the engine's interop"
                " profile is not valid; the QA office can correct it"
            ),
            id=report_id,
        ) from None
    return PublicDecision(record, _files(rows))


def public_file(*, session: Session, report_id: str, kind: str) -> ExportFile:
    """One public file of a decision (`pdf` or an export kind), for anyone; else NotFound."""
    _, _, rows = _public_rows(session, report_id)
    found = next((f for f in _files(rows) if f.kind == kind), None)
    if found is None:
        raise NotFound(N_("decision %(id)s has no %(kind)s file"), id=report_id, kind=kind)
    return found


# --------------------------------------------------------------------------- for the case's people


@dataclass(frozen=True)
class ExportLine:
    """One export row of a case as its page lists it."""

    row: Report
    name: str
    decision_id: str  # the public id of its decision (the PDF's report id)


def export_lines(*, session: Session, actor: Actor, case: Case) -> list[ExportLine]:
    """The export rows of the case's decisions for someone who may download them (none for anyone
    else), newest decision first."""
    if not may_download_exports(actor, case):
        return []
    by_decision = {d.id: d for d in case_repo.decisions_of(session, saved_id(case))}
    rows = [r for r in case_repo.reports_of(session, saved_id(case)) if r.kind in KIND_NAMES]
    rows.sort(key=lambda r: (-by_decision[r.decision_id].round, r.id or 0))
    return [
        ExportLine(
            r, KIND_NAMES[r.kind], reporting.report_id_for(by_decision[r.decision_id], "pdf")
        )
        for r in rows
    ]


def may_download_exports(actor: Actor, case: Case) -> bool:
    """QA officers and approvers, and the providers of the case's institution."""
    return actor.has(Role.QA_OFFICER, Role.APPROVER) or access.is_provider_of(actor, case)


def _decision_of(session: Session, case: Case, round_: int | None) -> Decision:
    if round_ is not None:
        decision = case_repo.get_decision(session, saved_id(case), round_)
        if decision is None:
            raise NotFound(
                N_("case %(case)s has no decision in round %(round)s"), case=case.id, round=round_
            )
        return decision
    decisions = case_repo.decisions_of(session, saved_id(case))
    if not decisions:
        raise NotFound(N_("case %(case)s is not decided yet: it has no exports"), case=case.id)
    return decisions[-1]


def _kind_refused(case: Case, decision: Decision, kind: str) -> NotFound:
    outcome = Outcome(decision.outcome).label
    deqar = reporting.report_id_for(decision, "deqar")
    return NotFound(
        N_(
            "case %(case)s was %(outcome)s in round %(round)s: it has no %(kind)s; its DEQAR"
            " record is %(deqar)s (`qa-engine export deqar %(case)s`)"
        ),
        case=case.id,
        outcome=outcome,
        round=decision.round,
        kind=KIND_NAMES[kind],
        deqar=deqar,
    )


def check_kind(kind: str) -> str:
    if kind not in reporting.EXPORT_KINDS:
        raise ValidationFailed(
            N_("unknown export '%(kind)s': one of %(kinds)s"),
            kind=kind,
            kinds=", ".join(reporting.EXPORT_KINDS),
        )
    return kind


def case_export(
    *, session: Session, actor: Actor, case_id: int, kind: str, round_: int | None = None
) -> ExportFile:
    """A generated export of a case's decision (the latest, or that of `round_`) for someone who
    may download it: NotFound for a case they may not read, Forbidden for a reader who may not."""
    actor.require(*access.EXPORT_READERS, action="download exports")
    check_kind(kind)
    case = access.case_for(session, actor, case_id)
    if not may_download_exports(actor, case):
        raise access.not_found(case_id)
    decision = _decision_of(session, case, round_)
    if kind not in reporting.export_kinds_for(decision.outcome):
        raise _kind_refused(case, decision, kind)
    row = case_repo.get_report(session, saved_id(decision), kind)
    if row is None or row.status != ReportStatus.GENERATED or not row.path or not row.sha256:
        why = f": {row.error}" if row is not None and row.error else ""
        raise NotFound(
            N_("the %(kind)s of case %(case)s is not generated yet%(why)s"),
            kind=KIND_NAMES[kind],
            case=case.id,
            why=why,
        )
    return ExportFile(row.kind, row.report_id, row.sha256, Path(row.path), row.generated_at)


def ensure_exports(
    *,
    session: Session,
    case_id: int,
    round_: int | None,
    generator: reporting.Generator,
    kinds: tuple[str, ...] | None = None,
) -> tuple[Decision, list[Report]]:
    """The export rows of a closed decision (decided before the engine made exports, or whose
    export failed), generated now; those already generated are kept as they are. The engine's own
    command (`qa-engine export`), not a person's: no access check."""
    case = access.get_case_or_raise(session, case_id)
    decision = _decision_of(session, case, round_)
    pdf = case_repo.get_report(session, saved_id(decision), "pdf")
    if pdf is None or pdf.status != ReportStatus.GENERATED:
        raise Conflict(
            N_(
                "case %(case)s: the signed report of round %(round)s is not generated yet; the"
                " exports follow it"
            ),
            case=case_id,
            round=decision.round,
        )
    wanted = reporting.export_kinds_for(decision.outcome)
    for kind in kinds or ():
        if kind not in wanted:
            raise _kind_refused(case, decision, kind)
    rows = [
        r
        for r in reporting.request_files(session=session, decision=decision)
        if r.kind in (kinds or wanted)
    ]
    return decision, reporting.generate_files(
        session=session, rows=rows, generator=generator, retry=True
    )


def decisions_between(
    *, session: Session, start: datetime, end: datetime
) -> list[tuple[Case, Decision]]:
    """The decisions taken in [start, end), oldest first."""
    return case_repo.decisions_between(session, start, end)
