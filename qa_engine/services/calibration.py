"""Calibrate a rubric from the stored reviews of the decided rounds (issue 18, item 5): the frozen
inputs from the store and the pure figures of `domain.calibration`."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from qa_engine.domain.calibration import CalibrationReport, ReviewedRound, calibrate
from qa_engine.domain.roles import Actor
from qa_engine.domain.rubric import Rubric
from qa_engine.services import access
from qa_engine.services.context import workflow_settings
from qa_engine.services.rubric_replay import (
    ELEMENT_OF_FIELD,
    Period,
    institution_id_for,
    stored_versions,
)
from qa_engine.store import evidence_repo


def _self_score(entry: Any) -> float | int | bool | None:
    if isinstance(entry, dict):
        value = entry.get("score")
        return value if isinstance(value, int | float) else None
    return None


def calibrate_rubric(
    *,
    session: Session,
    actor: Actor,
    rubric: Rubric,
    period: Period,
    institution: str | None = None,
) -> CalibrationReport:
    """The calibration report of `rubric` over the rounds decided in the period."""
    actor.require(*access.OFFICERS, action="calibrate rubrics")
    inst = institution_id_for(session, institution)
    rows = evidence_repo.decided_rounds(
        session,
        rubric_id=rubric.id,
        start=period.start,
        end=period.end,
        institution_id=inst,
        fields=tuple(ELEMENT_OF_FIELD),
    )
    reviews = evidence_repo.reviews_of_decided_rounds(
        session,
        rubric_id=rubric.id,
        start=period.start,
        end=period.end,
        institution_id=inst,
        with_comments=True,
    )
    selfs = evidence_repo.self_scores_of_decided_rounds(
        session, rubric_id=rubric.id, start=period.start, end=period.end, institution_id=inst
    )
    rounds = []
    for r in rows:
        got = reviews.get((r.case_id, r.round), [])
        entries = selfs.get((r.case_id, r.round), {})
        rounds.append(
            ReviewedRound(
                r.case_id,
                r.round,
                r.rubric_hash,
                tuple(scores for scores, _ in got),
                tuple({k: str(v) for k, v in comments.items() if v} for _, comments in got),
                {cid: _self_score(e) for cid, e in entries.items()},
                frozenset(ELEMENT_OF_FIELD[f] for f in r.present),
            )
        )
    return calibrate(
        rounds,
        stored_versions(session, rubric.id),
        rubric,
        threshold=workflow_settings().disagreement_threshold,
    )
