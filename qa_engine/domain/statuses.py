"""The statuses of what a case is made of: assignments, self-assessments, reviews, reports and
outgoing messages. (The case's own state is `case_states.CaseState`.)

They are `StrEnum`s: each member equals the string stored in the database, so the tables keep
plain string columns and a value read back compares equal to its member."""

from __future__ import annotations

from enum import StrEnum


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
