"""What checking a report file found: the signature's verdict, and whether the engine issued
exactly this file (the register)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

VerdictStatus = Literal["valid", "modified", "untrusted", "unsigned", "not_pdf", "invalid"]


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

    def lines(self) -> list[str]:
        v = self.verdict
        out = [f"verdict: {v.status}", v.message]
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
