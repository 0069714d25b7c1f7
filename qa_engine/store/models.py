"""Every table of the engine, in one module so that the metadata and Alembic see them all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Integer, Table, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from qa_engine.domain.statuses import (
    NotificationStatus,
    ReportStatus,
    ReviewStatus,
    SelfAssessmentStatus,
)
from qa_engine.store.types import JSONType, UTCDateTime, utcnow


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for bulk inserts and its name."""
    # SQLModel's stubs do not declare the `__table__` that SQLAlchemy sets on every table model
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


class Institution(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=16)
    name: str = Field(max_length=200)
    local_name: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    country: str = Field(max_length=2)
    membership: str = Field(default="member", max_length=32)
    created_at: datetime = _ts()
    # the language the institution asks its case reports in besides English (i18n.LANGUAGES);
    # None: English only
    report_language: str | None = Field(default=None, max_length=8)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=120)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    institution_id: int | None = Field(default=None, foreign_key="institution.id", index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = True
    max_open_reviews: int = 4
    expertise_fields: list[str] = Field(default_factory=list, sa_type=JSONType)
    expertise_skills: list[str] = Field(default_factory=list, sa_type=JSONType)
    languages: list[str] = Field(default_factory=list, sa_type=JSONType)
    session_epoch: int = 0
    # set with a one-time password: every page leads to the change-password page until it is changed
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # the language the engine speaks to this person (domain.i18n.LANGUAGES); None: negotiated
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime = _ts()


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(max_length=32, index=True)


class Credential(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("institution_id", "reference"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    reference: str = Field(max_length=64)
    title: str = Field(max_length=400)
    current_version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class CredentialVersion(SQLModel, table=True):
    __tablename__ = "credential_version"
    __table_args__ = (UniqueConstraint("credential_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    credential_id: int = Field(foreign_key="credential.id", index=True)
    number: int
    data: dict[str, Any] = Field(sa_type=JSONType)
    content_hash: str = Field(max_length=64, index=True)
    source: str = Field(default="", max_length=300)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = _ts()


class RubricSnapshot(SQLModel, table=True):
    """A rubric version as it was used: frozen, never changed in place."""

    __tablename__ = "rubric_snapshot"
    __table_args__ = (UniqueConstraint("rubric_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    rubric_id: str = Field(max_length=100, index=True)
    version: str = Field(max_length=40)
    title: str = Field(max_length=300)
    content_hash: str = Field(max_length=64)
    content: dict[str, Any] = Field(sa_type=JSONType)
    created_at: datetime = _ts()


class RubricRelease(SQLModel, table=True):
    """Where a stored rubric version stands: `active` (new cases are opened against it) or
    `retired`, and who published it, when and why. A rubric id has at most one active version:
    `active_key` holds the rubric id while the version is active and is empty once retired, and it
    is unique. Drafts are files, never stored."""

    __tablename__ = "rubric_release"

    id: int | None = Field(default=None, primary_key=True)
    snapshot_id: int = Field(foreign_key="rubric_snapshot.id", unique=True)
    rubric_id: str = Field(max_length=100, index=True)
    version: str = Field(max_length=40)
    status: str = Field(max_length=16)
    active_key: str | None = Field(default=None, max_length=100, unique=True)
    published_by: str = Field(default="", max_length=120)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str = Field(default="", max_length=2000)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only; `seq` is dense and `hash` chains each event to the one before it."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = _ts()
    actor: str = Field(max_length=120)
    action: str = Field(max_length=80, index=True)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=80, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)


_case_version = Column("version", Integer, nullable=False)
_sa_version = Column("version", Integer, nullable=False)
_asg_version = Column("version", Integer, nullable=False)
_rev_version = Column("version", Integer, nullable=False)


class Case(SQLModel, table=True):
    """One QA cycle of one frozen credential version against one frozen rubric version."""

    __tablename__ = "qa_case"

    id: int | None = Field(default=None, primary_key=True)
    credential_id: int = Field(foreign_key="credential.id", index=True)
    credential_version_id: int = Field(foreign_key="credential_version.id")
    rubric_snapshot_id: int = Field(foreign_key="rubric_snapshot.id")
    institution_id: int = Field(foreign_key="institution.id", index=True)
    state: str = Field(max_length=32, index=True)
    round: int = 1
    outcome: str | None = Field(default=None, max_length=40)
    screening_problems: list[str] = Field(default_factory=list, sa_type=JSONType)
    previous_case_id: int | None = Field(default=None, foreign_key="qa_case.id")
    opened_by_id: int | None = Field(default=None, foreign_key="users.id")
    opened_at: datetime = _ts()
    state_since: datetime = _ts()
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    extra_reviewers_requested: int = 0
    version: int = Field(default=1, sa_column=_case_version)

    __mapper_args__ = {"version_id_col": _case_version}


class CaseRound(SQLModel, table=True):
    """The credential version one round of a case reviews: round 1 the version frozen when the case
    opened (or resubmitted after a return), a later round the revision the provider submitted into
    it. `Case.credential_version_id` is always the current round's."""

    __tablename__ = "case_round"
    __table_args__ = (UniqueConstraint("case_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="qa_case.id", index=True)
    round: int
    credential_version_id: int = Field(foreign_key="credential_version.id")
    recorded_at: datetime = _ts()


class SelfAssessment(SQLModel, table=True):
    __tablename__ = "self_assessment"
    __table_args__ = (UniqueConstraint("case_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="qa_case.id", index=True)
    round: int
    entries: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONType
    )  # criterion -> {score, narrative, evidence}
    summary: str = ""
    status: str = Field(default=SelfAssessmentStatus.DRAFT, max_length=16)
    updated_at: datetime = _ts()
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column=_sa_version)

    __mapper_args__ = {"version_id_col": _sa_version}


class Assignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("case_id", "round", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="qa_case.id", index=True)
    round: int
    reviewer_id: int = Field(foreign_key="users.id", index=True)
    status: str = Field(max_length=16, index=True)  # an AssignmentStatus
    reason: str = ""
    assigned_by: str = Field(default="", max_length=120)
    invited_at: datetime = _ts()
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    respond_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str = ""
    reminders_sent: int = 0
    version: int = Field(default=1, sa_column=_asg_version)

    __mapper_args__ = {"version_id_col": _asg_version}


class ConflictDeclaration(SQLModel, table=True):
    """A declared conflict of interest between a person and an institution, a credential
    or a case."""

    __tablename__ = "conflict_declaration"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    institution_id: int | None = Field(default=None, foreign_key="institution.id")
    credential_id: int | None = Field(default=None, foreign_key="credential.id")
    case_id: int | None = Field(default=None, foreign_key="qa_case.id")
    reason: str = ""
    declared_at: datetime = _ts()


class Review(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", unique=True)
    case_id: int = Field(foreign_key="qa_case.id", index=True)
    round: int
    reviewer_id: int = Field(foreign_key="users.id", index=True)
    scores: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    comments: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    recommendation: str | None = Field(default=None, max_length=40)
    overall_comment: str = ""
    status: str = Field(default=ReviewStatus.DRAFT, max_length=16)
    rubric_hash: str = Field(max_length=64)
    updated_at: datetime = _ts()
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column=_rev_version)

    __mapper_args__ = {"version_id_col": _rev_version}


class Consolidation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("case_id", "round", "pass_no"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="qa_case.id", index=True)
    round: int
    pass_no: int = 1
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    overall: float | None = None
    agreement: float | None = None
    recommended_outcome: str | None = Field(default=None, max_length=40)
    disagreement: bool = False
    created_at: datetime = _ts()


class Decision(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("case_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="qa_case.id", index=True)
    round: int
    outcome: str = Field(max_length=40, index=True)
    rationale: str
    conditions: list[str] = Field(default_factory=list, sa_type=JSONType)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime = _ts(index=True)  # leadership reports select decisions by period
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Report(SQLModel, table=True):
    """One evaluation report per decision (and per kind): requested, then generated exactly once."""

    __table_args__ = (
        UniqueConstraint(
            "decision_id", "kind", "language", name="uq_report_decision_kind_language"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", index=True)
    case_id: int = Field(foreign_key="qa_case.id", index=True)
    kind: str = Field(default="pdf", max_length=8)
    # the language the file is written in: every kind in English, the alliance's working
    # language; a signed PDF and its workbook also in the provider's institution's language when
    # it asks for it (`Institution.report_language`), or on demand
    language: str = Field(default="en", max_length=8)
    report_id: str = Field(max_length=40, unique=True)
    status: str = Field(default=ReportStatus.REQUESTED, max_length=16)
    path: str | None = Field(default=None, max_length=500)
    sha256: str | None = Field(default=None, max_length=64)
    template_version: str | None = Field(default=None, max_length=20)
    error: str = ""
    requested_at: datetime = _ts()
    generated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IssuedFile(SQLModel, table=True):
    """A signed file the engine issued outside a case (a leadership report): its report id (the
    same for every issue of one period and filters) and the SHA-256 of exactly these bytes."""

    __tablename__ = "issued_file"

    id: int | None = Field(default=None, primary_key=True)
    report_id: str = Field(max_length=40, index=True)
    kind: str = Field(default="pdf", max_length=8)
    sha256: str = Field(max_length=64, unique=True)
    issued_by: str = Field(max_length=120)
    issued_at: datetime = _ts()


class Notification(SQLModel, table=True):
    """An outgoing message; `key` makes each one exactly once (an invitation, the nth
    reminder …)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    recipient: str = Field(max_length=254)
    recipient_user_id: int | None = Field(default=None, foreign_key="users.id")
    template: str = Field(max_length=60)
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    case_id: int | None = Field(default=None, foreign_key="qa_case.id", index=True)
    status: str = Field(default=NotificationStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    last_error: str = ""
    created_at: datetime = _ts()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# ------------------------------------------------------------ web: sign-in, sessions, API tokens


class WebSession(SQLModel, table=True):
    """A browser session. Only a SHA-256 of the random session id is stored; the row dies with
    sign-out, expiry, or a change of the user's `session_epoch` (password change, disabling)."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    session_epoch: int
    csrf_token: str = Field(max_length=64)
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime = _ts()
    last_seen_at: datetime = _ts()
    expires_at: datetime = Field(sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """A failed sign-in, kept for the throttling window (per username and per client address)."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=120, index=True)
    client_ip: str = Field(max_length=64, index=True)
    at: datetime = _ts(index=True)


class ApiToken(SQLModel, table=True):
    """A token for scripts (`Authorization: Bearer …`); only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    scope: str = Field(max_length=8)  # read, write
    label: str = Field(default="", max_length=100)
    created_at: datetime = _ts()
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
