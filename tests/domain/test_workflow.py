"""Case states, assignment rules (as properties), consolidation numbers, entries, workflow
settings."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_engine.domain.assignment import Candidate, CaseNeed, hard_rule_violations, plan
from qa_engine.domain.case_states import TRANSITIONS, CaseState, can_transition, check_transition
from qa_engine.domain.consolidation import consolidate, ordinal_alpha
from qa_engine.domain.entries import EntriesInvalid, check_score, clean_entries
from qa_engine.domain.errors import InvalidTransition
from qa_engine.domain.rubric_loader import load_library
from qa_engine.domain.workflow_settings import WorkflowSettingsError, load_workflow_settings

ROOT = Path(__file__).resolve().parents[2]
LIB = load_library([ROOT / "rubrics"])
ESG = LIB.get("esg-2015-part1")
S = CaseState

LEGAL = {
    (S.SUBMITTED, S.SCREENING),
    (S.SCREENING, S.SELF_ASSESSMENT),
    (S.SCREENING, S.RETURNED),
    (S.RETURNED, S.SUBMITTED),
    (S.SELF_ASSESSMENT, S.ASSIGNMENT),
    (S.ASSIGNMENT, S.PEER_REVIEW),
    (S.PEER_REVIEW, S.CONSOLIDATION),
    (S.CONSOLIDATION, S.APPROVAL),
    (S.CONSOLIDATION, S.PEER_REVIEW),
    (S.APPROVAL, S.REPORTING),
    (S.REPORTING, S.CLOSED),
    (S.REPORTING, S.SELF_ASSESSMENT),
} | {(s, S.WITHDRAWN) for s in S if s not in (S.CLOSED, S.WITHDRAWN)}


@pytest.mark.parametrize(("a", "b"), list(itertools.product(S, S)), ids=lambda s: s.value)
def test_every_pair_of_states(a, b):
    if (a, b) in LEGAL:
        assert can_transition(a, b)
        assert check_transition(a, b) == b
    else:
        assert not can_transition(a, b)
        with pytest.raises(InvalidTransition, match=f"'{a.label}' cannot move to '{b.label}'"):
            check_transition(a, b)


def test_finished_states_allow_nothing():
    assert TRANSITIONS[S.CLOSED] == frozenset()
    assert TRANSITIONS[S.WITHDRAWN] == frozenset()


# --------------------------------------------------------------------------- assignment

candidate_st = st.builds(
    Candidate,
    user_id=st.integers(1, 40),
    name=st.just("R"),
    institution_id=st.integers(1, 8),
    open_reviews=st.integers(0, 5),
    max_open_reviews=st.integers(0, 5),
    expertise_fields=st.lists(
        st.sampled_from(["0521", "0613", "0542", "0731", "0388"]), max_size=2
    ).map(tuple),
    expertise_skills=st.lists(
        st.sampled_from(["DigComp-1.2", "DigComp-4.4", "GreenComp-2.1"]), max_size=2
    ).map(tuple),
    languages=st.lists(st.sampled_from(["en", "fr", "cs", "pl"]), max_size=2).map(tuple),
    conflict_institutions=st.frozensets(st.integers(1, 8), max_size=2),
    conflict_credentials=st.frozensets(st.integers(100, 105), max_size=2),
    conflict_cases=st.frozensets(st.integers(1, 6), max_size=2),
    active=st.booleans(),
)

need_st = st.builds(
    CaseNeed,
    case_id=st.integers(1, 6),
    credential_id=st.integers(100, 105),
    provider_institution_id=st.integers(1, 8),
    isced_f=st.sampled_from(["0521", "0613", "0542"]),
    skills=st.lists(
        st.sampled_from(["DigComp-1.2", "DigComp-4.4", "GreenComp-2.1"]), max_size=3
    ).map(tuple),
    languages=st.lists(st.sampled_from(["en", "fr", "cs"]), min_size=1, max_size=2).map(tuple),
    needed=st.integers(0, 4),
    current_reviewers=st.frozensets(st.integers(1, 40), max_size=2),
    excluded_reviewers=st.frozensets(st.integers(1, 40), max_size=2),
    min_institutions=st.integers(1, 3),
)


def _unique(items, key):
    seen, out = set(), []
    for i in items:
        if key(i) not in seen:
            seen.add(key(i))
            out.append(i)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(need_st, min_size=1, max_size=5), st.lists(candidate_st, max_size=25))
def test_no_proposal_ever_breaks_a_hard_rule(needs, cands):
    needs = _unique(needs, lambda n: n.case_id)
    cands = _unique(cands, lambda c: c.user_id)
    plans = plan(needs, cands)
    by_id = {c.user_id: c for c in cands}
    load: dict[int, int] = {}
    for need in needs:
        chosen = plans[need.case_id].proposals
        assert len(chosen) <= need.needed
        assert len({p.reviewer_id for p in chosen}) == len(chosen), "same reviewer twice on a case"
        for p in chosen:
            assert hard_rule_violations(by_id[p.reviewer_id], need) == []
            load[p.reviewer_id] = load.get(p.reviewer_id, 0) + 1
    for rid, n in load.items():
        assert n <= by_id[rid].free, "more open reviews than the reviewer's limit"


@settings(max_examples=100, deadline=None)
@given(need_st, st.lists(candidate_st, max_size=25))
def test_two_institutions_whenever_possible(need, cands):
    cands = _unique(cands, lambda c: c.user_id)
    need = CaseNeed(
        **{
            **need.__dict__,
            "current_reviewers": frozenset(),
            "current_institutions": frozenset(),
            "min_institutions": 2,
        }
    )
    chosen = plan([need], cands)[need.case_id].proposals
    eligible = [c for c in cands if not hard_rule_violations(c, need)]
    insts = {c.institution_id for c in eligible}
    if len(chosen) >= 2 and len(insts) >= 2:
        got = {next(c.institution_id for c in cands if c.user_id == p.reviewer_id) for p in chosen}
        assert len(got) >= 2


def test_hard_rules_named():
    c = Candidate(
        1,
        "Ann",
        institution_id=3,
        open_reviews=4,
        max_open_reviews=4,
        conflict_credentials=frozenset({9}),
    )
    need = CaseNeed(5, 9, 3, "0521", (), ("en",), 2)
    reasons = hard_rule_violations(c, need)
    assert "same institution as the provider" in reasons
    assert "declared a conflict with this credential" in reasons
    assert "at the limit of 4 open reviews" in reasons


def test_expertise_and_load_decide_between_equals():
    need = CaseNeed(1, 10, 1, "0521", ("GreenComp-2.1",), ("en",), 1)
    expert = Candidate(
        2,
        "Expert",
        2,
        0,
        4,
        expertise_fields=("0521",),
        expertise_skills=("GreenComp-2.1",),
        languages=("en",),
    )
    busy_expert = Candidate(
        3,
        "Busy",
        3,
        3,
        4,
        expertise_fields=("0521",),
        expertise_skills=("GreenComp-2.1",),
        languages=("en",),
    )
    novice = Candidate(4, "Novice", 4, 0, 4, languages=("en",))
    chosen = plan([need], [novice, busy_expert, expert])[1].proposals
    assert [p.reviewer_id for p in chosen] == [2]
    assert any("expert in field 0521" in r for r in chosen[0].reasons)


def test_batch_respects_capacity_across_cases():
    needs = [CaseNeed(i, 100 + i, 1, "0521", (), ("en",), 2) for i in range(1, 4)]
    cands = [Candidate(10 + j, f"R{j}", 2 + j % 3, 0, 2, languages=("en",)) for j in range(3)]
    plans = plan(needs, cands)
    total = sum(len(p.proposals) for p in plans.values())
    assert total == 6  # 3 reviewers × 2 free slots, all used
    assert all(len(p.proposals) == 2 for p in plans.values())


# --------------------------------------------------------------------------- consolidation


def test_krippendorff_worked_example():
    n = None
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    assert ordinal_alpha(data, [1, 2, 3, 4, 5]) == pytest.approx(0.815, abs=0.001)


def test_consolidation_on_known_reviews():
    ids = [rc.id for rc in ESG.scored_criteria]
    a = {cid: 3 for cid in ids}
    b = {cid: 3 for cid in ids}
    b[ids[0]] = 1  # spread 2: at the threshold, not beyond it
    c = {cid: 2 for cid in ids}
    c[ids[1]] = 4
    result = consolidate(
        ESG, [a, b, c], threshold=2, recommendations=["approved", "approved", None]
    )
    first = next(s for s in result.criteria if s.criterion_id == ids[0])
    assert (
        first.mean == pytest.approx(2.0)
        and first.median == 2
        and first.spread == 2
        and not first.disagreement
    )
    second = next(s for s in result.criteria if s.criterion_id == ids[1])
    assert second.mean == pytest.approx(10 / 3) and second.spread == 1
    assert result.disagreement == []
    wide = consolidate(ESG, [a, {**b, ids[0]: 0}], threshold=2)
    assert wide.disagreement == [ids[0]]
    assert result.recommendations == {"approved": 2}
    assert result.reviewers == 3


def test_consolidation_score_follows_the_means():
    ids = [rc.id for rc in ESG.scored_criteria]
    result = consolidate(ESG, [{cid: 4 for cid in ids}, {cid: 2 for cid in ids}], threshold=2)
    assert result.overall == pytest.approx(0.75)


# --------------------------------------------------------------------------- entries


def test_strict_scores():
    cid = ESG.scored_criteria[0].id
    assert check_score(ESG, cid, 3) == (3, None)
    for bad in (True, "3", 3.0, 9, -1):
        assert check_score(ESG, cid, bad)[1] is not None


def test_complete_entries_required_on_submit():
    ids = [rc.id for rc in ESG.scored_criteria]
    with pytest.raises(EntriesInvalid) as err:
        clean_entries(
            ESG,
            {ids[0]: {"score": 3, "comment": "ok"}, "nope": {"score": 1}},
            text_key="comment",
            require_complete=True,
            require_text=True,
            allow_evidence=False,
        )
    text = str(err.value)
    assert "nope: unknown criterion" in text
    assert f"{ids[1]}: a score is required" in text


# --------------------------------------------------------------------------- settings


def test_shipped_workflow_settings_valid():
    s = load_workflow_settings(ROOT / "workflows" / "settings.yaml")
    assert s.reviewers_per_case >= 2


def test_bad_workflow_settings_name_line(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text("reviewers_per_case: 0\nauto_assign: maybe\ncolour: red\n")
    with pytest.raises(WorkflowSettingsError) as err:
        load_workflow_settings(p)
    text = "\n".join(err.value.details)
    assert f"{p}:1: reviewers_per_case" in text
    assert f"{p}:2: auto_assign" in text
    assert f"{p}:3: unknown key 'colour'" in text
