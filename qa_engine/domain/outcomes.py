"""Decision outcomes, ordered from best to worst."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum

from qa_engine.domain.i18n import N_, Nn_, Np_, Phrase


class Outcome(StrEnum):
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    REVISION_REQUESTED = "revision_requested"
    REJECTED = "rejected"

    @property
    def rank(self) -> int:
        """0 is best; a larger rank is a worse outcome."""
        return _ORDER.index(self)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# each outcome in words, as pages, mails and reports show it (translated where it is shown)
OUTCOME_NAMES: dict[str, str] = {
    Outcome.APPROVED: N_("approved"),
    Outcome.APPROVED_WITH_CONDITIONS: N_("approved with conditions"),
    Outcome.REVISION_REQUESTED: N_("revision requested"),
    Outcome.REJECTED: N_("rejected"),
}

# The outcomes that approve the credential (and give the approval its validity period).
APPROVING = (Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS)

_ORDER = [
    Outcome.APPROVED,
    Outcome.APPROVED_WITH_CONDITIONS,
    Outcome.REVISION_REQUESTED,
    Outcome.REJECTED,
]


def worst(*outcomes: Outcome) -> Outcome:
    return max(outcomes, key=lambda o: o.rank)


def decision_summary(
    outcome: str, conditions: Sequence[str] = (), valid_until: date | None = None
) -> str:
    """A decision as its provider reads it: the outcome, the conditions, and what to do next (a
    `Phrase`: English wherever a string is used, in the reader's language on a page)."""
    day = f"{valid_until:%Y-%m-%d}" if valid_until else ""
    if outcome == Outcome.APPROVED_WITH_CONDITIONS:
        n = len(conditions)
        if conditions:
            said = Nn_(
                "Approved with %(num)s condition: %(conditions)s — meet it within the time they "
                "state",
                "Approved with %(num)s conditions: %(conditions)s — meet them within the time they "
                "state",
                n,
                conditions="; ".join(conditions),
            )
        else:
            said = Nn_(
                "Approved with %(num)s condition — meet it within the time they state",
                "Approved with %(num)s conditions — meet them within the time they state",
                n,
            )
        if day:
            return Phrase(
                Np_(N_("%(said)s; the approval is valid until %(day)s."), said=said, day=day)
            )
        return Phrase(Np_(N_("%(said)s."), said=said))
    if outcome == Outcome.APPROVED:
        if day:
            return Phrase(Np_(N_("Approved; the approval is valid until %(day)s."), day=day))
        return Phrase(Np_(N_("Approved.")))
    if outcome == Outcome.REVISION_REQUESTED:
        return Phrase(
            Np_(
                N_(
                    "Revision requested — revise the credential and write the self-assessment "
                    "again."
                )
            )
        )
    if outcome == Outcome.REJECTED:
        return Phrase(
            Np_(N_("Rejected — you may submit a substantially revised proposal as a new case."))
        )
    return outcome.replace("_", " ").capitalize() + "."
