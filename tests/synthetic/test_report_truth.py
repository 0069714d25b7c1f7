"""Reports that tell the truth (issue 15): every figure a report states a method for is recomputed
here, independently, from the raw rows of a generated history, as the statement says, and compared
with the engine's figures and with what the rendered files show.

- Durations (item 2): each stage's stays, mean, median and 90th percentile from the case history
  (the audit trail's state events), against the leadership figures and the PDF, workbook and HTML
  tables, in the unit each stage reads in (no automated stage shown as 0.0 days).
- The leadership report's method statements: cases in the pipeline, closed, decisions, the share
  approved, late reviews, outcomes by institution, the heatmap ("from the final consolidation of
  each round decided in the period"), gate failures ("out of N final consolidations"), alignment
  ("out of N credentials approved"), EQF and ECTS counts, DigComp areas, standard elements missing
  at screening, reviewer load, Krippendorff's alpha ("ordinal, scale criteria only"), the median
  alpha and the self-assessment gap.
- The case report's method statements: the mean of the reviewers' scores, the gate rule
  (`GATE_RULE`: a gate judges the mean), each standard's score (`GROUP_SCORE_METHOD`: the mean of
  the normalised scores weighted by effective weight), the per-part totals, the overall score,
  the medians, the case's alpha (`ALPHA_NOTE`: ordinal over the scale criteria only, yes/no
  criteria counted apart) and its own agreement figures (criteria within one level, the largest
  gap).
- Outputs that print (item 6): the leadership PDF of the history never leaves one table row alone
  at a page's top or bottom, and the reviewer-load table's institution column has values.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from datetime import timedelta
from io import BytesIO

import krippendorff
import numpy as np
import pytest
from babel.numbers import parse_decimal
from openpyxl import load_workbook
from pypdf import PdfReader
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from sqlalchemy import select
from sqlmodel import Session, col

from qa_engine.adapters import aggregate_pdf, charts
from qa_engine.adapters import translations as tr
from qa_engine.adapters.aggregate_html import render_html
from qa_engine.adapters.aggregate_xlsx import workbook_bytes
from qa_engine.adapters.pdf_style import dense_styles
from qa_engine.config import get_settings
from qa_engine.domain import clock
from qa_engine.domain.case_states import FINISHED, CaseState
from qa_engine.domain.leadership import ReportPeriod, time_unit
from qa_engine.domain.outcomes import APPROVING
from qa_engine.domain.roles import SYSTEM
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.scoring import GATE_RULE, GROUP_SCORE_METHOD
from qa_engine.domain.statuses import OPEN_ASSIGNMENT, ReviewStatus
from qa_engine.services.consolidation import compute
from qa_engine.services.leadership import leadership_figures
from qa_engine.store.models import (
    Assignment,
    AuditEvent,
    Case,
    Consolidation,
    CredentialVersion,
    Decision,
    Institution,
    Review,
    RubricSnapshot,
    SelfAssessment,
    User,
)
from tests.services.test_leadership import _squash, _Tables

STATE_ACTIONS = {"case.opened", *(f"case.{s.value}" for s in CaseState)}
EPS = 1e-6


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A generated history of 120 decided cases (and a few open ones), written once for the module,
    with the figures of a period that holds it all."""
    from qa_engine.store.db import make_engine
    from qa_engine.store.migrate import upgrade
    from qa_engine.synthetic.history import generate

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('truth') / 'history.db'}")
    upgrade(engine)
    generate(engine, 120, seed=15, span_days=200)
    with Session(engine) as s:
        today = clock.wall_now().date()
        period = ReportPeriod(today - timedelta(days=400), today)
        figures = leadership_figures(session=s, actor=SYSTEM, period=period, reviewer_names=True)
        yield s, period, figures
    engine.dispose()


def _close(a: float | None, b: float | None, eps: float = EPS) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= eps


# --------------------------------------------------------------------------- durations


