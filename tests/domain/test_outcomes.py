"""A decision as its provider reads it: outcome, conditions, and what to do next."""

from __future__ import annotations

from datetime import date

from qa_engine.domain.outcomes import decision_summary


def test_each_outcome_says_what_comes_next():
    until = date(2029, 12, 3)
    assert decision_summary("approved_with_conditions", ["A", "B"], until) == (
        "Approved with 2 conditions: A; B — meet them within the time they state; the approval "
        "is valid until 2029-12-03."
    )
    assert decision_summary("approved_with_conditions", ["A"]) == (
        "Approved with 1 condition: A — meet it within the time they state."
    )
    assert (
        decision_summary("approved", (), until)
        == "Approved; the approval is valid until 2029-12-03."
    )
    assert decision_summary("revision_requested").startswith("Revision requested — revise")
    assert decision_summary("rejected").startswith("Rejected — you may submit")
