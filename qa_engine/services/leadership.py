"""The figures of the leadership reports: where quality stands across the alliance, for a period.

`leadership_figures` asks the aggregate query layer (`qa_engine.store.aggregates`) for every figure
and returns the plain dataclasses of `qa_engine.domain.leadership`, which the PDF, the workbook and
the HTML page render as they are, so the three always agree. Only Krippendorff's alpha is computed
here, by the `krippendorff` package, from the score patterns the database aggregated.

Who may read them: leadership, QA officers, approvers and admins. Reviewer names ("who is
behind") are included only when asked for and only for QA officers and admins; leadership sees
counts and anonymous reviewer labels.

The heatmap of standards uses the ``by_reference`` scores of each round's final consolidation:
they are exactly the per-standard scores the approver saw (weighted by the rubric, including the
engine's standard-elements check), so recomputing them from raw review scores in SQL would only
repeat the scoring rules a second time, where the two could drift apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime

import krippendorff
import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qa_engine.domain import i18n
from qa_engine.domain.case_states import FINISHED, CaseState
from qa_engine.domain.consolidation import (
    FEWER_THAN_TWO,
    NO_VARIATION,
    NOT_COMPUTABLE,
    agreement_label,
)
from qa_engine.domain.errors import Forbidden, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.leadership import (
    EXTERNAL,
    STATE_NAMES,
    Count,
    CriterionAgreement,
    CriterionGap,
    DigitalGreenFigures,
    LeadershipFigures,
    OutcomeFigures,
    OutcomeRow,
    OverdueReviewer,
    PipelineFigures,
    ReferenceRow,
    ReportFilters,
    ReportPeriod,
    ReviewerLoad,
    ReviewingFigures,
    RubricCompetences,
    Share,
    StageTime,
    StandardsFigures,
)
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.scoring import coverage
from qa_engine.domain.standards import (
    DIGCOMP,
    DIGCOMP_AREAS,
    ESG,
    EU_ELEMENTS,
    EU_OPTIONAL_ELEMENTS,
    EU_PRINCIPLES,
    GREENCOMP,
    GREENCOMP_AREAS,
)
from qa_engine.services import audit
from qa_engine.services.context import now as engine_now
from qa_engine.store import aggregates as agg
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import IssuedFile, RubricSnapshot

READERS = (Role.LEADERSHIP, Role.QA_OFFICER, Role.APPROVER, Role.ADMIN)
NAME_READERS = (Role.QA_OFFICER, Role.ADMIN)
OUTCOMES = tuple(o.value for o in Outcome)
STATE_ORDER = tuple(s.value for s in CaseState)
STAGES = tuple(s.value for s in CaseState if s.open)  # the stages a case spends time in
ECTS_BOUNDS = (2.0, 4.0, 6.0, 10.0, 15.0)
# the ECTS bins in words (translated where the reports show them)
ECTS_LABELS = (
    N_("under 2"),
    N_("2 to under 4"),
    N_("4 to under 6"),
    N_("6 to under 10"),
    N_("10 to under 15"),
    N_("15 or more"),
)
TOP_CONDITIONS = 10
LOWEST_AGREEMENT = 5


# --------------------------------------------------------------------------- the service


def leadership_figures(
    *,
    session: Session,
    actor: Actor,
    period: ReportPeriod,
    filters: ReportFilters | None = None,
    reviewer_names: bool = False,
    now: datetime | None = None,
) -> LeadershipFigures:
    """Compute every figure of the leadership reports for a period and filters."""
    actor.require(*READERS, action="read the leadership reports")
    if reviewer_names and not actor.has(*NAME_READERS):
        raise Forbidden(N_("only a QA officer or an admin may see which reviewers are behind"))
    filters = filters or ReportFilters()
    if filters.institution:
        filters = replace(filters, institution=filters.institution.strip().upper())
    now = now or engine_now()
    institutions = {i.code: i.name for i in repo.list_institutions(session)}
    scope = _scope(session, period, filters, institutions)
    in_scope = (
        {filters.institution: institutions[filters.institution]}
        if filters.institution
        else institutions
    )
    rubrics = [_rubric_of(s) for s in agg.rubric_snapshots_in_scope(session, scope)]
    titles = _criterion_titles(rubrics)
    figures = LeadershipFigures(
        report_id=_report_id(period, filters, reviewer_names),
        period=period,
        filters=filters,
        generated_at=now,
        audience="officers" if reviewer_names else "leadership",
        institutions=in_scope,
        pipeline=_pipeline(session, scope, period, now, reviewer_names),
        outcomes=_outcomes(session, scope, period, in_scope),
        standards=_standards(session, scope, in_scope, titles),
        digital_green=_digital_green(session, scope, rubrics),
        reviewing=_reviewing(session, scope, rubrics, titles, reviewer_names),
        # the notes are msgids: the reports translate them into their language
        notes=[
            N_(
                "ESCO alignment counts credentials that name at least one ESCO skill; the green "
                "and digital labels of ESCO concepts are not stored, so they are not told apart."
            ),
        ],
    )
    return figures


# renders the figures in a format ("pdf" signed, "xlsx", "html"): the adapters', passed in
Renderer = Callable[[LeadershipFigures, str], bytes]
SIGNED_FORMATS = ("pdf",)


def issue_leadership_report(
    *,
    session: Session,
    actor: Actor,
    figures: LeadershipFigures,
    fmt: str,
    render: Renderer,
    lang: str = i18n.DEFAULT,
) -> bytes:
    """The leadership report in `fmt`, as the dashboard, the CLI and the scheduled flow hand it
    out: a signed file is recorded in the register of issued files (its report id and the
    SHA-256 of exactly these bytes), so that verifying it says the engine issued it. `render`
    writes it in `lang`, the language recorded with the issue (in the audit trail).

    Rendering comes first: on SQLite the database's writer is taken only for the record."""
    actor.require(*READERS, action="read the leadership reports")
    payload = render(figures, fmt)
    if fmt in SIGNED_FORMATS:
        register_issued_file(
            session,
            actor=actor,
            report_id=figures.report_id,
            kind=fmt,
            payload=payload,
            language=lang,
        )
    return payload


