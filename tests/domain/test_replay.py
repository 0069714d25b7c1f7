"""Replaying a rubric version over decided rounds (issue 18, item 3), on hand-made versions whose
outcome changes are known."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.replay import (
    CompiledRubric,
    DecidedRound,
    consolidated_means,
    replay,
)
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.rubric_loader import load_rubric
from qa_engine.domain.scoring import score

TINY = """\
rubric:
  id: tiny
  version: "{version}"
  title: A small rubric
scales:
  - id: q
    levels:
      - {{value: 0, label: none}}
      - {{value: 1, label: weak}}
      - {{value: 2, label: fair}}
      - {{value: 3, label: good}}
      - {{value: 4, label: strong}}
criteria:
  - id: c1
    title: Learning outcomes
    scale: q
    gate: {{min_level: {gate}}}
  - id: c2
    title: Assessment
    scale: q
  - id: yn
    title: Stackable
    kind: yes_no
{extra}
thresholds:
  - {{outcome: approved, min_score: {approved}}}
  - {{outcome: approved_with_conditions, min_score: 0.45}}
  - {{outcome: revision_requested, min_score: 0.2}}
  - {{outcome: rejected, min_score: 0}}
"""

NEW_CRITERION = """\
  - id: c3
    title: Digital skills
    scale: q
"""


def tiny(tmp_path: Path, version: str, *, gate=2, approved=0.7, extra="") -> Rubric:
    folder = tmp_path / version
    folder.mkdir()
    (folder / "tiny.yaml").write_text(
        TINY.format(version=version, gate=gate, approved=approved, extra=extra)
    )
    return load_rubric("tiny", [folder])


def rounds(rubric: Rubric, n: int = 400, seed: int = 7) -> list[DecidedRound]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        reviews = tuple(
            {"c1": rng.randint(0, 4), "c2": rng.randint(0, 4), "yn": rng.random() < 0.7}
            for _ in range(rng.choice((2, 2, 3)))
        )
        out.append(
            DecidedRound(
                case_id=i + 1,
                round=1,
                institution=rng.choice(("CUNI", "UW", "UHEI")),
                field=rng.choice(("0613", "0711", "")),
                eqf=rng.choice((5, 6, 7, None)),
                rubric_hash=rubric.content_hash,
                decided="approved",
                reviews=reviews,
            )
        )
    return out


def test_the_identical_version_changes_nothing(tmp_path):
    old = tiny(tmp_path, "1.0.0")
    report = replay(rounds(old), {old.content_hash: old}, old)
    assert report.rounds == 400
    assert report.changes == []
    assert report.outcomes_before == report.outcomes_after
    assert report.bins_before == report.bins_after
    assert report.unscored == []


def test_raising_a_gate_flips_exactly_the_rounds_between_the_old_and_the_new_gate(tmp_path):
    old = tiny(tmp_path, "1.0.0", gate=2)
    new = tiny(tmp_path, "1.1.0", gate=3)
    given = rounds(old)
    report = replay(given, {old.content_hash: old}, new)
    expected = set()
    for r in given:
        mean = consolidated_means(r.reviews)["c1"]
        before = score(old, consolidated_means(r.reviews)).recommended_outcome
        assert before is not None
        # a round already at revision_requested or worse does not move
        if 2 <= mean < 3 and before.rank < Outcome.REVISION_REQUESTED.rank:
            expected.add(r.case_id)
    assert expected, "the sample has rounds between the two gates"
    assert {c.case_id for c in report.changes} == expected
    for c in report.changes:
        assert c.after == Outcome.REVISION_REQUESTED
        assert c.direction == "worse"
        assert any(x.startswith("gate c1 ≥ 3 now fails") for x in c.reasons), c.reasons
    # the distribution of overall scores does not move: only the gate changed
    assert report.bins_before == report.bins_after


def test_lowering_a_threshold_changes_exactly_the_rounds_between_the_two(tmp_path):
    old = tiny(tmp_path, "1.0.0", approved=0.7)
    new = tiny(tmp_path, "1.1.0", approved=0.6)
    given = rounds(old)
    report = replay(given, {old.content_hash: old}, new)
    expected = set()
    for r in given:
        b = score(old, consolidated_means(r.reviews))
        assert b.overall is not None
        if 0.6 <= b.overall < 0.7 and not b.gates_failed:
            expected.add(r.case_id)
    assert expected
    assert {c.case_id for c in report.changes} == expected
    for c in report.changes:
        assert (c.before, c.after) == (Outcome.APPROVED_WITH_CONDITIONS, Outcome.APPROVED)
        assert c.direction == "better"
        assert any("threshold outcome approved_with_conditions → approved" in x for x in c.reasons)
        assert any("(threshold 0.6)" in x for x in c.reasons)


def test_a_new_criterion_without_scores_is_reported_not_guessed(tmp_path):
    old = tiny(tmp_path, "1.0.0")
    new = tiny(tmp_path, "2.0.0", extra=NEW_CRITERION)
    given = rounds(old)
    report = replay(given, {old.content_hash: old}, new)
    assert [(u.criterion_id, u.rounds, u.new) for u in report.unscored] == [("c3", 400, True)]
    # left out of the score: with the other weights rescaled the outcomes are the old ones
    assert report.changes == []
    full = score(new, consolidated_means(given[0].reviews))
    assert full.missing == ["c3"]


def test_the_group_tables_sum_to_the_whole(tmp_path):
    old = tiny(tmp_path, "1.0.0", gate=2)
    new = tiny(tmp_path, "1.1.0", gate=3, approved=0.6)
    report = replay(rounds(old), {old.content_hash: old}, new)
    assert report.changes
    for groups in (report.by_institution, report.by_field, report.by_eqf):
        assert sum(g.rounds for g in groups.values()) == report.rounds
        assert sum(g.changed for g in groups.values()) == report.changed
        assert sum(g.worse + g.better for g in groups.values()) == report.changed
    assert set(report.by_field) == {"06", "07", "none"}
    assert set(report.by_eqf) == {"5", "6", "7", "none"}
    assert sum(report.bins_before) == sum(report.bins_after) == report.rounds
    assert sum(report.outcomes_before.values()) == sum(report.outcomes_after.values()) == 400


def test_a_version_not_given_is_an_error(tmp_path):
    old = tiny(tmp_path, "1.0.0")
    with pytest.raises(KeyError, match="case 1"):
        replay(rounds(old, n=1), {}, old)


def test_the_compiled_rubric_agrees_with_scoring():
    """Over random consolidated scores of the real 4eu-mici rubric (elements checks included),
    the fast path gives scoring.score's overall score, recommended outcome and missing criteria."""
    from qa_engine.services.rubrics import load

    rubric = load("4eu-mici")
    compiled = CompiledRubric(rubric)
    rng = random.Random(3)
    elements_all = [el for rc in rubric.criteria for el in rc.criterion.elements]
    for _ in range(300):
        means: dict[str, float] = {}
        for rc in rubric.reviewer_criteria:
            if rc.criterion.scored and rng.random() > 0.05:
                hi = rubric.score_range(rc.criterion)[1]
                means[rc.id] = rng.choice([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4][: 2 * hi + 1])
        elements = frozenset(el for el in elements_all if rng.random() > 0.2)
        overall, outcome, missing = compiled.outcome(means, elements)
        full = score(rubric, compiled.inputs(means, elements))
        assert overall == full.overall
        assert outcome == full.recommended_outcome
        assert list(missing) == full.missing


