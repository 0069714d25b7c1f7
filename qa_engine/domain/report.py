"""The evaluation report as data: everything a signed report says, already decided and formatted.

A report is built from a decided case (a service does that), rendered to PDF bytes by an adapter
and signed. This module holds only the content: no layout, no database, no third-party library.
Every value here is final: the renderer prints it and computes nothing that a reader would have
to trust without seeing how it was obtained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote

from qa_engine.domain.credential_diff import ElementChange
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import DEFAULT, LANGUAGES, N_, Message

# Bump when the layout or the content of the report changes in a way a reader would notice; the
# value is stored with each report so that an old report can be explained (and re-rendered) later.
REPORT_TEMPLATE_VERSION = "evaluation-report/4"  # 2: the credential version, its changes;
# 3: the gate rule, one kind of figure per consolidation column, element checks, score by part;
# 4: in the report's language (its texts, dates and numbers), English by default


def make_report_id(
    *, year: int, case_id: int, round: int, kind: str = "pdf", language: str = DEFAULT
) -> str:
    """Return the public id of one decision's report of this kind, in this language.

    The signed PDF is ``QA-2026-000123-R1``; another kind adds its name
    (``QA-2026-000123-R1-XLSX``); a report in a language other than English adds the language
    first (``QA-2026-000123-R1-CS``, ``QA-2026-000123-R1-CS-XLSX``).
    """
    if case_id < 0 or round < 1:
        raise ValidationFailed(
            f"A report id needs a case id >= 0 and a round >= 1, not {case_id}/{round}."
        )
    base = f"QA-{year:04d}-{case_id:06d}-R{round}"
    if language != DEFAULT:
        if language not in LANGUAGES:
            raise ValidationFailed(
                f"A report is written in one of {', '.join(LANGUAGES)}, not {language!r}."
            )
        base = f"{base}-{language.upper()}"
    return base if kind == "pdf" else f"{base}-{kind.upper()}"


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{name} must be a timezone-aware datetime (UTC), got {value!r}.")


def _require_share(name: str, value: float | None) -> None:
    if value is not None and (math.isnan(value) or not 0.0 <= value <= 1.0):
        raise ValidationFailed(f"{name} must lie between 0 and 1, got {value!r}.")


@dataclass(frozen=True)
class ReportCredential:
    """The frozen credential version the case reviewed, as the report shows it."""

    reference: str
    provider: str  # institution code, e.g. "CUNI"
    provider_name: str
    title: str
    # (element id like "EU-A1.6", element title, value as display text)
    elements: list[tuple[str, str, str]] = field(default_factory=list)
    learning_outcomes: list[str] = field(default_factory=list)
    ects: str = ""
    eqf_level: int | None = None
    isced_f: str = ""
    languages: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportChanges:
    """What changed in the credential since the round before (a revision round reviews a newer
    version)."""

    round: int  # the round before
    version: int  # the credential version that round reviewed
    changes: list[ElementChange] = field(default_factory=list)


@dataclass(frozen=True)
class ReportCriterion:
    """One rubric criterion with the self-assessment, every review score and their consolidation."""

    id: str
    title: str
    kind: str  # "scale", "yes_no", "elements_check", "text"
    maps_to: list[str] = field(default_factory=list)
    # the scale: (value, label, descriptor)
    descriptors: list[tuple[int, str, str]] = field(default_factory=list)
    self_score: float | None = None
    self_narrative: str = ""
    # (reviewer label such as "Reviewer A", score or None, comment)
    scores: list[tuple[str, float | None, str]] = field(default_factory=list)
    mean: float | None = None
    median: float | None = None
    spread: float | None = None
    disagreement: bool = False
    gate_min: int | None = None
    gate_passed: bool | None = None
    effective_weight: float = 0.0
    # an elements check: how many elements it looks for (its score, `mean`, counts those present)
    elements_total: int | None = None

    def label_for(self, value: float | None) -> str:
        """Return the scale label of a whole-number score ("" when the score has no label)."""
        if value is None or value != int(value):
            return ""
        return next((label for v, label, _ in self.descriptors if v == int(value)), "")

    def normalised_mean(self) -> float | None:
        """Return the mean as a share of the scale (0..1), or None when there is no mean or
        scale."""
        if self.mean is None or not self.descriptors:
            return None
        low = min(v for v, _, _ in self.descriptors)
        high = max(v for v, _, _ in self.descriptors)
        if high <= low:
            return None
        return min(1.0, max(0.0, (self.mean - low) / (high - low)))


@dataclass(frozen=True)
class ReportStandardRow:
    """How the scores speak to one standard (ESG-1.x) or principle (EU-Px)."""

    reference: str
    title: str
    score: float | None  # normalised mean of the criteria that map to it, 0..1
    criteria: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        _require_share(f"The score of {self.reference}", self.score)


@dataclass(frozen=True)
class ReportPartRow:
    """The score of one part of a composite rubric (an included rubric such as ESG 2015 Part 1,
    or the composite's own criteria)."""

    part: str  # the rubric id of the part
    score: float | None  # weighted mean of the normalised scores of its criteria, 0..1
    weight: float  # the part's share of the total: the sum of its criteria's effective weights
    criteria: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        _require_share(f"The score of part {self.part}", self.score)


@dataclass(frozen=True)
class ReportEvent:
    """One line of the case history."""

    at: datetime  # aware, UTC
    actor_label: str  # "QA officer", "Reviewer B", "Engine": never a reviewer's name
    action: str  # human words, e.g. "submitted the self-assessment" (an English msgid)
    detail: str | Message = ""  # a Message is shown in the report's language

    def __post_init__(self) -> None:
        _require_aware("A history event's time", self.at)


@dataclass(frozen=True)
class EvaluationReport:
    """The whole content of one evaluation report: one decision on one round of one case."""

    report_id: str
    template_version: str
    generated_at: datetime
    case_id: int
    round: int
    credential: ReportCredential
    rubric_id: str
    rubric_version: str
    rubric_hash: str
    self_assessment_summary: str
    criteria: list[ReportCriterion]
    overall: float | None  # 0..1
    agreement: (
        float | None
    )  # Krippendorff's alpha, ordinal, scale criteria only; a secondary figure
    agreement_label: str  # what alpha means, or why it cannot be computed
    gates_failed: list[str]
    recommended_outcome: str
    decision_outcome: str
    decision_rationale: str
    conditions: list[str]
    decided_by_label: str
    decided_at: datetime
    valid_until: date | None
    esg_rows: list[ReportStandardRow]
    eu_rows: list[ReportStandardRow]
    history: list[ReportEvent]
    verify_url: str  # the public page where anyone can check a report by its id
    credential_version: int | None = None  # the number of the credential version reviewed
    changes_since: ReportChanges | None = None  # a revision round: the changes it reviewed
    # the case's own agreement figures: criteria within one level, the largest gap, disagreement
    agreement_summary: str = ""
    yes_no_summary: str = ""  # how often the reviewers answered the yes/no criteria alike
    # a composite rubric: the score of each part (ScoreBreakdown.by_part); one part is no table
    parts: list[ReportPartRow] = field(default_factory=list)
    # the same two summaries as messages, shown in the report's language where given
    agreement_messages: tuple[Message, ...] = ()
    yes_no_message: Message | None = None
    # the language the report is written in (its texts, dates and numbers): English, the
    # alliance's working language, unless an institution or a person asks for another
    language: str = DEFAULT

    def __post_init__(self) -> None:
        if not self.report_id.strip():
            raise ValidationFailed("A report needs a report id.")
        if self.language not in LANGUAGES:
            raise ValidationFailed(
                f"A report is written in one of {', '.join(LANGUAGES)}, not {self.language!r}."
            )
        _require_aware("The report's generation time", self.generated_at)
        _require_aware("The decision time", self.decided_at)
        _require_share("The overall score", self.overall)
        if self.agreement is not None and (
            math.isnan(self.agreement) or not -1.0 <= self.agreement <= 1.0
        ):
            raise ValidationFailed(
                f"The agreement statistic must lie between -1 and 1, got {self.agreement!r}."
            )
        ids = [c.id for c in self.criteria]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValidationFailed(
                "A report lists each criterion once.",
                details=[f"repeated: {d}" for d in duplicates],
            )

    @property
    def verification_link(self) -> str:
        """The address printed as a QR code: the verification page with this report's id."""
        separator = "&" if "?" in self.verify_url else "?"
        return f"{self.verify_url}{separator}id={quote(self.report_id, safe='')}"

    @property
    def reviewer_labels(self) -> list[str]:
        """Every reviewer label that scored at least one criterion, in first-seen order."""
        labels: list[str] = []
        for criterion in self.criteria:
            for label, _, _ in criterion.scores:
                if label not in labels:
                    labels.append(label)
        return labels


# who acted, where no name is shown, and other words of the report data: msgids, the report
# shows them in its language
ENGINE = N_("Engine")
APPROVER = N_("Approver")
NO_SUMMARY = N_("(no summary given)")
YES_NO_LABELS = ((0, N_("No"), ""), (1, N_("Yes"), ""))

# the outcomes in words (`outcome_label`), marked for the catalogs: a report shows them translated
OUTCOME_LABELS = (
    N_("Approved"),
    N_("Approved with conditions"),
    N_("Revision requested"),
    N_("Rejected"),
)


def outcome_label(outcome: str) -> str:
    """Return an outcome code in words:
    ``approved_with_conditions`` -> ``Approved with conditions``."""
    words = outcome.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