def register_issued_file(
    session: Session,
    *,
    actor: Actor,
    report_id: str,
    kind: str,
    payload: bytes,
    language: str | None = None,
) -> IssuedFile:
    """Record a signed file the engine issued outside a case (once per exact bytes); its
    language, when given, goes into the audit event of the issue (the register has no column
    for it)."""
    digest = hashlib.sha256(payload).hexdigest()
    row = case_repo.get_issued_file(session, digest)
    if row is not None:
        return row
    row = IssuedFile(report_id=report_id, kind=kind, sha256=digest, issued_by=actor.username)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same bytes recorded at the same moment by another run
        existing = case_repo.get_issued_file(session, digest)
        if existing is None:
            raise
        return existing
    audit.record(
        session,
        actor=actor,
        action="report.issued",
        subject_type="report",
        subject_id=report_id,
        payload={
            "report_id": report_id,
            "kind": kind,
            "sha256": digest,
            **({"language": language} if language else {}),
        },
    )
    return row


def _rubric_of(snapshot: RubricSnapshot) -> Rubric:
    return Rubric.model_validate(snapshot.content)


def _scope(
    session: Session, period: ReportPeriod, filters: ReportFilters, institutions: dict[str, str]
) -> agg.Scope:
    institution_id = None
    if filters.institution:
        inst = repo.get_institution_by_code(session, filters.institution)
        if inst is None:
            raise ValidationFailed(
                N_("no institution %(code)s (known: %(known)s)"),
                code=filters.institution,
                known=", ".join(sorted(institutions)),
            )
        institution_id = inst.id
    if filters.field is not None and not (filters.field.isdigit() and 2 <= len(filters.field) <= 4):
        raise ValidationFailed(
            N_("ISCED-F field %(field)s: give 2 to 4 digits, e.g. 04 or 0613"), field=filters.field
        )
    if filters.eqf is not None and not 1 <= filters.eqf <= 8:
        raise ValidationFailed(
            N_("EQF level %(level)s: give a level from 1 to 8"), level=filters.eqf
        )
    if filters.rubric is not None:
        known = agg.rubric_ids(session)
        if filters.rubric not in known:
            raise ValidationFailed(
                N_("no case was reviewed with rubric %(rubric)s (known: %(known)s)"),
                rubric=filters.rubric,
                known=", ".join(known) or "—",
            )
    return agg.Scope(
        start=period.start_at,
        end=period.end_at,
        institution_id=institution_id,
        rubric_id=filters.rubric,
        isced_prefix=filters.field,
        eqf_level=filters.eqf,
    )


