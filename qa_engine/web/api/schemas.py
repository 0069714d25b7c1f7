"""Request and response models of the JSON API. Requests are strict: a score of ``true`` or ``"5"``
is a 422, unknown fields are refused, text must be valid Unicode without NUL characters.

The OpenAPI schema states what the server checks, from the same declarations: integers are JSON
integers (``3`` and ``3.0`` alike, as JSON Schema counts them), text that must not be blank has a
pattern saying so, every text a pattern excluding NUL, required lists ``minItems``."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
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


NO_NUL = r"^[^\x00]*$"
# what str.strip() removes, spelled out (`\s` differs between Python and ECMA-262 patterns)
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$"


def at_least(n: int) -> str:
    """A pattern for text of `n` characters at least once stripped, without NUL."""
    edge = rf"[^\x00{_SPACE}]"
    return rf"^[^\x00]*{edge}[^\x00]{{{n - 2},}}{edge}[^\x00]*$"


def _whole_number(value: object) -> object:
    """JSON Schema's integer includes 3.0: such a number is the integer 3 (true and "3" stay
    refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def matching(pattern: str, message: str) -> AfterValidator:
    """A check of `pattern` with a readable message; the pattern goes into the OpenAPI schema."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


NOT_EMPTY = matching(NOT_BLANK, "must not be empty")
TEN_CHARACTERS = matching(at_least(10), "must be 10 characters at least")

# Text: valid Unicode without NUL; the Required kinds not blank either.
Text = Annotated[
    StrictStr,
    Field(max_length=MAX_TEXT, json_schema_extra={"pattern": NO_NUL}),
    AfterValidator(_clean_text),
]
ShortText = Annotated[
    StrictStr,
    Field(max_length=4000, json_schema_extra={"pattern": NO_NUL}),
    AfterValidator(_clean_text),
]
RequiredShortText = Annotated[
    StrictStr,
    Field(min_length=1, max_length=4000, json_schema_extra={"pattern": NOT_BLANK}),
    AfterValidator(_clean_text),
    NOT_EMPTY,
]
Key = Annotated[
    StrictStr,
    Field(min_length=1, max_length=100, json_schema_extra={"pattern": NO_NUL}),
    AfterValidator(_clean_text),
]
# Text the service itself requires (not blank; a rationale: ten characters once stripped): it
# answers who may act and in which state first, then refuses the text with its own message. The
# schema states the same rule.
ServiceRequiredText = Annotated[
    StrictStr,
    Field(max_length=MAX_TEXT, json_schema_extra={"minLength": 1, "pattern": NOT_BLANK}),
    AfterValidator(_clean_text),
]
Rationale = Annotated[
    StrictStr,
    Field(
        max_length=MAX_TEXT,
        description="a sentence at least",
        json_schema_extra={"minLength": 10, "pattern": at_least(10)},
    ),
    AfterValidator(_clean_text),
]

# Integers: 3 and 3.0 (JSON Schema's integer), not true, "3" or 3.5.
WHOLE = BeforeValidator(_whole_number)
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID), WHOLE]
Version = Annotated[StrictInt, Field(ge=1, le=MAX_ID), WHOLE]
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
    WHOLE,
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
        (500, "Unexpected error (logged; the message says no more)"),
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


# the lengths of the credential's texts are the importer's (`FieldSpec.max_length`, which the
# database columns hold); tests/web/test_credential_schema.py checks that they agree
Required400 = Annotated[
    StrictStr,
    Field(min_length=1, max_length=400, json_schema_extra={"pattern": NOT_BLANK}),
    AfterValidator(_clean_text),
    NOT_EMPTY,
]
Required1000 = Annotated[
    StrictStr,
    Field(min_length=1, max_length=1000, json_schema_extra={"pattern": NOT_BLANK}),
    AfterValidator(_clean_text),
    NOT_EMPTY,
]
Required2000 = Annotated[
    StrictStr,
    Field(min_length=1, max_length=2000, json_schema_extra={"pattern": NOT_BLANK}),
    AfterValidator(_clean_text),
    NOT_EMPTY,
]
Text100 = Annotated[
    StrictStr,
    Field(max_length=100, json_schema_extra={"pattern": NO_NUL}),
    AfterValidator(_clean_text),
]
Text200 = Annotated[
    StrictStr,
    Field(max_length=200, json_schema_extra={"pattern": NO_NUL}),
    AfterValidator(_clean_text),
]
Text400 = Annotated[
    StrictStr,
    Field(max_length=400, json_schema_extra={"pattern": NO_NUL}),
    AfterValidator(_clean_text),
]
Text1000 = Annotated[
    StrictStr,
    Field(max_length=1000, json_schema_extra={"pattern": NO_NUL}),
    AfterValidator(_clean_text),
]
Text2000 = Annotated[
    StrictStr,
    Field(max_length=2000, json_schema_extra={"pattern": NO_NUL}),
    AfterValidator(_clean_text),
]

REFERENCE = r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,63}$"
COUNTRY = r"^[A-Za-z]{2}$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
ISCED_F = r"^[0-9]{2,4}$"
LANGUAGE = r"^[A-Za-z]{2,3}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def shaped(pattern: str, message: str) -> AfterValidator:
    """The check of a credential element of a fixed shape (next to `pattern` in the schema): the
    element's own message in the 422."""

    def check(value: str) -> str:
        if len(value) > 4000 or not re.match(pattern, value):
            raise ValueError(f"{value[:80]!r} {message}")
        return value

    return AfterValidator(check)


def _iso_date(value: str) -> str:
    if not re.match(DATE, value):
        raise ValueError(f"{value[:80]!r} is not a date (YYYY-MM-DD)")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return value


