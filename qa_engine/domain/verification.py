"""What checking a report file found: the signature's verdict, and whether the engine issued
exactly this file (the register)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

VerdictStatus = Literal["valid", "modified", "untrusted", "unsigned", "not_pdf", "invalid"]

# The verdict of each status in words (a valid signature is told with who and when: `verdict_words`)
STATUS_WORDS: dict[str, str] = {
    "valid": "Valid",
    "modified": "Modified after signing",
    "untrusted": "Signed, but not by the engine's key",
    "unsigned": "Not signed",
    "not_pdf": "Not a PDF",
    "invalid": "Damaged: the signature cannot be checked",
}


@dataclass(frozen=True)
class Verdict:
    """What a verification found, in words a person can act on."""

    status: VerdictStatus
    message: str
    signer: str | None = None  # subject common name of the signing certificate
    signed_at: dt.datetime | None = (
        None  # timestamp time if present, else the signer's claimed time
    )
    report_id: str | None = None  # from the PDF's /Subject
    coverage: str | None = None  # the signature's coverage level, e.g. "ENTIRE_FILE"

    @property
    def ok(self) -> bool:
        return self.status == "valid"


@dataclass(frozen=True)
class VerificationResult:
    verdict: Verdict
    registered: bool | None  # the engine issued a report with this id and these exact bytes
    sha256: str

    @property
    def ok(self) -> bool:
        return self.verdict.ok and self.registered is not False

    @property
    def headline(self) -> str:
        """The verdict in the words people use, e.g. "Valid — issued by … on 3 December 2026
        (report R-…)", "Modified after signing", "Not a PDF"."""
        return verdict_words(self.verdict, self.registered)

    def lines(self) -> list[str]:
        v = self.verdict
        out = [self.headline, v.message]
        if v.signer:
            out.append(f"signed by: {v.signer}")
        if v.signed_at:
            out.append(f"signed at: {v.signed_at:%Y-%m-%d %H:%M:%S %Z}")
        if v.report_id:
            out.append(f"report id: {v.report_id}")
        if self.registered is True:
            out.append("registered: this exact file was issued by the engine")
        elif self.registered is False:
            out.append(
                "registered: NO — the engine has no report with this id and these exact bytes"
            )
        out.append(f"sha256: {self.sha256}")
        return out


def _day(when: dt.datetime) -> str:
    when = when.astimezone(dt.UTC) if when.tzinfo else when
    return f"{when.day} {when:%B %Y}"


def verdict_words(verdict: Verdict, registered: bool | None) -> str:
    """The verdict in words: who issued the file and when, or what is wrong with it."""
    if verdict.status != "valid":
        return STATUS_WORDS.get(verdict.status, verdict.status)
    if registered is False:
        return "Not issued by the engine: signed with its key, but it has no such file on record"
    signer = verdict.signer or "an unnamed signer"
    when = f" on {_day(verdict.signed_at)}" if verdict.signed_at else ""
    report = f" (report {verdict.report_id})" if verdict.report_id else ""
    if registered is None:
        return f"Valid — signed by {signer}{when}{report}; not checked against the register"
    return f"Valid — issued by {signer}{when}{report}"