def _report_id(period: ReportPeriod, filters: ReportFilters, named: bool) -> str:
    key = json.dumps([str(period.start), str(period.end), asdict(filters), named], sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"AGG-{period.start:%Y%m%d}-{period.end:%Y%m%d}-{digest}"


def _criterion_titles(rubrics: list[Rubric]) -> dict[str, str]:
    out: dict[str, str] = {}
    for rubric in rubrics:
        for rc in rubric.criteria:
            out.setdefault(rc.id, rc.criterion.title)
    return out


def _label(state: str) -> str:
    """A state in words (English: the reports translate it by its key)."""
    return STATE_NAMES.get(state, state.replace("_", " "))


def _pipeline(
    session: Session, scope: agg.Scope, period: ReportPeriod, now: datetime, named: bool
) -> PipelineFigures:
    states = dict(agg.cases_by_state(session, scope))
    by_state = [Count(s, _label(s), states.get(s, 0)) for s in STATE_ORDER]
    closed = dict(agg.closed_per_month(session, scope))
    months = [Count(m, m, closed.get(m, 0)) for m in period.months()]
    times = {r.stage: r for r in agg.stage_times(session, scope)}
    stage_times = [
        StageTime(
            s,
            _label(s),
            times[s].intervals,
            times[s].median_days,
            times[s].p90_days,
            times[s].mean_days,
        )
        for s in STAGES
        if s in times
    ]
    timely = agg.review_timeliness(session, scope, now)
    behind = None
    if named:
        behind = [
            OverdueReviewer(
                f"{r.full_name} ({r.username})", r.institution, r.overdue, r.max_days_overdue
            )
            for r in agg.overdue_by_reviewer(session, scope, now)
        ]
    return PipelineFigures(
        cases_by_state=by_state,
        in_pipeline=sum(states.values()),
        open_cases=sum(n for s, n in states.items() if s not in FINISHED),
        closed_per_month=months,
        closed=sum(c.count for c in months),
        stage_times=stage_times,
        overdue_reviews=timely.overdue_open,
        reviews_submitted=timely.submitted,
        reviews_late=timely.submitted_late,
        overdue_by_reviewer=behind,
    )


def _outcomes(
    session: Session, scope: agg.Scope, period: ReportPeriod, institutions: dict[str, str]
) -> OutcomeFigures:
    by_inst: dict[str, dict[str, int]] = {c: dict.fromkeys(OUTCOMES, 0) for c in institutions}
    for code, outcome, n in agg.decisions_by_institution(session, scope):
        by_inst.setdefault(code, dict.fromkeys(OUTCOMES, 0))[outcome] = n
    by_month: dict[str, dict[str, int]] = {m: dict.fromkeys(OUTCOMES, 0) for m in period.months()}
    for month, outcome, n in agg.decisions_by_month(session, scope):
        by_month.setdefault(month, dict.fromkeys(OUTCOMES, 0))[outcome] = n
    totals = {o: sum(row[o] for row in by_inst.values()) for o in OUTCOMES}
    return OutcomeFigures(
        decisions=sum(totals.values()),
        totals=totals,
        by_institution=[OutcomeRow(c, c, by_inst[c]) for c in sorted(by_inst)],
        by_month=[OutcomeRow(m, m, by_month[m]) for m in sorted(by_month)],
        top_conditions=[
            Count(t, t, n) for t, n in agg.frequent_conditions(session, scope, TOP_CONDITIONS)
        ],
    )


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def _standards(
    session: Session, scope: agg.Scope, institutions: dict[str, str], titles: dict[str, str]
) -> StandardsFigures:
    refs = {**ESG, **EU_PRINCIPLES}
    cells: dict[str, dict[str, tuple[float, int]]] = {}
    for ref, code, mean, n in agg.reference_scores(session, scope, list(refs)):
        cells.setdefault(ref, {})[code] = (mean, n)
    heatmap = []
    codes = sorted(institutions)
    for ref, title in refs.items():
        row = cells.get(ref, {})
        n = sum(k for _, k in row.values())
        overall = sum(m * k for m, k in row.values()) / n if n else None
        heatmap.append(
            ReferenceRow(
                ref, title, {c: row[c][0] if c in row else None for c in codes}, overall, n
            )
        )
    total, gates = agg.gates_failed(session, scope)
    elements = {**EU_ELEMENTS, **EU_OPTIONAL_ELEMENTS}
    returned, missing = agg.missing_elements(
        session, scope, [(eid, f) for eid, (_, f) in elements.items()]
    )
    missing_sorted = sorted(missing, key=lambda r: (-r[1], list(elements).index(r[0])))
    return StandardsFigures(
        institutions=codes,
        heatmap=heatmap,
        consolidations=total,
        below_gate=[Share(c, titles.get(c, c), n, _share(n, total)) for c, n in gates],
        returned_screenings=returned,
        missing_elements=[
            Share(e, elements[e][0], n, _share(n, returned)) for e, n in missing_sorted
        ],
    )


def _rubric_competences(rubrics: list[Rubric]) -> list[RubricCompetences]:
    """Per rubric version in use and framework: the competences its criteria name, of all."""
    return [
        RubricCompetences(
            f"{r.id} {r.version}",
            comp.framework,
            len(comp.addressed),
            comp.total,
            len(comp.areas),
            len(comp.area_titles),
        )
        for r in sorted(rubrics, key=lambda r: (r.id, r.version))
        for comp in coverage(r).competences
    ]


def _digital_green(
    session: Session, scope: agg.Scope, rubrics: list[Rubric]
) -> DigitalGreenFigures:
    al = agg.approved_alignment(session, scope)
    dc, da = agg.approved_competences(session, scope, "digcomp", len("DigComp-1"))
    gc, ga = agg.approved_competences(session, scope, "greencomp", len("GreenComp-1"))

    def shares(table: dict[str, str], counts: list[tuple[str, int]]) -> list[Share]:
        got = dict(counts)
        return [
            Share(k, f"{k.split('-', 1)[1]} {t}", got.get(k, 0), _share(got.get(k, 0), al.approved))
            for k, t in table.items()
        ]

    eqf = dict(agg.approved_eqf(session, scope))
    ects = dict(agg.approved_ects(session, scope, ECTS_BOUNDS))
    return DigitalGreenFigures(
        approved=al.approved,
        digcomp=Share("digcomp", "DigComp", al.digcomp, _share(al.digcomp, al.approved)),
        greencomp=Share("greencomp", "GreenComp", al.greencomp, _share(al.greencomp, al.approved)),
        esco=Share("esco", N_("ESCO skills"), al.esco, _share(al.esco, al.approved)),
        digcomp_areas=shares(DIGCOMP_AREAS, da),
        digcomp_competences=shares(DIGCOMP, dc),
        greencomp_areas=shares(GREENCOMP_AREAS, ga),
        greencomp_competences=shares(GREENCOMP, gc),
        eqf=[Count(str(lv), f"EQF {lv}", eqf.get(lv, 0)) for lv in range(1, 9)],
        ects=[Count(str(i), label, ects.get(i, 0)) for i, label in enumerate(ECTS_LABELS)],
        rubric_competences=_rubric_competences(rubrics),
    )


def _score_domain(rubrics: list[Rubric]) -> list[int]:
    """The levels of the scale criteria: alpha is ordinal over them only (a yes/no answer is no
    point on the scale)."""
    values: set[int] = set()
    for rubric in rubrics:
        for rc in rubric.reviewer_criteria:
            if rc.criterion.scored and rc.criterion.kind == "scale":
                lo, hi = rubric.score_range(rc.criterion)
                values.update(range(lo, hi + 1))
    return sorted(values) or [0, 1]


def alpha_from_patterns(
    patterns: list[tuple[tuple[int, ...], int]], domain: list[int]
) -> float | None:
    """Krippendorff's alpha (ordinal) from (value counts of a unit, number of such units) pairs.

    The coincidence matrix, and so alpha, depends on each unit's value counts only, so the units
    are rebuilt from the aggregated patterns; None where alpha is undefined (fewer than two
    pairable values, or no variation at all).
    """
    rows = [(np.asarray(c, dtype=float), n) for c, n in patterns if sum(c) >= 2 and n > 0]
    if not rows:
        return None
    counts = np.repeat(np.stack([r for r, _ in rows]), [n for _, n in rows], axis=0)
    if np.count_nonzero(counts.sum(axis=0)) < 2:
        return None
    try:
        value = krippendorff.alpha(
            value_counts=counts, value_domain=domain, level_of_measurement="ordinal"
        )
    except (ValueError, ZeroDivisionError):
        return None
    return None if np.isnan(value) else float(value)


def _reviewing(
    session: Session, scope: agg.Scope, rubrics: list[Rubric], titles: dict[str, str], named: bool
) -> ReviewingFigures:
    loads = agg.reviewer_load(session, scope, with_names=named)
    reviewers = [
        ReviewerLoad(
            f"{r.full_name} ({r.username})" if named else f"Reviewer {i:02d}",
            r.institution or EXTERNAL,
            r.capacity,
            r.open,
            r.completed,
        )
        for i, r in enumerate(loads, start=1)
    ]
    domain = _score_domain(rubrics)
    rows = agg.criterion_patterns(session, scope, domain)
    # alpha per criterion over the scale criteria only, as for a case (`domain.consolidation`)
    kinds: dict[str, set[str]] = {}
    for rubric in rubrics:
        for rc in rubric.reviewer_criteria:
            kinds.setdefault(rc.id, set()).add(rc.criterion.kind)
    scale = {c for c, k in kinds.items() if "scale" in k}
    by_criterion: dict[str, list[agg.CriterionPatternRow]] = {}
    for r in rows:
        by_criterion.setdefault(r.criterion, []).append(r)
    order = [rc.id for rubric in rubrics for rc in rubric.criteria]
    ordered = sorted(by_criterion, key=lambda c: (order.index(c) if c in order else len(order), c))
    agreement, gaps = [], []
    for c in ordered:
        pats = by_criterion[c]
        units = sum(p.units for p in pats if sum(p.value_counts) >= 2)
        if c in scale:
            alpha = alpha_from_patterns([(p.value_counts, p.units) for p in pats], domain)
            why = None if alpha is not None else (FEWER_THAN_TWO if not units else NO_VARIATION)
            agreement.append(
                CriterionAgreement(c, titles.get(c, c), units, alpha, agreement_label(alpha, why))
            )
        self_units = sum(p.self_units for p in pats)
        self_mean = sum(p.self_sum for p in pats) / self_units if self_units else None
        peer_mean = sum(p.peer_sum_self for p in pats) / self_units if self_units else None
        gaps.append(
            CriterionGap(
                c,
                titles.get(c, c),
                self_units,
                self_mean,
                peer_mean,
                None if self_mean is None or peer_mean is None else self_mean - peer_mean,
            )
        )
    # A single alpha pooled over all criteria would treat criteria as interchangeable units (and
    # rebuild millions of units at scale): the headline is the median of the criteria's alphas.
    alphas = sorted(a.alpha for a in agreement if a.alpha is not None)
    median = None
    if alphas:
        mid = len(alphas) // 2
        median = alphas[mid] if len(alphas) % 2 else (alphas[mid - 1] + alphas[mid]) / 2
    lowest = sorted(
        (a for a in agreement if a.alpha is not None), key=lambda a: (a.alpha, a.criterion)
    )[:LOWEST_AGREEMENT]
    return ReviewingFigures(
        reviewers=reviewers,
        named=named,
        agreement=agreement,
        median_alpha=median,
        lowest_agreement=lowest,
        median_label=agreement_label(median, NOT_COMPUTABLE),
        gaps=gaps,
    )