def test_the_matrices_agree_with_scoring_round_by_round():
    """Replaying the real 4eu-mici rubric (elements checks from the credential's elements, yes/no
    criteria, partial reviews) against a version with other thresholds and a new gate: the
    changes are exactly the rounds where `scoring.score` gives two different outcomes, with its
    overall scores."""
    from qa_engine.domain.rubric import Gate, Threshold
    from qa_engine.services.rubrics import load

    old = load("4eu-mici")
    criteria = [
        rc.model_copy(
            update={"criterion": rc.criterion.model_copy(update={"gate": Gate(min_level=3)})}
        )
        if rc.id == "esg-1.5"
        else rc
        for rc in old.criteria
    ]
    new = old.model_copy(
        update={
            "meta": old.meta.model_copy(update={"version": "2.0.0"}),
            "criteria": criteria,
            "thresholds": [
                Threshold(outcome=t.outcome, min_score=max(0.0, t.min_score - 0.05))
                if t.min_score
                else t
                for t in old.thresholds
            ],
        }
    )
    compiled_old, compiled_new = CompiledRubric(old), CompiledRubric(new)
    elements_all = sorted({el for rc in old.criteria for el in rc.criterion.elements})
    rng = random.Random(11)
    given = []
    for i in range(300):
        reviews = []
        for _ in range(rng.choice((1, 2, 3))):
            scores = {}
            for rc in old.reviewer_criteria:
                if rc.criterion.scored and rng.random() > 0.03:
                    hi = old.score_range(rc.criterion)[1]
                    scores[rc.id] = rng.randint(0, hi) if hi > 1 else rng.random() < 0.6
            reviews.append(scores)
        elements = frozenset(el for el in elements_all if rng.random() > 0.15)
        given.append(
            DecidedRound(
                i + 1, 1, "CUNI", "0613", 6, old.content_hash, "approved", tuple(reviews), elements
            )
        )
    report = replay(given, {old.content_hash: old}, new)
    expected = {}
    for r in given:
        means = consolidated_means(r.reviews)
        b = score(old, compiled_old.inputs(means, r.elements))
        a = score(new, compiled_new.inputs(means, r.elements))
        if b.recommended_outcome != a.recommended_outcome:
            expected[r.case_id] = (b, a)
    assert expected and len(expected) < len(given)
    assert {c.case_id for c in report.changes} == set(expected)
    for c in report.changes:
        b, a = expected[c.case_id]
        assert (c.before, c.after) == (b.recommended_outcome, a.recommended_outcome)
        assert c.overall_before == pytest.approx(b.overall, abs=1e-12)
        assert c.overall_after == pytest.approx(a.overall, abs=1e-12)


def test_no_rounds_is_an_empty_report(tmp_path):
    old = tiny(tmp_path, "1.0.0")
    report = replay([], {old.content_hash: old}, old)
    assert (report.rounds, report.changes, report.outcomes_before) == (0, [], {})
    assert sum(report.bins_after) == 0
    assert "no decided round of the period was scored against a version of 'tiny'" in (
        report.summary()
    )
