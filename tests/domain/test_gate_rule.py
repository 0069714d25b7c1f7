"""The gate rule said in the reports is the rule the scoring applies."""

from __future__ import annotations

import statistics

from qa_engine.domain.scoring import GATE_LEVEL_EXAMPLE, GATE_RULE, gate_met


def test_the_stated_example_is_what_the_scoring_judges():
    level, (low, high) = GATE_LEVEL_EXAMPLE
    assert low < level < high  # one reviewer below the gate, one above
    assert gate_met(statistics.fmean((low, high)), level)
    assert not gate_met(statistics.fmean((low, low)), level)
    assert f"a {low} and a {high} meet a level-{level} gate" in GATE_RULE
    assert "mean of the reviewers' scores" in GATE_RULE
