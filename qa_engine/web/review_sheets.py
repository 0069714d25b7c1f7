"""The offline review sheet for the pages and the API: the spreadsheet adapter around the review
services (which decide who may read and save what)."""

from __future__ import annotations

from sqlmodel import Session

from qa_engine.adapters.review_sheet import build_review_sheet, locate, read_review_sheet, stale
from qa_engine.config import Settings
from qa_engine.domain import i18n
from qa_engine.domain.errors import StaleUpdate, ValidationFailed
from qa_engine.domain.roles import Actor
from qa_engine.domain.rubric_i18n import localised
from qa_engine.services import case_views, reviews
from qa_engine.services.rows import saved_id
from qa_engine.web.rows import ReviewRow
from qa_engine.web.uploads import suffix_of, temporary_file


def review_sheet_file(
    db: Session, actor: Actor, assignment_id: int, lang: str = i18n.DEFAULT
) -> tuple[bytes, str]:
    """The reviewer's sheet, pre-filled with their draft, and its file name; the rubric's texts
    (titles, descriptors, guidance) in `lang`, the sheet's own words and columns in English (the
    column titles are what the upload checks)."""
    mine = case_views.my_review(session=db, actor=actor, assignment_id=assignment_id)
    review = mine.review
    data = build_review_sheet(
        rubric=localised(mine.rubric, lang),
        rubric_hash=mine.rubric_hash,
        assignment_id=assignment_id,
        case_id=mine.assignment.case_id,
        round_=mine.assignment.round,
        draft_version=review.version if review else 0,
        credential_title=mine.credential.data.get("title", ""),
        scores=review.scores if review else None,
        comments=review.comments if review else None,
        recommendation=review.recommendation if review else None,
        overall_comment=review.overall_comment if review else "",
    )
    return data, f"review-case-{mine.assignment.case_id}-assignment-{assignment_id}.xlsx"


def save_review_sheet(
    db: Session,
    actor: Actor,
    mine: case_views.MyReview,
    data: bytes,
    filename: str,
    *,
    submit: bool,
    settings: Settings,
) -> ReviewRow:
    """Read a filled-in sheet of the reviewer's own review (`mine`) and save or submit it with the
    same service as the form, bound to the draft version the sheet was made from; the service's
    verdict on the entries (or on a draft changed since) names the cells."""
    case_views.check_review_open(mine)
    suffix_of(filename, (".xlsx",))
    assignment_id = saved_id(mine.assignment)
    with temporary_file(data, ".xlsx", filename) as path:
        sheet = read_review_sheet(
            path,
            rubric=mine.rubric,
            rubric_hash=mine.rubric_hash,
            assignment_id=assignment_id,
            case_id=mine.assignment.case_id,
            round_=mine.assignment.round,
            max_bytes=settings.max_upload_bytes,
            max_unzipped_bytes=settings.max_unzipped_bytes,
            source=filename,
        )
    try:
        with db.begin_nested():
            return reviews.save_review(
                session=db,
                actor=actor,
                assignment_id=assignment_id,
                entries=sheet.entries,
                recommendation=sheet.recommendation,
                overall_comment=sheet.overall_comment,
                submit=submit,
                expected_version=sheet.draft_version,
            )
    except StaleUpdate:
        raise stale(sheet, filename, mine.review.version if mine.review else 0) from None
    except ValidationFailed as exc:
        raise locate(sheet, exc, filename) from None
