"""What checking a report file found: the signature's verdict, and whether the engine issued
exactly this file (the register)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from qa_engine.domain.i18n import N_, Message

VerdictStatus = Literal["valid", "modified", "untrusted", "unsigned", "not_pdf", "invalid"]

# The verdict of each status in words (a valid signature is told with who and when: `verdict_words`)
STATUS_WORDS: dict[str, str] = {
    "valid": N_("Valid"),
    "modified": N_("Modified after signing"),
    "untrusted": N_("Signed, but not by the engine's key"),
    "unsigned": N_("Not signed"),
    "not_pdf": N_("Not a PDF"),
    "invalid": N_("Damaged: the signature cannot be checked"),
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
    # the message as a msgid and its values, for a reader of another language (None: English only)
    text: Message | None = None

    def message_in(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> str:
        """The message in the language of `gettext` (English where it has no msgid)."""
        if self.text is None:
            return self.message
        try:
            return self.text.render(gettext, ngettext)
        except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
            return self.message

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

    def headline_in(self, gettext: Callable[[str], str], day: Callable[[dt.datetime], str]) -> str:
        """The headline in the language of `gettext`, its date written by `day`."""
        return verdict_words(self.verdict, self.registered, gettext, day)

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


def day_words(when: dt.datetime) -> str:
    """A signature's day in the engine's English: "3 December 2026"."""
    return _day(when)


def _day(when: dt.datetime) -> str:
    when = when.astimezone(dt.UTC) if when.tzinfo else when
    return f"{when.day} {when:%B %Y}"


def _same(text: str) -> str:
    return text


def verdict_words(
    verdict: Verdict,
    registered: bool | None,
    gettext: Callable[[str], str] = _same,
    day: Callable[[dt.datetime], str] = _day,
) -> str:
    """The verdict in words: who issued the file and when, or what is wrong with it (in English,
    or in the language of `gettext`, the date written by `day`)."""
    _ = gettext
    if verdict.status != "valid":
        words = STATUS_WORDS.get(verdict.status)
        return _(words) if words else verdict.status
    if registered is False:
        return _("Not issued by the engine: signed with its key, but it has no such file on record")
    signer = verdict.signer or _("an unnamed signer")
    when = _(" on %(day)s") % {"day": day(verdict.signed_at)} if verdict.signed_at else ""
    report = _(" (report %(id)s)") % {"id": verdict.report_id} if verdict.report_id else ""
    values = {"signer": signer, "when": when, "report": report}
    if registered is None:
        return (
            _("Valid — signed by %(signer)s%(when)s%(report)s; not checked against the register")
            % values
        )
    return _("Valid — issued by %(signer)s%(when)s%(report)s") % values
