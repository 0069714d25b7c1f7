"""The review case state machine: the legal transitions and nothing else."""

from __future__ import annotations

from enum import StrEnum

from qa_engine.domain.errors import InvalidTransition


class CaseState(StrEnum):
    SUBMITTED = "submitted"
    SCREENING = "screening"
    RETURNED = "returned"
    SELF_ASSESSMENT = "self_assessment"
    ASSIGNMENT = "assignment"
    PEER_REVIEW = "peer_review"
    CONSOLIDATION = "consolidation"
    APPROVAL = "approval"
    REPORTING = "reporting"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def automated(self) -> bool:
        return self in AUTOMATED

    @property
    def open(self) -> bool:
        return self not in (CaseState.CLOSED, CaseState.WITHDRAWN)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


S = CaseState

# Stages the engine performs by itself; the others wait for a person.
AUTOMATED = frozenset({S.SUBMITTED, S.SCREENING, S.CONSOLIDATION, S.REPORTING})
# Where the case gathers its reviewers and their reviews (reviewers may still be invited or
# replaced).
REVIEWING = (S.ASSIGNMENT, S.PEER_REVIEW)

TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.SUBMITTED: frozenset({S.SCREENING}),
    S.SCREENING: frozenset({S.SELF_ASSESSMENT, S.RETURNED}),
    S.RETURNED: frozenset({S.SUBMITTED}),  # the provider revised the credential and resubmits
    S.SELF_ASSESSMENT: frozenset({S.ASSIGNMENT}),
    S.ASSIGNMENT: frozenset({S.PEER_REVIEW}),
    S.PEER_REVIEW: frozenset({S.CONSOLIDATION}),
    S.CONSOLIDATION: frozenset(
        {S.APPROVAL, S.PEER_REVIEW}
    ),  # back when an extra reviewer is needed
    S.APPROVAL: frozenset({S.REPORTING}),
    S.REPORTING: frozenset({S.CLOSED, S.SELF_ASSESSMENT}),  # revision requested: a new round
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
for _state in list(TRANSITIONS):
    if _state.open:
        TRANSITIONS[_state] = TRANSITIONS[_state] | {S.WITHDRAWN}

# The states a case ends in (closed or withdrawn), in the order of the enum.
FINISHED = tuple(s for s in CaseState if not s.open)


def can_transition(current: CaseState | str, target: CaseState | str) -> bool:
    return CaseState(target) in TRANSITIONS[CaseState(current)]


def check_transition(current: CaseState | str, target: CaseState | str) -> CaseState:
    """Return the target state, or raise `InvalidTransition` saying what is allowed instead."""
    cur, tgt = CaseState(current), CaseState(target)
    if tgt not in TRANSITIONS[cur]:
        allowed = (
            ", ".join(sorted(s.value for s in TRANSITIONS[cur])) or "nothing (the case is finished)"
        )
        raise InvalidTransition(
            f"a case in state '{cur.value}' cannot move to '{tgt.value}'; allowed: {allowed}"
        )
    return tgt


def require_state(current: CaseState | str, *expected: CaseState, action: str) -> None:
    """Raise `InvalidTransition` when an action is attempted in the wrong state."""
    if CaseState(current) not in expected:
        wanted = " or ".join(s.value for s in expected)
        raise InvalidTransition(
            f"cannot {action}: the case is in state '{CaseState(current).value}', not {wanted}"
        )
