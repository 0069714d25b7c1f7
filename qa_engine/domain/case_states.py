"""The review case state machine: the legal transitions and nothing else."""

from __future__ import annotations

from enum import StrEnum

from qa_engine.domain.errors import InvalidTransition
from qa_engine.domain.i18n import N_, Message, Np_, listed, one_of


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

# each state in words, as pages, errors and reports show it (translated where it is shown)
STATE_NAMES: dict[CaseState, str] = {
    S.SUBMITTED: N_("submitted"),
    S.SCREENING: N_("screening"),
    S.RETURNED: N_("returned"),
    S.SELF_ASSESSMENT: N_("self assessment"),
    S.ASSIGNMENT: N_("assignment"),
    S.PEER_REVIEW: N_("peer review"),
    S.CONSOLIDATION: N_("consolidation"),
    S.APPROVAL: N_("approval"),
    S.REPORTING: N_("reporting"),
    S.CLOSED: N_("closed"),
    S.WITHDRAWN: N_("withdrawn"),
}


def state_name(state: CaseState | str) -> Message:
    """A state in words, to translate where it is shown."""
    return Np_(STATE_NAMES[CaseState(state)])


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
        names = [state_name(s) for s in sorted(TRANSITIONS[cur], key=lambda s: s.value)]
        allowed: Message | str = (
            listed(names) if names else Np_(N_("nothing (the case is finished)"))
        )
        raise InvalidTransition(
            N_("a case in state '%(state)s' cannot move to '%(target)s'; allowed: %(allowed)s"),
            state=state_name(cur),
            target=state_name(tgt),
            allowed=allowed,
        )
    return tgt


def require_state(current: CaseState | str, *expected: CaseState, action: str) -> None:
    """Raise `InvalidTransition` when an action is attempted in the wrong state; `action` is a verb
    phrase marked for the catalogs where it is written (`action=N_("assign reviewers")`)."""
    if CaseState(current) not in expected:
        raise InvalidTransition(
            N_("cannot %(action)s: the case is in state '%(state)s', not %(wanted)s"),
            action=Np_(action),
            state=state_name(current),
            wanted=one_of([state_name(s) for s in expected]),
        )
