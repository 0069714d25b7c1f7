"""Replay and calibration through the services, on a small generated history of the alliance
(`qa_engine.synthetic.history`): the frozen inputs come from the store in bulk, the replay is
recorded in the audit trail, planted evidence is found."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from qa_engine.config import get_settings
from qa_engine.domain.errors import Forbidden, NotFound, ValidationFailed
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.replay import consolidated_means
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric_loader import RubricError
from qa_engine.services import rubric_replay
from qa_engine.services.calibration import calibrate_rubric
from qa_engine.services.rubric_replay import Period, replay_rubric
from qa_engine.store.db import make_engine
from qa_engine.store.migrate import upgrade
from qa_engine.store.models import AuditEvent, Consolidation, Decision, Review
from qa_engine.synthetic.history import generate
from tests.conftest import rolled_back_session, throwaway_pg_database

OFFICER = Actor(user_id=1, username="officer.test", roles=frozenset({Role.QA_OFFICER}))
REVIEWER = Actor(user_id=2, username="reviewer.test", roles=frozenset({Role.REVIEWER}))
CASES = 120


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def history_engine(request, tmp_path_factory):
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('hist') / 'history.db'}"
        else:
            url = stack.enter_context(throwaway_pg_database("qa_replay")).url
        engine = make_engine(url)
        upgrade(engine)
        generate(engine, CASES, seed=11)
        yield engine
        engine.dispose()


@pytest.fixture
def hs(history_engine):
    with rolled_back_session(history_engine) as session:
        yield session


def draft(tmp_path: Path, gate: str = "", version: str = "1.2.0", extra: str = "") -> Path:
    text = (get_settings().rubrics_dir / "4eu-mici.yaml").read_text()
    assert 'version: "1.1.0"' in text  # the installed version the draft follows
    text = text.replace('version: "1.1.0"', f'version: "{version}"', 1)
    if gate:
        anchor = "    weight: 0.125\n"
        text = text.replace(anchor, anchor + f"    gate: {{min_level: {gate}}}\n", 1)
    if extra:
        text = text.replace("\nthresholds:", extra + "\nthresholds:", 1)
    path = tmp_path / "drafts" / "4eu-mici.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def _means(session: Session) -> dict[tuple[int, int], dict[str, float]]:
    out: dict[tuple[int, int], list[dict]] = {}
    for r in session.scalars(select(Review).where(col(Review.status) == "submitted")).all():
        out.setdefault((r.case_id, r.round), []).append(r.scores)
    return {k: consolidated_means(v) for k, v in out.items()}


def test_replaying_the_installed_version_changes_nothing_and_is_audited(hs):
    new = rubric_replay.resolve(session=hs, spec="4eu-mici@1.1.0")
    report = replay_rubric(session=hs, actor=OFFICER, new=new, period=Period())
    decided = hs.scalars(select(Decision)).all()
    assert report.rounds == len(decided) >= CASES
    assert report.changes == []
    # "before" is what the engine recommended: the final consolidation of every decided round
    final: dict[tuple[int, int], str | None] = {}
    for c in hs.scalars(select(Consolidation).order_by(col(Consolidation.pass_no))).all():
        final[(c.case_id, c.round)] = c.recommended_outcome
    counts: dict[str, int] = {}
    for d in decided:
        got = final[(d.case_id, d.round)]
        counts[got or "none"] = counts.get(got or "none", 0) + 1
    assert report.outcomes_before == counts
    event = hs.scalars(select(AuditEvent).where(col(AuditEvent.action) == "rubric.replayed")).one()
    assert event.actor == "officer.test"
    assert event.subject_id == "4eu-mici@1.1.0"
    assert event.payload == {
        "rubric_id": "4eu-mici",
        "version": "1.1.0",
        "content_hash": new.content_hash,
        "cases": len({d.case_id for d in decided}),
        "changed": 0,
    }


def test_a_draft_with_a_new_gate_flips_exactly_the_rounds_below_it(hs, tmp_path):
    new = rubric_replay.resolve(session=hs, spec=str(draft(tmp_path, gate="3")))
    assert (new.id, new.version) == ("4eu-mici", "1.2.0")
    report = replay_rubric(session=hs, actor=OFFICER, new=new, period=Period())
    means = _means(hs)
    expected = set()
    for d in hs.scalars(select(Decision)).all():
        before = next(
            c.recommended_outcome
            for c in hs.scalars(
                select(Consolidation)
                .where(Consolidation.case_id == d.case_id, Consolidation.round == d.round)
                .order_by(col(Consolidation.pass_no).desc())
            )
        )
        if means[(d.case_id, d.round)]["mici-recognition"] < 3 and Outcome(before).rank < 2:
            expected.add((d.case_id, d.round))
    assert expected
    assert {(c.case_id, c.round) for c in report.changes} == expected
    assert all(c.after == Outcome.REVISION_REQUESTED for c in report.changes)
    assert all("gate mici-recognition ≥ 3 now fails" in c.reasons[0] for c in report.changes)
    for groups in (report.by_institution, report.by_field, report.by_eqf):
        assert sum(g.rounds for g in groups.values()) == report.rounds
        assert sum(g.changed for g in groups.values()) == report.changed
    event = hs.scalars(select(AuditEvent).where(col(AuditEvent.action) == "rubric.replayed")).one()
    assert event.payload["changed"] == len({c for c, _ in expected})
    assert event.payload["version"] == "1.2.0"


def test_a_new_criterion_is_reported_and_one_institution_replayed(hs, tmp_path):
    extra = """
  - id: mici-mobility
    title:
      en: Virtual mobility
      fr: Mobilité virtuelle
      de: Virtuelle Mobilität
      cs: Virtuální mobilita
      pl: Wirtualna mobilność
      it: Mobilità virtuale
      da: Virtuel mobilitet
    kind: scale
    scale: quality-0-4
    weight: 0.125
