"""A QA decision as it leaves the engine: the approved (or refused) credential version, the
decision, who took it on behalf of the alliance, its validity and where its evidence lives.

The interop exports (ELM v3, Open Badges 3.0, the DEQAR-shaped record) and the public decision
page are all built from one `DecisionRecord`; the services assemble it from the store
(`services.exports`), the adapters translate it into bytes. Nothing here knows a format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from qa_engine.domain.credential import Credential
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.outcomes import APPROVING, Outcome

# the exports a decision can have, in the order they are written
EXPORT_KINDS: tuple[str, ...] = ("elm", "ob3", "deqar")


class ExportInvalid(ValidationFailed):
    """An export cannot be made truthfully: a value has no mapping, an identifier is missing from
    the interop profile, or the result fails its own format's validation. `where` names the field
    (or JSON path) and the message says what to do."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.reason = message


@dataclass(frozen=True)
class Organisation:
    """An institution or the alliance's QA office, with the identifiers other systems know it by.
    Identifiers are empty when the interop profile does not give them; an export that needs one
    raises `ExportInvalid` naming it."""

    code: str
    name: str  # in English
    local_name: str = ""  # in the institution's own language
    country: str = ""  # ISO 3166-1 alpha-2
    city: str = ""
    homepage: str = ""
    email: str = ""
    legal_identifier: str = ""  # eIDAS legal identifier (e.g. a VAT or EUID number)
    deqar_id: str = ""  # DEQAR institution id (DEQARINST…) or, for the QA office, the agency id
    eter_id: str = ""


@dataclass(frozen=True)
class DecisionRecord:
    """One decision of one case round, with everything an export or the public page states."""

    report_id: str  # the public id of the signed PDF report: the record's id everywhere
    case_id: int
    round: int
    credential_id: int
    credential_version: int  # the version number that was reviewed and decided
    credential: Credential
    rubric_id: str
    rubric_version: str
    outcome: Outcome
    rationale: str
    conditions: tuple[str, ...]
    decided_at: datetime  # aware, UTC
    decided_by: str  # the approver's name, deciding on behalf of the alliance
    valid_until: date | None  # None for an outcome that does not approve
    provider: Organisation  # the institution that offers the credential
    qa_office: Organisation  # the alliance's QA office: the accrediting agent
    base_url: str  # the engine's public address, without a trailing slash
    report_sha256: str | None = None  # the signed PDF's hash once it exists
    deqar_activity_id: str = ""  # the DEQAR activity of the alliance's micro-credential QA
    report_language: str = "en"  # ISO 639-1 of the signed PDF
    as_of: date | None = None  # the day the record is read (for `expired`); None = decided_at
    superseded_by: str | None = None  # the report id of a later decision on the same credential
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def approving(self) -> bool:
        return self.outcome in APPROVING

    @property
    def valid_from(self) -> date:
        return self.decided_at.date()

    @property
    def expired(self) -> bool:
        """An approval whose validity ended before `as_of`."""
        if self.valid_until is None:
            return False
        return (self.as_of or self.decided_at.date()) > self.valid_until

    @property
    def page_url(self) -> str:
        """The public decision page (HTML, or the sealed JSON by content negotiation)."""
        return f"{self.base_url}/decisions/{self.report_id}"

    @property
    def report_url(self) -> str:
        """Where anyone downloads the signed PDF report."""
        return f"{self.page_url}/report.pdf"

    def export_url(self, kind: str) -> str:
        """Where anyone downloads one export of this decision (`elm`, `ob3`, `deqar`)."""
        if kind not in EXPORT_KINDS:
            raise ValueError(f"unknown export kind {kind!r}")
        return f"{self.page_url}/{kind}"

    @property
    def export_kinds(self) -> tuple[str, ...]:
        """What a decision exports: an approval all three; a refusal only the DEQAR record (a
        negative or not-applicable result, no Qualification or Achievement)."""
        return EXPORT_KINDS if self.approving else ("deqar",)
