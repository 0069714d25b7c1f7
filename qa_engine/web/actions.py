"""What the JSON API and the pages both do with files and loosely typed input before calling the
services: credential files and forms, offline review sheets. Written once, used by both."""

from __future__ import annotations

from sqlmodel import Session

from qa_engine.adapters.review_sheet import build_review_sheet, locate, read_review_sheet
from qa_engine.config import Settings
from qa_engine.domain.errors import Conflict, ValidationFailed
from qa_engine.domain.roles import Actor
from qa_engine.services import case_views, reviews
from qa_engine.store.models import Review
from qa_engine.web.uploads import suffix_of, temporary_file


def review_sheet_bytes(db: Session, actor: Actor, assignment_id: int) -> tuple[bytes, str]:
    mine = case_views.my_review(session=db, actor=actor, assignment_id=assignment_id)
    review = mine.review
    data = build_review_sheet(rubric=mine.rubric, rubric_hash=mine.rubric_hash, assignment_id=mine.assignment.id,
                              case_id=mine.case.id, credential_title=mine.credential.data.get("title", ""),
                              scores=review.scores if review else None, comments=review.comments if review else None,
                              recommendation=review.recommendation if review else None,
                              overall_comment=review.overall_comment if review else "")
    return data, f"review-case-{mine.case.id}-assignment-{mine.assignment.id}.xlsx"


def upload_review_sheet(db: Session, actor: Actor, assignment_id: int, data: bytes, filename: str, *,
                        submit: bool, settings: Settings) -> Review:
    """Read a filled-in review sheet and save (or submit) it through the same service as the form."""
    mine = case_views.my_review(session=db, actor=actor, assignment_id=assignment_id)
    if mine.assignment.status == "submitted":
        raise Conflict("this review is already submitted")
    suffix_of(filename, (".xlsx",))
    with temporary_file(data, ".xlsx") as path:
        sheet = read_review_sheet(path, rubric=mine.rubric, rubric_hash=mine.rubric_hash,
                                  assignment_id=mine.assignment.id, max_bytes=settings.max_upload_bytes,
                                  max_unzipped_bytes=settings.max_unzipped_bytes, source=filename)
    try:
        with db.begin_nested():
            return reviews.save_review(session=db, actor=actor, assignment_id=mine.assignment.id,
                                       entries=sheet.entries, recommendation=sheet.recommendation,
                                       overall_comment=sheet.overall_comment, submit=submit)
    except ValidationFailed as exc:
        raise locate(sheet, exc, filename) from None
