"""Scoring: known numbers, and the invariants (bounds, monotonicity, weights) as properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubric_loader import load_library
from qa_engine.domain.scoring import element_scores, score

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"
LIB = load_library([RUBRICS])
ALLIANCE = LIB.get("4eu-mici")
ESG = LIB.get("esg-2015-part1")


def full_scores(rubric, level: int) -> dict:
    out = {}
    for rc in rubric.scored_criteria:
        lo, hi = rubric.score_range(rc.criterion)
        out[rc.id] = max(lo, min(hi, level)) if rc.criterion.kind == "scale" else hi
    return out


def test_all_top_marks_is_one_and_approved():
    result = score(ALLIANCE, full_scores(ALLIANCE, 99))
    assert result.overall == pytest.approx(1.0)
    assert result.recommended_outcome == Outcome.APPROVED
    assert result.gates_failed == []
    assert result.complete


def test_known_numbers_on_esg():
    # every ESG criterion at 2 on a 0–4 scale is 0.5 whatever the weights
    scores = {rc.id: 2 for rc in ESG.scored_criteria}
    result = score(ESG, scores)
    assert result.overall == pytest.approx(0.5)
    # one criterion at 4 raises the total by exactly its effective weight × 0.5
    first = ESG.scored_criteria[0]
    scores[first.id] = 4
    assert score(ESG, scores).overall == pytest.approx(0.5 + 0.5 * first.effective_weight)


def test_failed_gate_caps_the_outcome():
    gated = next(rc for rc in ESG.scored_criteria if rc.criterion.gate)
    scores = full_scores(ESG, 4)
    scores[gated.id] = gated.criterion.gate.min_level - 1
    result = score(ESG, scores)
    assert gated.id in result.gates_failed
    assert result.threshold_outcome == Outcome.APPROVED
    assert result.recommended_outcome == gated.criterion.gate.otherwise
    assert any("gate failed" in line for line in result.explanation)


def test_missing_scores_are_listed_not_counted_as_zero():
    scores = full_scores(ESG, 4)
    dropped = ESG.scored_criteria[0].id
    del scores[dropped]
    result = score(ESG, scores)
    assert result.missing == [dropped]
    assert result.overall == pytest.approx(1.0)
    assert not result.complete


def test_breakdown_explains_the_total():
    result = score(ESG, {rc.id: 3 for rc in ESG.scored_criteria})
    assert sum(c.contribution for c in result.criteria) == pytest.approx(result.overall)
    assert "ESG-1.2" in result.by_reference
    assert len(result.explanation) >= len(ESG.scored_criteria)


def test_elements_check_scores_count_present_elements():
    el = next(rc for rc in ALLIANCE.criteria if rc.criterion.kind == "elements_check")
    present = {e: True for e in el.criterion.elements}
    present[el.criterion.elements[0]] = False
    assert element_scores(ALLIANCE, present)[el.id] == len(el.criterion.elements) - 1


def _score_strategy(rubric):
    fields = {}
    for rc in rubric.scored_criteria:
        lo, hi = rubric.score_range(rc.criterion)
        fields[rc.id] = st.integers(min_value=lo, max_value=hi)
    return st.fixed_dictionaries(fields)


@settings(max_examples=150, deadline=None)
@given(_score_strategy(ALLIANCE))
def test_overall_is_bounded(scores):
    result = score(ALLIANCE, scores)
    assert 0.0 <= result.overall <= 1.0
    for c in result.criteria:
        assert 0.0 <= c.normalised <= 1.0


@settings(max_examples=150, deadline=None)
@given(_score_strategy(ALLIANCE), st.data())
def test_raising_one_score_never_lowers_the_total_or_the_outcome(scores, data):
    cid = data.draw(st.sampled_from(sorted(scores)))
    rc = ALLIANCE.criterion(cid)
    _, hi = ALLIANCE.score_range(rc.criterion)
    before = score(ALLIANCE, scores)
    raised = dict(scores, **{cid: data.draw(st.integers(min_value=scores[cid], max_value=hi))})
    after = score(ALLIANCE, raised)
    assert after.overall >= before.overall - 1e-12
    assert after.recommended_outcome.rank <= before.recommended_outcome.rank


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.1, max_value=10), st.data())
def test_scaling_every_weight_changes_nothing(factor, data):
    from qa_engine.domain.rubric import Rubric

    scaled_criteria = [
        rc.model_copy(update={"effective_weight": rc.effective_weight * factor})
        for rc in ESG.criteria
    ]
    scaled = Rubric.model_validate(
        {**ESG.model_dump(), "criteria": [c.model_dump() for c in scaled_criteria]}
    )
    scores = data.draw(_score_strategy(ESG))
    assert score(scaled, scores).overall == pytest.approx(score(ESG, scores).overall)


@settings(max_examples=60, deadline=None)
@given(_score_strategy(ESG))
def test_heavier_criterion_moves_the_total_more(scores):
    # the total is the weighted mean: it lies between the lowest and highest normalised score
    result = score(ESG, scores)
    norms = [c.normalised for c in result.criteria]
    assert min(norms) - 1e-12 <= result.overall <= max(norms) + 1e-12


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_the_stated_standard_score_method_is_the_computed_one(data):
    """GROUP_SCORE_METHOD (printed in the report) recomputed from the criteria: the weighted mean
    of the normalised scores of the criteria that map to each standard."""
    from qa_engine.domain.scoring import GROUP_SCORE_METHOD

    assert "weighted mean" in GROUP_SCORE_METHOD and "effective weight" in GROUP_SCORE_METHOD
    scores = {}
    for rc in ALLIANCE.scored_criteria:
        lo, hi = ALLIANCE.score_range(rc.criterion)
        scores[rc.id] = data.draw(st.integers(lo, hi))
    result = score(ALLIANCE, scores)
    by_id = {c.criterion_id: c for c in result.criteria}
    for key, group in result.by_reference.items():
        items = [by_id[cid] for cid in group.criteria]
        weight = sum(c.effective_weight for c in items)
        stated = sum((c.normalised or 0.0) * c.effective_weight for c in items) / weight
        assert group.score == pytest.approx(stated), key