def _stays(s: Session, period: ReportPeriod) -> dict[str, list[float]]:
    """Days spent in each state, from each case's state events, for stays that ended in the
    period (the chart's description)."""
    trails: dict[str, list[AuditEvent]] = defaultdict(list)
    for e in s.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "case").order_by(col(AuditEvent.seq))
    ):
        if e.action in STATE_ACTIONS:
            trails[e.subject_id].append(e)
    stays: dict[str, list[float]] = defaultdict(list)
    for trail in trails.values():
        for a, b in zip(trail, trail[1:], strict=False):
            if period.start_at <= b.at < period.end_at:
                stage = "submitted" if a.action == "case.opened" else a.action.removeprefix("case.")
                stays[stage].append((b.at - a.at).total_seconds() / 86400)
    return stays


def test_stage_times_agree_with_the_case_histories_in_every_output(history):
    s, period, f = history
    stays = _stays(s, period)
    shown = {t.stage: t for t in f.pipeline.stage_times}
    assert set(shown) == set(stays)
    expected_rows: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    for stage, days in stays.items():
        t = shown[stage]
        median, p90 = np.percentile(days, [50, 90])  # linear interpolation, as percentile_cont
        assert t.intervals == len(days), stage
        assert _close(t.mean_days, statistics.fmean(days)), stage
        assert _close(t.median_days, float(median)), stage
        assert _close(t.p90_days, float(p90)), stage
        unit = time_unit(float(median))
        assert t.unit == unit
        expected_rows[unit.name].append(
            (t.label, unit.of(float(median)), unit.of(float(p90)), unit.of(t.mean_days), len(days))
        )
    # the automated stages take minutes: no stage reads 0.0 in its unit
    assert {"screening", "consolidation", "reporting"} <= set(shown)
    for t in f.pipeline.stage_times:
        assert charts.fmt(t.unit.of(t.median_days), "time") != "0.0", t.stage
    assert time_unit(shown["screening"].median_days).name == "minutes"
    assert time_unit(shown["peer_review"].median_days).name == "days"

    tables = {
        b.table.id: b.table
        for sec in charts.report_sections(f)
        for b in sec.blocks
        if b.table.id.startswith("stage_times_")
    }
    assert set(tables) == {f"stage_times_{u}_data" for u in expected_rows}
    parser = _Tables()
    parser.feed(render_html(f))
    wb = load_workbook(BytesIO(workbook_bytes(f)))
    xl = {name: (ws, ref) for ws in wb.worksheets for name, ref in ws.tables.items()}
    reader = PdfReader(BytesIO(aggregate_pdf.render_pdf(f, reports_dir=get_settings().reports_dir)))
    pdf_text = _squash(" ".join(page.extract_text() for page in reader.pages))
    for unit, rows in expected_rows.items():
        spec = tables[f"stage_times_{unit}_data"]
        assert f"Median {unit}" in spec.headers and f"90th percentile {unit}" in spec.headers
        by_label = {r[0]: r for r in spec.rows}
        assert set(by_label) == {r[0] for r in rows}
        eps = EPS / time_unit(None if unit == "days" else 0.5 if unit == "hours" else 0.0).days
        for want in rows:
            got = by_label[want[0]]
            assert all(_close(g, w, eps) for g, w in zip(got[1:4], want[1:4], strict=True)), want
            assert got[4] == want[4]
        # what each file shows: HTML and PDF the formatted figures, the workbook the numbers
        printed = spec.formatted()
        assert parser.tables[spec.id][1:] == printed
        ws, ref = xl[f"T_{spec.id}"]
        head = ws[ref][0]
        assert [c.alignment.horizontal for c in head] == [None, "right", "right", "right", "right"]
        cells = {row[0].value: [c.value for c in row] for row in ws[ref]}
        for want in rows:
            got = cells[want[0]]
            assert all(_close(g, w, eps) for g, w in zip(got[1:4], want[1:4], strict=True))
            assert got[4] == want[4]
        for row in printed:
            assert _squash(" ".join(row)) in pdf_text, row


# --------------------------------------------------------------------------- leadership statements