class CredentialIn(StrictIn):
    """One micro-credential (the EU standard elements and what the alliance adds). The schema
    states the shape of each element; a few rules span elements or stored data and are checked
    when the credential is read (a 422 naming the element): the provider must be your own
    institution, the workload must be 25-30 hours per ECTS credit, `stackable_towards` needs
    `stackability` other than stand_alone, ECTS has one decimal at most."""

    reference: Annotated[
        StrictStr,
        Field(json_schema_extra={"pattern": REFERENCE}),
        shaped(REFERENCE, "use up to 64 letters, digits and - _ . /"),
    ]
    provider: Annotated[
        StrictStr,
        Field(min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK}),
        AfterValidator(_clean_text),
        NOT_EMPTY,
    ]
    title: Required400
    learner_identification: Required1000
    country: Annotated[
        StrictStr,
        Field(json_schema_extra={"pattern": COUNTRY}),
        shaped(COUNTRY, "is not an ISO 3166 two-letter country code"),
    ]
    region: Text200 | None = None
    awarding_body: Required400
    date_of_issuing: Annotated[
        StrictStr,
        Field(json_schema_extra={"format": "date", "pattern": DATE}),
        AfterValidator(_iso_date),
    ]
    learning_outcomes: Annotated[
        list[
            Annotated[
                StrictStr,
                Field(min_length=10, max_length=1000, json_schema_extra={"pattern": at_least(10)}),
                AfterValidator(_clean_text),
                TEN_CHARACTERS,
            ]
        ],
        Field(min_length=1, max_length=50),
    ]
    ects: Annotated[
        Annotated[StrictInt, Field(gt=0, le=60)] | Annotated[StrictFloat, Field(gt=0, le=60)],
        Field(description="ECTS credits, e.g. 5 or 2.5 (one decimal at most)"),
    ]
    workload_hours: Annotated[StrictInt, Field(ge=1, le=100_000), WHOLE] | None = None
    eqf_level: Annotated[StrictInt, Field(ge=1, le=8), WHOLE]
    qf_ehea_cycle: Literal["short", "first", "second", "third"] | None = None
    assessment_type: Required2000
    participation_form: Literal["online", "onsite", "blended"]
    quality_assurance: Required2000
    prerequisites: Text2000 | None = None
    supervision: (
        Literal[
            "unsupervised_no_id",
            "supervised_no_id",
            "supervised_online_with_id",
            "supervised_onsite_with_id",
        ]
        | None
    ) = None
    grading: Text1000 | None = None
    stackability: Literal["stand_alone", "stackable"] | None = None
    stackable_towards: Text400 | None = None
    further_information: ShortText | None = None
    isced_f: Annotated[
        StrictStr,
        Field(json_schema_extra={"pattern": ISCED_F}),
        shaped(ISCED_F, "is not an ISCED-F field code (2 to 4 digits, e.g. 0613)"),
    ]
    languages: Annotated[
        list[
            Annotated[
                StrictStr,
                Field(json_schema_extra={"pattern": LANGUAGE}),
                shaped(LANGUAGE, "is not an ISO 639 language code"),
            ]
        ],
        Field(min_length=1, max_length=30, description="ISO 639 codes"),
    ]
    esco_skills: Annotated[list[Text100], Field(max_length=100)] = Field(
        default_factory=list,
        description="ESCO concept URIs (http://data.europa.eu/esco/skill/<uuid>)",
    )
    digcomp: Annotated[list[Text200], Field(max_length=50)] = Field(
        default_factory=list, description="DigComp 2.2 competences, e.g. 1.2"
    )
    greencomp: Annotated[list[Text200], Field(max_length=50)] = Field(
        default_factory=list, description="GreenComp competences, e.g. 2.1"
    )
    contact_email: Annotated[
        StrictStr,
        Field(max_length=254, json_schema_extra={"pattern": EMAIL}),
        shaped(EMAIL, "is not an e-mail address"),
    ]
    contact_name: Text200 | None = None


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
    language: str = "en"  # the language the file is written in (i18n.LANGUAGES)
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
    reason: ServiceRequiredText
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
    # the service refuses an empty list after checking who may assign, in which state
    reviewer_ids: Annotated[list[Id], Field(max_length=20, json_schema_extra={"minItems": 1})]
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
    agreement: float | None  # Krippendorff's alpha, ordinal, scale criteria only (secondary)
    agreement_label: str  # what alpha means, or why it cannot be computed
    agreement_summary: str = ""  # criteria within one level, the largest gap, the disagreement
    yes_no_summary: str = ""  # how often the reviewers answered the yes/no criteria alike
    disagreement: list[str]
    gates_failed: list[str]
    recommended_outcome: str | None
    recommendations: dict[str, int]
    criteria: list[CriterionStatsOut]
    explanation: list[str]


class DecisionIn(StrictIn):
    outcome: OutcomeValue
    rationale: Rationale
    conditions: Annotated[list[RequiredShortText], Field(max_length=50)] = Field(
        default_factory=list,
        description="approved_with_conditions: one at least; approved and rejected: none",
    )
    version: Version = Field(
        description="the case version you decided on (from the case); a changed case is a 409"
    )


# --------------------------------------------------------------------------- reports and dashboard


class ReportsOut(BaseModel):
    case_id: int
    items: list[ReportOut]


class VerifyOut(BaseModel):
    status: str = Field(description="valid, modified, untrusted, unsigned, not_pdf or invalid")
    verdict: str = Field(
        description="the verdict in words, e.g. 'Valid — issued by … on 3 December 2026 "
        "(report R-…)', 'Modified after signing', 'Not a PDF'"
    )
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