"""
    new = rubric_replay.resolve(session=hs, spec=str(draft(tmp_path, extra=extra)))
    report = replay_rubric(session=hs, actor=OFFICER, new=new, period=Period(), institution="cuni")
    assert set(report.by_institution) == {"CUNI"}
    assert [(u.criterion_id, u.new) for u in report.unscored] == [("mici-mobility", True)]
    assert report.unscored[0].rounds == report.rounds > 0


def test_refusals_and_bad_input(hs, tmp_path):
    new = rubric_replay.resolve(session=hs, spec="4eu-mici")
    with pytest.raises(Forbidden):
        replay_rubric(session=hs, actor=REVIEWER, new=new, period=Period())
    with pytest.raises(Forbidden):
        calibrate_rubric(session=hs, actor=REVIEWER, rubric=new, period=Period())
    with pytest.raises(NotFound, match="no version 9.9"):
        rubric_replay.resolve(session=hs, spec="4eu-mici@9.9")
    with pytest.raises(NotFound, match="no institution with code 'XX'"):
        replay_rubric(session=hs, actor=OFFICER, new=new, period=Period(), institution="XX")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rubric:\n  id: 4eu-mici\n  version: 2\n")
    with pytest.raises(RubricError) as err:
        rubric_replay.resolve(session=hs, spec=str(bad))
    assert any("bad.yaml:" in d for d in err.value.details)
    with pytest.raises(ValidationFailed, match="no such rubric file"):
        rubric_replay.resolve(session=hs, spec=str(tmp_path / "none.yaml"))
    with pytest.raises(ValidationFailed, match="--from before --to"):
        Period(
            rubric_replay.parse_day("2026-02-01", "--from"),
            rubric_replay.parse_day("2026-01-01", "--to"),
        )
    with pytest.raises(ValidationFailed, match="--from: give a date"):
        rubric_replay.parse_day("yesterday", "--from")


def test_a_period_selects_by_decision_day(hs):
    new = rubric_replay.resolve(session=hs, spec="4eu-mici")
    days = sorted(d.decided_at.date() for d in hs.scalars(select(Decision)).all())
    middle = days[len(days) // 2]
    report = replay_rubric(session=hs, actor=OFFICER, new=new, period=Period(middle, middle))
    assert report.rounds == days.count(middle)


def test_calibration_finds_planted_evidence(hs):
    reviews = hs.scalars(select(Review).where(col(Review.status) == "submitted")).all()
    by_round: dict[tuple[int, int], list[Review]] = {}
    for r in reviews:
        by_round.setdefault((r.case_id, r.round), []).append(r)
    # plant a criterion whose reviewers always lie 4 levels apart
    for group in by_round.values():
        for i, r in enumerate(group):
            r.scores = {**r.scores, "esg-1.5": 0 if i % 2 == 0 else 4}
    # and one review that gives the top level with "missing evidence"
    (case_id, rnd), group = next(iter(sorted(by_round.items())))
    target = group[0]
    target.scores = {**target.scores, "esg-1.7": 4}
    target.comments = {"esg-1.7": "The information system is missing evidence of use."}
    hs.flush()
    rubric = rubric_replay.resolve(session=hs, spec="4eu-mici")
    report = calibrate_rubric(session=hs, actor=OFFICER, rubric=rubric, period=Period())
    first = report.criteria[0]
    assert first.criterion_id == "esg-1.5"
    assert first.disagreements == first.compared > 0
    esg17 = next(c for c in report.criteria if c.criterion_id == "esg-1.7")
    assert esg17.contradictions == 1
    assert (esg17.examples[0].case_id, esg17.examples[0].round) == (case_id, rnd)
    assert esg17.flags and "contradicts the score" in esg17.flags[-1]
    stackable = next(c for c in report.criteria if c.criterion_id == "dg-stackable")
    assert stackable.kind == "yes_no" and stackable.alpha is None
    assert stackable.agreement.startswith("percent agreement (yes/no)")


def test_raising_an_included_gate_through_drafts_side_by_side(hs, tmp_path):
    """A drafts folder with the alliance rubric and its ESG part, whose esg-1.2 gate rises from 2
    to 3: exactly the rounds whose consolidated esg-1.2 lies in [2, 3) and whose outcome was
    better than revision_requested change."""
    path = draft(tmp_path)
    esg = (get_settings().rubrics_dir / "esg-2015-part1.yaml").read_text()
    lines = esg.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "min_level: 2" in line)
    lines[at] = lines[at].replace("min_level: 2", "min_level: 3")
    esg = "".join(lines).replace('version: "1.1.0"', 'version: "1.2.0"', 1)
    (path.parent / "esg-2015-part1.yaml").write_text(esg)
    new = rubric_replay.resolve(session=hs, spec=str(path))
    gated = next(
        rc for rc in new.criteria if rc.criterion.gate and rc.criterion.gate.min_level == 3
    )
    report = replay_rubric(session=hs, actor=OFFICER, new=new, period=Period())
    means = _means(hs)
    final = {}
    for c in hs.scalars(select(Consolidation).order_by(col(Consolidation.pass_no))).all():
        final[(c.case_id, c.round)] = c.recommended_outcome
    expected = {
        key
        for key, outcome in final.items()
        if key in means
        and 2 <= means[key][gated.id] < 3
        and Outcome(outcome).rank < Outcome.REVISION_REQUESTED.rank
        and hs.scalars(
            select(Decision).where(Decision.case_id == key[0], Decision.round == key[1])
        ).first()
    }
    assert expected
    assert {(c.case_id, c.round) for c in report.changes} == expected
    assert all(f"gate {gated.id} ≥ 3 now fails" in c.reasons[0] for c in report.changes)
