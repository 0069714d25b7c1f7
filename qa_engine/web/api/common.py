"""What the API routes share: path and paging parameters, ETags, and what the services return →
responses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request

from qa_engine.domain.errors import StaleUpdate
from qa_engine.domain.statuses import ReportStatus
from qa_engine.services.case_views import AssignmentLine, CaseRow
from qa_engine.services.reporting import EXPORT_KINDS
from qa_engine.web.api.schemas import (
    MAX_ID,
    AssignmentLineOut,
    CaseOut,
    ReportOut,
    ReviewOut,
    SelfAssessmentOut,
)
from qa_engine.web.rows import ReportRow, ReviewRow, SelfAssessmentRow

CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="case id")]
AssignmentId = Annotated[int, Path(ge=1, le=MAX_ID, description="assignment id")]
CredentialId = Annotated[int, Path(ge=1, le=MAX_ID, description="credential id")]
ReportId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9\-]+$")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=200)]


def etag(version: int | None) -> str:
    return f'"{version or 0}"'


def draft_version(request: Request, version: int) -> int:
    """The draft version a write started from: the body's `version`; an If-Match header sent as
    well must name the same one (else a 409, like any version that is not the stored one)."""
    named = if_match_version(request)
    if named is not None and named != version:
        raise StaleUpdate(
            f"If-Match names version {named} but the body version {version}: "
            "send the version you started from"
        )
    return version


def if_match_version(request: Request) -> int | None:
    """The version named by an If-Match header ("3" or W/"3"), if any."""
    value = request.headers.get("if-match")
    if not value:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    return int(text) if text.isdigit() and len(text) < 10 else -1


def case_out(row: CaseRow) -> CaseOut:
    case = row.case
    return CaseOut(
        id=case.id,
        credential_id=case.credential_id,
        credential_title=row.credential_title,
        institution=row.institution,
        state=case.state,
        round=case.round,
        outcome=case.outcome,
        opened_at=case.opened_at,
        state_since=case.state_since,
        due_at=case.due_at,
        closed_at=case.closed_at,
        version=case.version,
        screening_problems=list(case.screening_problems or []),
    )


def assignment_line_out(line: AssignmentLine) -> AssignmentLineOut:
    a = line.assignment
    return AssignmentLineOut(
        id=a.id,
        label=line.label,
        reviewer=line.reviewer_name,
        status=a.status,
        round=a.round,
        respond_by=a.respond_by,
        due_at=a.due_at,
    )


def _download(row: ReportRow) -> str:
    if row.kind in EXPORT_KINDS:
        # an export is public, beside its decision's record (the PDF's report id)
        return f"/decisions/{row.report_id.rsplit('-', 1)[0]}/{row.kind}"
    return f"/api/v1/reports/{row.report_id}/file"


def report_out(row: ReportRow) -> ReportOut:
    ready = row.status == ReportStatus.GENERATED
    return ReportOut(
        report_id=row.report_id,
        kind=row.kind,
        language=row.language,
        status=row.status,
        generated_at=row.generated_at,
        sha256=row.sha256,
        download=_download(row) if ready else None,
    )


def self_assessment_out(
    case_id: int, round_: int, sa: SelfAssessmentRow | None
) -> SelfAssessmentOut:
    """The self-assessment of a round (`sa` None: not started yet)."""
    if sa is None:
        return SelfAssessmentOut(
            case_id=case_id,
            round=round_,
            status="not_started",
            summary="",
            entries={},
            version=0,
            updated_at=None,
            submitted_at=None,
        )
    return SelfAssessmentOut(
        case_id=sa.case_id,
        round=sa.round,
        status=sa.status,
        summary=sa.summary,
        entries=dict(sa.entries or {}),
        version=sa.version,
        updated_at=sa.updated_at,
        submitted_at=sa.submitted_at,
    )


def review_out(
    assignment_id: int, case_id: int, round_: int, review: ReviewRow | None
) -> ReviewOut:
    """The reviewer's review of an assignment (`review` None: not started yet)."""
    if review is None:
        return ReviewOut(
            assignment_id=assignment_id,
            case_id=case_id,
            round=round_,
            status="not_started",
            scores={},
            comments={},
            recommendation=None,
            overall_comment="",
            version=0,
            updated_at=None,
            submitted_at=None,
        )
    return ReviewOut(
        assignment_id=assignment_id,
        case_id=review.case_id,
        round=review.round,
        status=review.status,
        scores={k: int(v) for k, v in (review.scores or {}).items()},
        comments=dict(review.comments or {}),
        recommendation=review.recommendation,
        overall_comment=review.overall_comment,
        version=review.version,
        updated_at=review.updated_at,
        submitted_at=review.submitted_at,
    )
