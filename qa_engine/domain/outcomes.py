"""Decision outcomes, ordered from best to worst."""

from __future__ import annotations

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
