"""Calibrating a rubric from the stored reviews (issue 18, item 5): planted evidence is found."""

from __future__ import annotations

import random

from qa_engine.domain.calibration import ReviewedRound, calibrate, contradiction_word
from tests.domain.test_replay import tiny


def _rounds(rubric, n=200, seed=5):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        base = rng.randint(1, 3)
        reviews = (
            {"c1": base, "c2": 0, "yn": True},
            {"c1": min(4, base + rng.choice((0, 1))), "c2": 4, "yn": True},
        )
        comments = ({"c1": "clear outcomes"}, {})
        if i == 17:  # the planted contradiction: the top level with "missing evidence"
            reviews = ({"c1": 4, "c2": 0, "yn": True}, {"c1": 4, "c2": 4, "yn": True})
            comments = ({"c1": "Learning outcomes are missing evidence of assessment."}, {})
        out.append(
            ReviewedRound(
                case_id=i + 1,
                round=1,
                rubric_hash=rubric.content_hash,
                reviews=reviews,
                comments=comments,
                self_scores={"c1": base, "c2": 2, "yn": True},
            )
        )
    return out


def test_a_planted_contradiction_and_a_planted_disagreement_are_found(tmp_path):
    rubric = tiny(tmp_path, "1.0.0")
    report = calibrate(_rounds(rubric), {rubric.content_hash: rubric}, rubric, threshold=2)
    by_id = {c.criterion_id: c for c in report.criteria}
    assert report.rounds == 200
    c1, c2, yn = by_id["c1"], by_id["c2"], by_id["yn"]
    # c2: every round 0 against 4, beyond the threshold of 2
    assert (c2.disagreements, c2.compared) == (200, 200)
    assert any("more than 2 levels apart in 200 of 200 rounds" in f for f in c2.flags)
    assert c2.alpha is not None and c2.alpha < 0.667
    # c1: the one contradiction, with its case and comment as evidence
    assert c1.contradictions == 1
    assert (c1.examples[0].case_id, c1.examples[0].word) == (18, "missing")
    assert "missing evidence" in c1.examples[0].comment
    assert c1.disagreements == 0
    # yes/no criteria are counted apart: percent agreement, no alpha
    assert yn.alpha is None and yn.agreement == "percent agreement (yes/no) = 100 %"
    assert yn.flags == []
    # ranked: the criteria with evidence first
    assert [c.criterion_id for c in report.criteria][:2] == ["c2", "c1"]
    assert report.criteria[-1].criterion_id == "yn"


def test_gate_failures_and_the_gate_that_decides(tmp_path):
    rubric = tiny(tmp_path, "1.0.0", gate=2)
    rounds = [
        ReviewedRound(1, 1, rubric.content_hash, ({"c1": 1, "c2": 4, "yn": 1},), ({},), {}),
        ReviewedRound(2, 1, rubric.content_hash, ({"c1": 0, "c2": 0, "yn": 0},), ({},), {}),
        ReviewedRound(3, 1, rubric.content_hash, ({"c1": 4, "c2": 4, "yn": 1},), ({},), {}),
    ]
    report = calibrate(rounds, {rubric.content_hash: rubric}, rubric, threshold=2)
    c1 = next(c for c in report.criteria if c.criterion_id == "c1")
    # both 1 and 0 fail the gate; only in the first does it decide (the second is rejected anyway)
    assert (c1.gate_failures, c1.decisive) == (2, 1)


def test_the_self_assessment_gap(tmp_path):
    rubric = tiny(tmp_path, "1.0.0")
    rounds = [
        ReviewedRound(i, 1, rubric.content_hash, ({"c1": 1}, {"c1": 2}), ({}, {}), {"c1": 3})
        for i in range(1, 4)
    ]
    report = calibrate(rounds, {rubric.content_hash: rubric}, rubric, threshold=2)
    c1 = next(c for c in report.criteria if c.criterion_id == "c1")
    assert c1.self_gap == 1.5
    assert any("self-assessments +1.50" in f for f in c1.flags)


def test_the_word_lists():
    assert contradiction_word("No evidence provided", high=True) == "No evidence"
    assert contradiction_word("Nachweis fehlt", high=True) == "fehlt"
    assert contradiction_word("brak opisu", high=True) == "brak"
    assert contradiction_word("nothing missing here", high=True) is None
    assert contradiction_word("an excellent design", high=False) == "excellent"
    assert contradiction_word("not fully described", high=False) is None
    assert contradiction_word("plně splněno", high=False) == "plně"
    assert contradiction_word("excellent", high=True) is None