def _final_consolidations(s: Session, period: ReportPeriod) -> list[tuple[Case, Consolidation]]:
    """The last consolidation pass of every round decided in the period."""
    out = []
    for d in s.scalars(select(Decision)):
        if not period.start_at <= d.decided_at < period.end_at:
            continue
        passes = list(
            s.scalars(
                select(Consolidation).where(
                    Consolidation.case_id == d.case_id, Consolidation.round == d.round
                )
            )
        )
        out.append((s.get(Case, d.case_id), max(passes, key=lambda c: c.pass_no)))
    return out


def test_every_leadership_method_statement_recomputed_from_the_raw_rows(history):
    s, period, f = history
    start, end = period.start_at, period.end_at
    cases = list(s.scalars(select(Case)))
    codes = {i.id: i.code for i in s.scalars(select(Institution))}

    # "Cases in the pipeline during the period": opened before its end, not finished before its
    # start
    pipeline = [
        c for c in cases if c.opened_at < end and (c.closed_at is None or c.closed_at >= start)
    ]
    assert f.pipeline.in_pipeline == len(pipeline)
    assert f.pipeline.open_cases == sum(c.state not in FINISHED for c in pipeline)
    closed = [c for c in cases if c.state == CaseState.CLOSED and start <= c.closed_at < end]
    assert f.pipeline.closed == len(closed)
    assert {m.key: m.count for m in f.pipeline.closed_per_month if m.count} == dict(
        sorted(
            {
                m: sum(f"{c.closed_at:%Y-%m}" == m for c in closed)
                for m in {f"{c.closed_at:%Y-%m}" for c in closed}
            }.items()
        )
    )

    # decisions taken in the period, by institution and outcome; "Share approved (with or without
    # conditions)"
    decisions = [d for d in s.scalars(select(Decision)) if start <= d.decided_at < end]
    case_of = {c.id: c for c in cases}
    assert f.outcomes.decisions == len(decisions)
    approved = sum(d.outcome in APPROVING for d in decisions)
    summary = {row[0]: row[1] for row in charts.report_sections(f)[0].blocks[0].table.rows}
    assert _close(summary["Share approved (with or without conditions)"], approved / len(decisions))
    for row in f.outcomes.by_institution:
        for outcome, n in row.counts.items():
            assert n == sum(
                d.outcome == outcome and codes[case_of[d.case_id].institution_id] == row.key
                for d in decisions
            ), (row.key, outcome)

    # "Reviews submitted late": submitted in the period after the assignment's due date
    assignments = {a.id: a for a in s.scalars(select(Assignment))}
    submitted = [
        r
        for r in s.scalars(select(Review))
        if r.status == ReviewStatus.SUBMITTED and start <= r.submitted_at < end
    ]
    late = [
        r
        for r in submitted
        if assignments[r.assignment_id].due_at is not None
        and r.submitted_at > assignments[r.assignment_id].due_at
    ]
    assert f.pipeline.reviews_submitted == len(submitted) and f.pipeline.reviews_late == len(late)
    assert len(late) > 0

    # the heatmap: "from the final consolidation of each round decided in the period (its
    # per-standard scores)", the mean per institution and over all
    finals = _final_consolidations(s, period)
    assert f.standards.consolidations == len(finals)
    for row in f.standards.heatmap:
        scores = {
            code: [
                k.data["by_reference"][row.reference]["score"]
                for c, k in finals
                if codes[c.institution_id] == code and row.reference in k.data["by_reference"]
            ]
            for code in f.standards.institutions
        }
        for code, values in scores.items():
            want = statistics.fmean(values) if values else None
            assert _close(row.by_institution[code], want), (row.reference, code)
        every = [v for values in scores.values() for v in values]
        assert _close(row.overall, statistics.fmean(every) if every else None), row.reference
    # "Criteria most often below their gate … out of N final consolidations"
    for g in f.standards.below_gate:
        n = sum(g.key in k.data["gates_failed"] for _, k in finals)
        assert g.count == n and _close(g.share, n / len(finals)), g.key
    assert f.standards.below_gate, "the history has gate failures to check"

    # alignment: "out of N credentials approved in the period"
    approved_versions = {
        case_of[d.case_id].credential_version_id for d in decisions if d.outcome in APPROVING
    }
    data = [s.get(CredentialVersion, v).data for v in approved_versions]
    assert f.digital_green.approved == len(data)
    for share, key in (
        (f.digital_green.digcomp, "digcomp"),
        (f.digital_green.greencomp, "greencomp"),
        (f.digital_green.esco, "esco_skills"),
    ):
        n = sum(bool(d.get(key)) for d in data)
        assert share.count == n and _close(share.share, n / len(data)), key

    # "EQF levels / Workload (ECTS) of approved credentials", the areas covered: counts of the
    # approved credentials
    eqf = {c.key: c.count for c in f.digital_green.eqf}
    assert eqf == {str(lv): sum(int(d["eqf_level"]) == lv for d in data) for lv in range(1, 9)}
    bounds = (2.0, 4.0, 6.0, 10.0, 15.0)
    bins = [sum(float(d["ects"]) >= b for b in bounds) for d in data]
    assert [c.count for c in f.digital_green.ects] == [bins.count(i) for i in range(6)]
    for area in f.digital_green.digcomp_areas:
        n = sum(any(x.startswith(area.key + ".") for x in d.get("digcomp", [])) for d in data)
        assert area.count == n, area.key
    # "Standard elements most often missing at screening … out of N screenings that returned a
    # case": the returned screenings' problems naming the element
    returned = [
        e
        for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "case.returned"))
        if start <= e.at < end
    ]
    assert f.standards.returned_screenings == len(returned) > 0
    for m in f.standards.missing_elements:
        n = sum(any(f" {m.key} " in p for p in e.payload.get("problems", [])) for e in returned)
        assert m.count >= n and _close(m.share, m.count / len(returned)), m.key

    # reviewer load: open assignments (invited before the end, case still open) and reviews
    # submitted in the period, per reviewer, with the reviewer's institution
    users = {u.id: u for u in s.scalars(select(User))}
    load: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for a in assignments.values():
        if (
            a.status in OPEN_ASSIGNMENT
            and a.invited_at < end
            and case_of[a.case_id].state not in FINISHED
        ):
            load[a.reviewer_id][0] += 1
    for r in submitted:
        load[r.reviewer_id][1] += 1
    shown = {x.label: x for x in f.reviewing.reviewers}
    assert len(shown) == len(load)
    for rid, (open_, done) in load.items():
        u = users[rid]
        x = shown[f"{u.full_name} ({u.username})"]
        assert (x.open, x.completed, x.capacity) == (open_, done, u.max_open_reviews)
        assert x.institution == codes[u.institution_id]

    # Krippendorff's alpha per criterion, "ordinal, scale criteria only", over the review rounds
    # decided in the period; the headline is the median of the criteria's alphas
    snapshot = s.scalars(select(RubricSnapshot)).first()
    rubric = Rubric.model_validate(snapshot.content)
    decided = {(d.case_id, d.round) for d in decisions}
    units: dict[str, dict[tuple[int, int], list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in s.scalars(select(Review).where(Review.status == ReviewStatus.SUBMITTED)):
        if (r.case_id, r.round) in decided:
            for criterion, v in r.scores.items():
                units[criterion][(r.case_id, r.round)].append(float(v))
    alphas = {a.criterion: a for a in f.reviewing.agreement}
    scale = [rc for rc in rubric.reviewer_criteria if rc.criterion.kind == "scale"]
    assert set(alphas) == {rc.id for rc in scale}
    recomputed = []
    for rc in scale:
        lo, hi = rubric.score_range(rc.criterion)
        rounds = [v for v in units[rc.id].values() if len(v) >= 2]
        width = max(len(v) for v in rounds)
        matrix = np.full((width, len(rounds)), np.nan)
        for j, values in enumerate(rounds):
            matrix[: len(values), j] = values
        alpha = krippendorff.alpha(
            reliability_data=matrix,
            level_of_measurement="ordinal",
            value_domain=list(range(lo, hi + 1)),
        )
        assert alphas[rc.id].units == len(rounds)
        assert _close(alphas[rc.id].alpha, float(alpha), 1e-9), rc.id
        recomputed.append(float(alpha))
    assert _close(f.reviewing.median_alpha, statistics.median(recomputed), 1e-9)
    assert not any(
        a.id not in {rc.id for rc in scale} for a in rubric.reviewer_criteria if a.id in alphas
    )

    # "Self-assessment minus peer score": over the rounds with a self-assessment score
    selfs = {(x.case_id, x.round): x.entries for x in s.scalars(select(SelfAssessment))}
    for g in f.reviewing.gaps:
        pairs = [
            (float(selfs[key][g.criterion]["score"]), statistics.fmean(values))
            for key, values in units[g.criterion].items()
            if key in selfs
            and g.criterion in selfs[key]
            and selfs[key][g.criterion].get("score") is not None
        ]
        assert g.units == len(pairs), g.criterion
        if pairs:
            assert _close(g.self_mean, statistics.fmean(p[0] for p in pairs))
            assert _close(g.peer_mean, statistics.fmean(p[1] for p in pairs))
            assert _close(g.gap, g.self_mean - g.peer_mean)


def test_the_czech_report_states_the_same_figures_with_decimal_commas(history):
    """The leadership report in Czech (issue 17): the same method statements with the same
    counts, every figure of every table the English one written with a decimal comma, and the
    PDF printing them so."""
    s, period, f = history
    english = {b.table.id: b for sec in charts.report_sections(f) for b in sec.blocks}
    czech = {b.table.id: b for sec in charts.report_sections(f, "cs") for b in sec.blocks}
    assert list(czech) == list(english)
    # the method statements' counts, in Czech plural forms
    assert czech["below_gate_data"].chart.description == (
        f"Ze {f.standards.consolidations} konečných konsolidací."
        if 2 <= f.standards.consolidations <= 4
        else f"Z {f.standards.consolidations} konečných konsolidací."
    )
    approved = tr.format_decimal(f.digital_green.approved, "cs", 0)
    assert approved in czech["alignment_data"].chart.description
    assert "schválených v období" in czech["alignment_data"].chart.description
    assert czech["agreement_data"].chart.description.startswith(
        "Ordinální, pouze škálová kritéria."
    )
    assert ",800 a více spolehlivá, ,667 až ,800 předběžná" in (
        czech["agreement_data"].chart.description
    )
    checked = 0
    for key, block in english.items():
        en, cs = block.table, czech[key].table
        for i, (a, b) in enumerate(zip(en.formatted(), cs.formatted(), strict=True)):
            for j, (x, y) in enumerate(zip(a, b, strict=True)):
                kind = en.cell_format(i, j)
                if kind == "text" or x == "—" or isinstance(en.rows[i][j], str):
                    continue
                if kind in ("num2", "days", "time", "pct") and "." in x:
                    assert "," in y and "." not in y, (key, x, y)
                number = parse_decimal(y.replace("%", "").strip(), locale="cs", strict=False)
                assert number == parse_decimal(x.replace("%", ""), locale="en"), (key, x, y)
                checked += 1
    assert checked > 300
    pdf = aggregate_pdf.render_pdf(f, reports_dir=get_settings().reports_dir, lang="cs")
    text = _squash(" ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages))
    for key in ("summary", "timeliness", *(k for k in czech if k.startswith("stage_times_"))):
        for row in czech[key].table.formatted():
            assert _squash(" ".join(row)) in text, row


# --------------------------------------------------------------------------- case statements


def test_every_case_report_method_statement_recomputed_from_the_raw_rows(history):
    s, period, _ = history
    assert "mean of the reviewers' scores" in GATE_RULE
    assert "weighted mean of the normalised scores" in GROUP_SCORE_METHOD
    snapshot = s.scalars(select(RubricSnapshot)).first()
    rubric = Rubric.model_validate(snapshot.content)
    checked_gates = checked_refs = 0
    for case, stored in _final_consolidations(s, period)[:40]:
        reviews = list(
            s.scalars(
                select(Review).where(
                    Review.case_id == case.id,
                    Review.round == stored.round,
                    Review.status == ReviewStatus.SUBMITTED,
                )
            )
        )
        result = compute(s, case, stored.round)  # what the case's report is built from
        bd = {c.criterion_id: c for c in result.breakdown.criteria}
        normalised: dict[str, float] = {}
        for rc in rubric.criteria:
            if not rc.criterion.scored:
                continue  # a note asks for text, no score
            c = bd[rc.id]
            if rc.criterion.kind == "elements_check":
                raw = c.raw
            else:
                values = [float(r.scores[rc.id]) for r in reviews if rc.id in r.scores]
                raw = statistics.fmean(values) if values else None
                # the report's "Mean": the mean of the reviewers' scores
                assert _close(c.raw, raw, 1e-12), rc.id
            if raw is None:
                continue
            lo, hi = rubric.score_range(rc.criterion)
            normalised[rc.id] = (raw - lo) / (hi - lo)  # 0 % lowest level, 100 % highest
            assert _close(c.normalised, normalised[rc.id], 1e-12)
            if rc.criterion.gate is not None:
                # GATE_RULE: the mean reaches the level (not each reviewer's score)
                assert c.gate_passed == (raw >= rc.criterion.gate.min_level), rc.id
                checked_gates += 1
        weight = {rc.id: rc.effective_weight for rc in rubric.criteria if rc.criterion.scored}

        def weighted(
            ids: list[str], weight: dict[str, float] = weight, norm: dict[str, float] = normalised
        ) -> float:
            w = sum(weight[i] for i in ids)
            if w == 0:
                return statistics.fmean(norm[i] for i in ids)
            return sum(norm[i] * weight[i] for i in ids) / w

        # GROUP_SCORE_METHOD: each standard's score, weighted by effective weight
        refs: dict[str, list[str]] = defaultdict(list)
        parts: dict[str, list[str]] = defaultdict(list)
        for rc in rubric.criteria:
            if rc.id not in normalised:
                continue
            for ref in dict.fromkeys([*rc.criterion.maps_to, *rc.criterion.elements]):
                refs[ref].append(rc.id)
            parts[rc.path[1] if len(rc.path) > 1 else rc.path[0]].append(rc.id)
        assert set(result.breakdown.by_reference) == set(refs)
        for ref, ids in refs.items():
            want = weighted(ids)
            assert _close(result.breakdown.by_reference[ref].score, want, 1e-12), ref
            # the leadership heatmap reads the stored consolidation: the same figure
            assert _close(stored.data["by_reference"][ref]["score"], want, 1e-9), ref
            checked_refs += 1
        # the per-part totals ("Score by part") by the same method, and the overall score
        assert len(parts) > 1
        for part, ids in parts.items():
            assert _close(result.breakdown.by_part[part].score, weighted(ids), 1e-12), part
        assert _close(result.overall, weighted(list(normalised)), 1e-12)
        assert _close(stored.data["overall"], result.overall, 1e-9)
        assert sorted(stored.data["gates_failed"]) == sorted(result.breakdown.gates_failed)
        # the case's own agreement figures: scale criteria scored by two reviewers or more
        spreads = {}
        for rc in rubric.reviewer_criteria:
            values = [float(r.scores[rc.id]) for r in reviews if rc.id in r.scores]
            if rc.criterion.kind == "scale" and len(values) > 1:
                spreads[rc.id] = max(values) - min(values)
        # the consolidation table: each criterion's median of the reviewers' scores
        for st in result.criteria:
            values = [
                float(r.scores[st.criterion_id]) for r in reviews if st.criterion_id in r.scores
            ]
            if values:
                assert _close(st.median, statistics.median(values), 1e-12), st.criterion_id
        # ALPHA_NOTE: "Alpha is ordinal over the scale criteria only; yes/no criteria are counted
        # apart" (answered alike when every reviewer gave the same answer)
        scale = [
            rc
            for rc in rubric.reviewer_criteria
            if rc.criterion.scored and rc.criterion.kind == "scale"
        ]
        domain = sorted(
            {
                v
                for rc in scale
                for v in range(
                    rubric.score_range(rc.criterion)[0], rubric.score_range(rc.criterion)[1] + 1
                )
            }
        )
        matrix = np.array(
            [[float(r.scores.get(rc.id, np.nan)) for rc in scale] for r in reviews], dtype=float
        )
        alpha = None
        if len(reviews) >= 2 and len(set(matrix[~np.isnan(matrix)].tolist())) > 1:
            alpha = float(
                krippendorff.alpha(
                    reliability_data=matrix, level_of_measurement="ordinal", value_domain=domain
                )
            )
        assert _close(result.agreement, alpha, 1e-9), case.id
        yes_no = [
            [float(r.scores[rc.id]) for r in reviews if rc.id in r.scores]
            for rc in rubric.reviewer_criteria
            if rc.criterion.scored and rc.criterion.kind == "yes_no"
        ]
        compared_yes_no = [v for v in yes_no if len(v) > 1]
        assert result.yes_no_compared == len(compared_yes_no)
        assert result.yes_no_alike == sum(len(set(v)) == 1 for v in compared_yes_no)
        assert result.compared == len(spreads)
        assert result.within_one == sum(v <= 1 for v in spreads.values())
        assert result.largest_gap == max(spreads.values())
        words = result.agreement_summary
        if result.within_one < result.compared:
            assert f"{result.within_one} of {result.compared} criteria within one level" in words
    assert checked_gates > 20 and checked_refs > 200


# --------------------------------------------------------------------------- outputs that print


def test_the_leadership_pdf_never_leaves_one_table_row_alone(history, monkeypatch):
    s, period, f = history
    splits: list[tuple[int, int]] = []
    tables: list[int] = []
    original = aggregate_pdf.KeptTable.split

    def watched(self, w, h):
        parts = original(self, w, h)
        if len(parts) == 2:
            splits.append(tuple(len(p._cellvalues) - 1 for p in parts))
        return parts

    drawn = aggregate_pdf.KeptTable.drawOn

    def counted(self, *args, **kwargs):
        tables.append(len(self._cellvalues) - 1)  # the data rows of each fragment drawn
        return drawn(self, *args, **kwargs)

    monkeypatch.setattr(aggregate_pdf.KeptTable, "split", watched)
    monkeypatch.setattr(aggregate_pdf.KeptTable, "drawOn", counted)
    pdf = aggregate_pdf.render_pdf(f, reports_dir=get_settings().reports_dir)
    assert splits, "the history's report has tables that run over a page"
    for first, rest in splits:
        assert first >= 2 and rest >= 2, (first, rest)  # never one row alone on a page
    # the drawn fragments: a one-row fragment is only ever a whole one-row table
    whole = [
        len(b.table.rows) for sec in charts.report_sections(f) for b in sec.blocks if b.table.rows
    ]
    assert sum(n == 1 for n in tables) <= sum(n == 1 for n in whole)
    # the reviewer-load table: every row names an institution, anonymised or not
    pages = [p.extract_text() for p in PdfReader(BytesIO(pdf)).pages]
    assert len(pages) > 5
    for named in (True, False):
        g = leadership_figures(session=s, actor=SYSTEM, period=period, reviewer_names=named)
        load = next(
            b.table
            for sec in charts.report_sections(g)
            for b in sec.blocks
            if b.table.id == "reviewer_load"
        )
        column = load.headers.index("Institution")
        assert load.rows and all(re.fullmatch(r"[A-Z]+", str(r[column])) for r in load.rows)
        # numbers right-aligned under right-aligned headers, text left under left
        table = aggregate_pdf._table(load, dense_styles())
        for j, kind in enumerate(load.formats):
            want = TA_RIGHT if kind == "int" else TA_LEFT
            assert {row[j].style.alignment for row in table._cellvalues} == {want}, load.headers[j]
