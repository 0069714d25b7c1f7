"""Request and response models of the JSON API. Requests are strict: a score of ``true`` or ``"5"``
is a 422, unknown fields are refused, text must be valid Unicode without NUL characters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)

MAX_ID = 2_147_483_647
MAX_TEXT = 20_000


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


Text = Annotated[StrictStr, Field(max_length=MAX_TEXT), AfterValidator(_clean_text)]
ShortText = Annotated[StrictStr, Field(max_length=4000), AfterValidator(_clean_text)]
Key = Annotated[StrictStr, Field(min_length=1, max_length=100), AfterValidator(_clean_text)]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Version = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
DraftVersion = Annotated[
    StrictInt,
    Field(
        ge=0,
        le=MAX_ID,
        description=(
            "the version of the draft you started from (the `version` you read, 0 when there was "
            "no draft yet); any other than the stored one is a 409 stale_update and nothing is "
            "saved. An If-Match header, when sent as well, must name the same version"
        ),
    ),
]
OutcomeValue = Literal["approved", "approved_with_conditions", "revision_requested", "rejected"]


class StrictIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorOut(BaseModel):
    error: str = Field(
        description="machine-readable code, e.g. not_found, validation_failed, stale_update"
    )
    message: str
    details: list[str] = Field(default_factory=list)


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (400, "Bad request"),
        (401, "Not signed in / no valid token"),
        (403, "Not allowed (role, read-only token, CSRF)"),
        (404, "Not found, or not visible to you (the same answer)"),
        (409, "Conflict: wrong state, stale version, duplicate"),
        (413, "Body too large"),
        (422, "Invalid input"),
        (503, "Database busy"),
    )
}


class PageMeta(BaseModel):
    total: int
    offset: int
    limit: int


# --------------------------------------------------------------------------- me


class MeOut(BaseModel):
    id: int
    username: str
    full_name: str
    email: str
    roles: list[str]
    institution: str | None
    auth: Literal["session", "token"]
    scope: str
    must_change_password: bool = Field(
        False,
        description="the password was set for this person (a one-time "
        "password) and must be changed at /account/password; until then a "
        "browser session may only change it (API tokens are not concerned)",
    )


# --------------------------------------------------------------------------- credentials


class CredentialIn(StrictIn):
    """One micro-credential (the EU standard elements and what the alliance adds)."""

    reference: ShortText
    provider: ShortText
    title: ShortText
    learner_identification: ShortText
    country: ShortText
    region: ShortText | None = None
    awarding_body: ShortText
    date_of_issuing: Annotated[
        StrictStr, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
    ]
    learning_outcomes: Annotated[list[ShortText], Field(max_length=100)]
    ects: Annotated[StrictInt | StrictFloat, Field(description="ECTS credits, e.g. 5 or 2.5")]
    workload_hours: Annotated[StrictInt, Field(ge=0, le=100_000)] | None = None
    eqf_level: Annotated[StrictInt, Field(ge=0, le=100)]
    qf_ehea_cycle: Literal["short", "first", "second", "third"] | None = None
    assessment_type: ShortText
    participation_form: Literal["online", "onsite", "blended"]
    quality_assurance: ShortText
    prerequisites: ShortText | None = None
    supervision: (
        Literal[
            "unsupervised_no_id",
            "supervised_no_id",
            "supervised_online_with_id",
            "supervised_onsite_with_id",
        ]
        | None
    ) = None
    grading: ShortText | None = None
    stackability: Literal["stand_alone", "stackable"] | None = None
    stackable_towards: ShortText | None = None
    further_information: ShortText | None = None
    isced_f: ShortText
    languages: Annotated[list[ShortText], Field(max_length=50)]
    esco_skills: Annotated[list[ShortText], Field(max_length=200)] = Field(default_factory=list)
    digcomp: Annotated[list[ShortText], Field(max_length=50)] = Field(default_factory=list)
    greencomp: Annotated[list[ShortText], Field(max_length=50)] = Field(default_factory=list)
    contact_email: ShortText
    contact_name: ShortText | None = None


class CredentialUpdateIn(CredentialIn):
    expected_version: Version | None = Field(
        default=None,
        description=(
            "the credential's current_version you edited; required unless an If-Match header "
            "names it; a stale one is a 409"
        ),
    )


class CredentialOut(Out):
    id: int
    reference: str
    provider: str
    title: str
    current_version: int
    updated_at: datetime
    open_case_id: int | None = None


class CredentialVersionOut(Out):
    number: int
    content_hash: str
    source: str
    created_at: datetime


class CredentialDetailOut(CredentialOut):
    data: dict[str, Any]
    versions: list[CredentialVersionOut]


class CredentialPage(PageMeta):
    items: list[CredentialOut]


class CredentialSavedOut(BaseModel):
    credential_id: int
    version: int
    outcome: Literal["created", "new_version", "unchanged"]


class ImportOut(BaseModel):
    created: list[str]
    new_versions: list[str]
    unchanged: list[str]
    opened_cases: list[int]
    revised_case: int | None = Field(
        default=None, description="the case the file's credential was submitted into as a revision"
    )


# --------------------------------------------------------------------------- cases


class CaseOut(Out):
    id: int
    credential_id: int
    credential_title: str
    institution: str
    state: str
    round: int
    outcome: str | None
    opened_at: datetime
    state_since: datetime
    due_at: datetime | None
    closed_at: datetime | None
    version: int
    screening_problems: list[str]


class CasePage(PageMeta):
    items: list[CaseOut]


class AssignmentLineOut(BaseModel):
    id: int
    label: str
    reviewer: str | None = Field(description="the reviewer's name: QA staff and approvers only")
    status: str
    round: int
    respond_by: datetime | None
    due_at: datetime | None


class DecisionOut(Out):
    id: int
    case_id: int
    round: int
    outcome: str
    rationale: str
    conditions: list[str]
    decided_at: datetime
    valid_until: datetime | None


class ReportOut(BaseModel):
    report_id: str
    kind: str
    status: str
    generated_at: datetime | None
    sha256: str | None
    download: str | None


class CaseDetailOut(CaseOut):
    rubric: str
    credential: dict[str, Any]
    assignments: list[AssignmentLineOut]
    decisions: list[DecisionOut]
    reports: list[ReportOut]
    my_assignment_id: int | None


class OpenCaseIn(StrictIn):
    credential_id: Id
    rubric_id: Key = "4eu-mici"


class WithdrawIn(StrictIn):
    reason: Text
    version: Version | None = None


class ResubmitIn(StrictIn):
    version: Version | None = None


class RevisionIn(StrictIn):
    credential_version: Version | None = Field(
        default=None,
        description="the number of a stored version of the case's credential (default: the newest)",
    )
    credential: CredentialIn | None = Field(
        default=None, description="the revised credential, stored as a new version first"
    )
    version: Version | None = Field(default=None, description="the case's version you loaded")


class CredentialChangeOut(BaseModel):
    field: str = Field(description="the credential field, e.g. ects")
    element: str = Field(description="the standard element it carries, e.g. EU-A1.7 (or empty)")
    label: str
    before: str
    after: str
    added: list[str] = Field(description="for a list (learning outcomes …): the items added")
    removed: list[str] = Field(description="for a list: the items removed")


class RevisionOut(BaseModel):
    case_id: int
    round: int = Field(description="the round that reviews the revised credential")
    credential_version: int = Field(description="the version the round reviews now")
    previous_version: int = Field(description="the version the round before reviewed")
    changes: list[CredentialChangeOut]


class HistoryEventOut(BaseModel):
    seq: int
    at: datetime
    who: str
    action: str
    text: str


class HistoryOut(BaseModel):
    case_id: int
    items: list[HistoryEventOut]


# --------------------------------------------------------------------------- self-assessment


class SelfEntryIn(StrictIn):
    score: StrictInt | StrictBool | None = None
    narrative: Text = ""
    evidence: Annotated[list[ShortText], Field(max_length=50)] = Field(default_factory=list)


class SelfAssessmentIn(StrictIn):
    entries: Annotated[dict[Key, SelfEntryIn], Field(max_length=200)]
    summary: Text = ""
    version: DraftVersion


class SelfAssessmentOut(BaseModel):
    case_id: int
    round: int
    status: str
    summary: str
    entries: dict[str, dict[str, Any]]
    version: int = Field(description="the draft's version; 0: no draft yet")
    updated_at: datetime | None
    submitted_at: datetime | None


# --------------------------------------------------------------------------- assignments


class ProposalOut(BaseModel):
    reviewer_id: int
    name: str
    score: float
    reasons: list[str]


class BlockedOut(BaseModel):
    reviewer_id: int
    name: str
    reasons: list[str]


class ProposalsOut(BaseModel):
    case_id: int
    needed: int
    shortfall: int
    note: str
    proposals: list[ProposalOut]
    eligible: list[ProposalOut]
    blocked: list[BlockedOut]


class AssignIn(StrictIn):
    reviewer_ids: Annotated[list[Id], Field(max_length=20)]
    reason: Text = ""


class AutoAssignIn(StrictIn):
    case_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]


class PlanOut(BaseModel):
    case_id: int
    invited: list[ProposalOut]
    shortfall: int
    note: str


class AutoAssignOut(BaseModel):
    plans: list[PlanOut]


class AssignmentOut(Out):
    id: int
    case_id: int
    round: int
    status: str
    invited_at: datetime
    respond_by: datetime | None
    due_at: datetime | None
    responded_at: datetime | None
    reminders_sent: int
    version: int


class MyAssignmentOut(AssignmentOut):
    credential_title: str
    case_state: str


class MyAssignmentsOut(BaseModel):
    items: list[MyAssignmentOut]


class RespondIn(StrictIn):
    accept: StrictBool
    conflict: StrictBool = False
    reason: Text = ""


class ReassignIn(StrictIn):
    reviewer_id: Id
    reason: Text = ""


# --------------------------------------------------------------------------- reviews


class ReviewEntryIn(StrictIn):
    score: StrictInt | StrictBool | None = None
    comment: Text = ""


class ReviewIn(StrictIn):
    entries: Annotated[dict[Key, ReviewEntryIn], Field(max_length=200)]
    recommendation: OutcomeValue | None = None
    overall_comment: Text = ""
    version: DraftVersion


class ReviewOut(BaseModel):
    assignment_id: int
    case_id: int
    round: int
    status: str
    scores: dict[str, int]
    comments: dict[str, str]
    recommendation: str | None
    overall_comment: str
    version: int = Field(description="the draft's version; 0: no draft yet")
    updated_at: datetime | None
    submitted_at: datetime | None


class VisibleReviewOut(BaseModel):
    label: str
    reviewer: str | None
    mine: bool
    status: str
    scores: dict[str, int]
    comments: dict[str, str]
    recommendation: str | None
    overall_comment: str
    submitted_at: datetime | None


class VisibleReviewsOut(BaseModel):
    case_id: int
    round: int
    items: list[VisibleReviewOut]


# ----------------------------------------------------------------------- consolidation and decision


class CriterionStatsOut(BaseModel):
    criterion_id: str
    title: str
    scores: dict[str, float | None]
    mean: float | None
    median: float | None
    spread: float | None
    disagreement: bool
    gate_min: int | None
    gate_passed: bool | None


class ConsolidationOut(BaseModel):
    case_id: int
    round: int
    reviewers: int
    overall: float | None
    agreement: float | None
    agreement_label: str
    disagreement: list[str]
    gates_failed: list[str]
    recommended_outcome: str | None
    recommendations: dict[str, int]
    criteria: list[CriterionStatsOut]
    explanation: list[str]


class DecisionIn(StrictIn):
    outcome: OutcomeValue
    rationale: Text
    conditions: Annotated[list[ShortText], Field(max_length=50)] = Field(default_factory=list)
    version: Version = Field(
        description="the case version you decided on (from the case); a changed case is a 409"
    )


# --------------------------------------------------------------------------- reports and dashboard


class ReportsOut(BaseModel):
    case_id: int
    items: list[ReportOut]


class VerifyOut(BaseModel):
    status: str = Field(description="valid, modified, untrusted, unsigned, not_pdf or invalid")
    ok: bool
    message: str
    signer: str | None
    signed_at: datetime | None
    report_id: str | None
    registered: bool | None = Field(
        description="the engine issued a report with this id and these exact bytes"
    )
    sha256: str


class InstitutionCountsOut(BaseModel):
    code: str
    name: str
    total: int
    by_state: dict[str, int]
    by_outcome: dict[str, int]


class DashboardOut(BaseModel):
    total: int
    states: list[str]
    outcomes: list[str]
    institutions: list[InstitutionCountsOut]
    totals_by_state: dict[str, int]
    totals_by_outcome: dict[str, int]
