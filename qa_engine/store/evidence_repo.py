"""Queries that load the stored evidence of the decided review rounds in bulk, for replaying a
rubric version over past decisions and for calibrating a rubric: a few set-wise queries over the
rounds decided in a period, never one query per case."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, func, select
from sqlmodel import Session, col

from qa_engine.domain.statuses import ReviewStatus
from qa_engine.store.models import (
    Case,
    CaseRound,
    CredentialVersion,
    Decision,
    Institution,
    Review,
    RubricSnapshot,
    SelfAssessment,
)


@dataclass(frozen=True)
class RoundRow:
    case_id: int
    round: int
    institution: str
    rubric_hash: str
    outcome: str
    isced_f: str
    eqf: int | None
    present: frozenset[str]  # the names of the credential fields that hold a value


def _decided(
    rubric_id: str, start: datetime, end: datetime, institution_id: int | None
) -> Subquery:
    """(case_id, round) of the rounds decided in [start, end) of cases scored against any
    version of the rubric."""
    conds = [
        col(Decision.decided_at) >= start,
        col(Decision.decided_at) < end,
        col(RubricSnapshot.rubric_id) == rubric_id,
    ]
    if institution_id is not None:
        conds.append(col(Case.institution_id) == institution_id)
    return (
        select(col(Decision.case_id), col(Decision.round))
        .join(Case, col(Case.id) == Decision.case_id)
        .join(RubricSnapshot, col(RubricSnapshot.id) == Case.rubric_snapshot_id)
        .where(*conds)
    ).subquery("decided")


def _present(value: Any) -> bool:
    # as `Credential.element_present`: no value, an empty text or an empty list is absent
    return value is not None and value != "" and value != []


def decided_rounds(
    session: Session,
    *,
    rubric_id: str,
    start: datetime,
    end: datetime,
    institution_id: int | None = None,
    fields: tuple[str, ...] = (),
) -> list[RoundRow]:
    """Every round decided in the period, with its institution, the content hash of the rubric
    version its case was scored against, the decision, the ISCED-F code and EQF level of the
    credential version the round reviewed and which of `fields` that version fills."""
    cv_id = func.coalesce(col(CaseRound.credential_version_id), col(Case.credential_version_id))
    data = col(CredentialVersion.data)
    keys = ("isced_f", "eqf_level", *fields)
    sqlite = session.get_bind().dialect.name != "postgresql"
    # SQLite parses the credential once for all the keys (one JSON array of their values);
    # PostgreSQL reads each key from its binary jsonb
    values: list[ColumnElement[Any]] = (
        [func.json_extract(data, *(f'$."{k}"' for k in keys))]
        if sqlite
        else [func.jsonb_extract_path(data, k) for k in keys]
    )
    q = (
        select(
            col(Decision.case_id),
            col(Decision.round),
            col(Institution.code),
            col(RubricSnapshot.content_hash),
            col(Decision.outcome),
            *values,
        )
        .join(Case, col(Case.id) == Decision.case_id)
        .join(RubricSnapshot, col(RubricSnapshot.id) == Case.rubric_snapshot_id)
        .join(Institution, col(Institution.id) == Case.institution_id)
        .outerjoin(
            CaseRound,
            and_(
                col(CaseRound.case_id) == Decision.case_id, col(CaseRound.round) == Decision.round
            ),
        )
        .join(CredentialVersion, col(CredentialVersion.id) == cv_id)
        .where(
            col(Decision.decided_at) >= start,
            col(Decision.decided_at) < end,
            col(RubricSnapshot.rubric_id) == rubric_id,
        )
        .order_by(col(Decision.case_id), col(Decision.round))
    )
    if institution_id is not None:
        q = q.where(col(Case.institution_id) == institution_id)
    out = []
    for r in session.execute(q).all():
        got: list[Any] = json.loads(r[5]) if sqlite else list(r[5:])
        if sqlite and len(keys) == 1:
            got = [got]
        isced, eqf = got[0], got[1]
        out.append(
            RoundRow(
                int(r[0]),
                int(r[1]),
                r[2],
                r[3],
                r[4],
                str(isced or ""),
                int(eqf) if isinstance(eqf, int | float | str) and str(eqf).isdigit() else None,
                frozenset(f for f, v in zip(fields, got[2:], strict=True) if _present(v)),
            )
        )
    return out


# (case id, round) → the submitted reviews' (scores, comments), in the order they were submitted
ReviewsByRound = dict[tuple[int, int], list[tuple[dict[str, Any], dict[str, Any]]]]


def reviews_of_decided_rounds(
    session: Session,
    *,
    rubric_id: str,
    start: datetime,
    end: datetime,
    institution_id: int | None = None,
    with_comments: bool = False,
) -> ReviewsByRound:
    """The submitted reviews of every round decided in the period, in one query."""
    decided = _decided(rubric_id, start, end, institution_id)
    columns: list[Any] = [col(Review.case_id), col(Review.round), col(Review.scores)]
    if with_comments:
        columns.append(col(Review.comments))
    q = (
        select(*columns)
        .join(
            decided,
            and_(decided.c.case_id == Review.case_id, decided.c.round == Review.round),
        )
        .where(col(Review.status) == ReviewStatus.SUBMITTED)
        .order_by(col(Review.case_id), col(Review.round), col(Review.submitted_at), col(Review.id))
    )
    out: ReviewsByRound = {}
    for r in session.execute(q).all():
        comments = r[3] if with_comments else {}
        out.setdefault((int(r[0]), int(r[1])), []).append((r[2] or {}, comments or {}))
    return out


def self_scores_of_decided_rounds(
    session: Session,
    *,
    rubric_id: str,
    start: datetime,
    end: datetime,
    institution_id: int | None = None,
) -> dict[tuple[int, int], dict[str, Any]]:
    """The self-assessment entries of every round decided in the period, in one query."""
    decided = _decided(rubric_id, start, end, institution_id)
    q = select(
        col(SelfAssessment.case_id), col(SelfAssessment.round), col(SelfAssessment.entries)
    ).join(
        decided,
        and_(decided.c.case_id == SelfAssessment.case_id, decided.c.round == SelfAssessment.round),
    )
    return {(int(r[0]), int(r[1])): dict(r[2] or {}) for r in session.execute(q).all()}


def snapshots_by_hash(session: Session, rubric_id: str) -> Mapping[str, RubricSnapshot]:
    """Every stored version of a rubric, by content hash."""
    rows = session.scalars(
        select(RubricSnapshot).where(col(RubricSnapshot.rubric_id) == rubric_id)
    ).all()
    return {s.content_hash: s for s in rows}


def institution_id_of(session: Session, code: str) -> int | None:
    return session.scalars(
        select(col(Institution.id)).where(func.upper(col(Institution.code)) == code.upper())
    ).first()


def rubric_versions(session: Session) -> list[tuple[str, str]]:
    """(rubric id, version) of every stored rubric version, by id and when it was stored."""
    rows = session.execute(
        select(col(RubricSnapshot.rubric_id), col(RubricSnapshot.version)).order_by(
            col(RubricSnapshot.rubric_id), col(RubricSnapshot.id)
        )
    ).all()
    return [(r[0], r[1]) for r in rows]
