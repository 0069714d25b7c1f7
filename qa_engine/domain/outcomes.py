"""Decision outcomes, ordered from best to worst."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum


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
    """A decision as its provider reads it: the outcome, the conditions, and what to do next."""
    until = f"the approval is valid until {valid_until:%Y-%m-%d}" if valid_until else ""
    if outcome == Outcome.APPROVED_WITH_CONDITIONS:
        n = len(conditions)
        listed = f": {'; '.join(conditions)}" if conditions else ""
        said = f"Approved with {n} condition{'' if n == 1 else 's'}{listed}"
        said += f" — meet {'it' if n == 1 else 'them'} within the time they state"
        return said + (f"; {until}." if until else ".")
    if outcome == Outcome.APPROVED:
        return f"Approved; {until}." if until else "Approved."
    if outcome == Outcome.REVISION_REQUESTED:
        return "Revision requested — revise the credential and write the self-assessment again."
    if outcome == Outcome.REJECTED:
        return "Rejected — you may submit a substantially revised proposal as a new case."
    return outcome.replace("_", " ").capitalize() + "."
