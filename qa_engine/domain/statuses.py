"""The statuses of what a case is made of: assignments, self-assessments, reviews, reports and
outgoing messages. (The case's own state is `case_states.CaseState`.)

They are `StrEnum`s: each member equals the string stored in the database, so the tables keep
plain string columns and a value read back compares equal to its member."""

from __future__ import annotations

from enum import StrEnum

from qa_engine.domain.i18n import N_, Message, Np_


class AssignmentStatus(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUBMITTED = "submitted"
    REPLACED = "replaced"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


# The reviewer still owes an answer or a review.
OPEN_ASSIGNMENT = (AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED)
# The reviewer is part of the round: open, or their review is in.
LIVE_ASSIGNMENT = (*OPEN_ASSIGNMENT, AssignmentStatus.SUBMITTED)
# The reviewer left the round and someone else may be needed in their place.
GONE_ASSIGNMENT = (AssignmentStatus.DECLINED, AssignmentStatus.REPLACED, AssignmentStatus.EXPIRED)


class SelfAssessmentStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ReviewStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ReportStatus(StrEnum):
    REQUESTED = "requested"
    GENERATED = "generated"
    # an interop export that cannot be made truthfully (its error is on the row); a report never
    FAILED = "failed"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


# every status in words, as pages and errors show it (translated where it is shown)
STATUS_NAMES: dict[str, str] = {
    "invited": N_("invited"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "submitted": N_("submitted"),
    "replaced": N_("replaced"),
    "withdrawn": N_("withdrawn"),
    "expired": N_("expired"),
    "draft": N_("draft"),
    "requested": N_("requested"),
    "generated": N_("generated"),
    "failed": N_("failed"),
    "pending": N_("pending"),
    "sent": N_("sent"),
}


def status_name(status: str) -> Message | str:
    """A status in words, to translate where it is shown (an unknown one as it is)."""
    name = STATUS_NAMES.get(str(status))
    return str(status) if name is None else Np_(name)
