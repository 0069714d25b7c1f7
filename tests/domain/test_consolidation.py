"""Why an extra reviewer is asked for: the criteria the reviewers disagree on, with their scores."""

from __future__ import annotations

from pathlib import Path

from qa_engine.domain.consolidation import consolidate, disagreements, extra_reviewer_reason
from qa_engine.domain.rubric_loader import load_library

ROOT = Path(__file__).resolve().parents[2]
MICI = load_library([ROOT / "rubrics"]).get("4eu-mici")


def test_a_yes_no_and_a_scale_disagreement_are_named_with_their_scores():
    ids = [rc.id for rc in MICI.scored_criteria if rc.criterion.kind != "elements_check"]
    a = {cid: 3 for cid in ids} | {"dg-stackable": True}
    b = {cid: 3 for cid in ids} | {"dg-stackable": False, "esg-1.2": 0}
    result = consolidate(MICI, [a, b], threshold=2)
    assert result.disagreement == ["esg-1.2", "dg-stackable"]
    items = disagreements(MICI, result)
    assert [(d.criterion_id, d.scores) for d in items] == [
        ("esg-1.2", ("3", "0")),
        ("dg-stackable", ("yes", "no")),
    ]
    assert items[1].to_json() == {
        "criterion": "dg-stackable",
        "title": "Stackable towards at least one degree or credential",
        "scores": ["yes", "no"],
    }
    reason = extra_reviewer_reason(items)
    assert reason.startswith("An extra reviewer: the reviewers disagree on esg-1.2 “")
    assert reason.endswith(
        " (3, 0) and dg-stackable “Stackable towards at least one degree or credential” (yes, no)."
    )


def test_without_disagreement_nothing_is_named():
    ids = [rc.id for rc in MICI.scored_criteria if rc.criterion.kind != "elements_check"]
    same = {cid: 3 for cid in ids} | {"dg-stackable": True}
    assert disagreements(MICI, consolidate(MICI, [same, same], threshold=2)) == []
