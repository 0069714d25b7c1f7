"""Agreement, honestly: ordinal alpha over the scale criteria only, "not computable" with its
reason (never 0.00), labels that say what the number means, and the case's own figures first."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.domain.consolidation import agreement_label, consolidate, ordinal_alpha
from qa_engine.domain.rubric_loader import load_library

ROOT = Path(__file__).resolve().parents[2]
MICI = load_library([ROOT / "rubrics"]).get("4eu-mici")
REVIEWED = [rc for rc in MICI.scored_criteria if rc.criterion.kind != "elements_check"]
SCALE = [rc.id for rc in REVIEWED if rc.criterion.kind == "scale"]
YES_NO = [rc.id for rc in REVIEWED if rc.criterion.kind == "yes_no"]
FEWER_THAN_TWO = "not computable: fewer than two reviewers"
NO_VARIATION = "not computable: no variation in the scores"


def _pair(a: list[int], b: list[int], yes_no: tuple[bool, bool]) -> list[dict[str, float | bool]]:
    first: dict[str, float | bool] = dict(zip(SCALE, a, strict=True))
    second: dict[str, float | bool] = dict(zip(SCALE, b, strict=True))
    for cid in YES_NO:
        first[cid], second[cid] = yes_no
    return [first, second]


def test_the_rubric_has_yes_no_criteria():
    assert YES_NO and len(SCALE) >= 4


def test_alpha_is_unchanged_by_the_yes_no_answers():
    a = [(i % 5) for i in range(len(SCALE))]
    b = [min(4, v + (i % 2)) for i, v in enumerate(a)]
    alike = consolidate(MICI, _pair(a, b, (True, True)), threshold=2)
    apart = consolidate(MICI, _pair(a, b, (True, False)), threshold=2)
    assert alike.agreement is not None
    assert apart.agreement == pytest.approx(alike.agreement)
    # the scale criteria alone, on the 0–4 scale
    assert alike.agreement == pytest.approx(ordinal_alpha([a, b], [0, 1, 2, 3, 4]))
    # the yes/no criteria get their own figure
    assert (alike.yes_no_alike, alike.yes_no_compared) == (len(YES_NO), len(YES_NO))
    assert (apart.yes_no_alike, apart.yes_no_compared) == (0, len(YES_NO))
    assert apart.yes_no_summary == f"answered alike on 0 of {len(YES_NO)} yes/no criteria"


def test_one_reviewer_is_not_computable_never_zero():
    one = consolidate(
        MICI, _pair([3] * len(SCALE), [3] * len(SCALE), (True, True))[:1], threshold=2
    )
    assert one.agreement is None
    assert one.agreement_label == FEWER_THAN_TWO
    assert one.agreement_summary == FEWER_THAN_TWO
    assert one.to_json()["agreement_label"] == FEWER_THAN_TWO


def test_no_variation_is_not_computable():
    same = consolidate(MICI, _pair([3] * len(SCALE), [3] * len(SCALE), (True, False)), threshold=2)
    assert same.agreement is None
    assert same.agreement_label == NO_VARIATION
    assert same.agreement_summary.startswith("all criteria within one level")


def test_labels_say_what_the_number_means():
    assert agreement_label(0.815) == "reliable"
    assert agreement_label(0.8) == "reliable"
    assert agreement_label(0.7) == "tentative"
    assert agreement_label(0.667) == "tentative"
    assert agreement_label(0.5) == "low"
    assert agreement_label(0.0) == "low"
    assert agreement_label(-0.2) == "systematic disagreement (below chance)"


def test_a_negative_alpha_is_systematic_disagreement():
    # the reviewers order the criteria the opposite way round: below chance
    a = [1, 2, 3, 1, 2, 3] + [2] * (len(SCALE) - 6)
    b = [3, 2, 1, 3, 2, 1] + [2] * (len(SCALE) - 6)
    result = consolidate(MICI, _pair(a, b, (True, True)), threshold=2)
    assert result.agreement is not None and result.agreement < 0
    assert result.agreement_label == "systematic disagreement (below chance)"


def test_scores_within_one_level_are_reported_as_such_not_as_low_agreement():
    a = [3, 2, 3, 4, 2, 3, 3, 2] + [3] * (len(SCALE) - 8)
    b = [2, 3, 3, 3, 3, 3, 2, 2] + [3] * (len(SCALE) - 8)
    result = consolidate(MICI, _pair(a, b, (True, True)), threshold=2)
    assert result.agreement is not None and result.agreement < 0.667  # alpha alone says "low"
    summary = result.agreement_summary
    assert summary.startswith(f"all criteria within one level ({len(SCALE)} scale criteria)")
    assert f"largest gap 1 level (on {SCALE[0]})" in summary
    assert "no criterion in disagreement" in summary
    assert "low agreement" not in summary and "low agreement" not in result.agreement_label
    assert (result.within_one, result.compared, result.largest_gap) == (len(SCALE), len(SCALE), 1)


def test_a_wide_gap_names_its_criterion_and_the_disagreement():
    a = [4] + [3] * (len(SCALE) - 1)
    b = [0] + [3] * (len(SCALE) - 1)
    result = consolidate(MICI, _pair(a, b, (True, True)), threshold=2)
    assert result.agreement_summary == (
        f"{len(SCALE) - 1} of {len(SCALE)} criteria within one level; largest gap 4 levels "
        f"(on {SCALE[0]}); in disagreement: {SCALE[0]}"
    )
