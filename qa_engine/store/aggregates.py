"""The aggregate queries behind the leadership reports: one query layer, all aggregation in SQL.

Every function takes a `Scope` (a period and the filters) and returns rows that the database has
already aggregated (GROUP BY, window functions, percentiles), never one row per case. JSON fields
are read with the dialect's own functions: ``json_extract`` / ``json_each`` on SQLite,
``jsonb_extract_path_text`` / ``jsonb_each_text`` / ``jsonb_array_elements_text`` on PostgreSQL
(the `_Json` helpers below hide the difference). Percentiles are ``percentile_cont`` on
PostgreSQL and a ``row_number()`` window with the same linear interpolation on SQLite.

Which rows belong to a period (``[start, end)``, UTC):
- a case is *in the pipeline* when it was opened before the end and not finished before the start;
- a month's *throughput* is the cases closed in it; an *outcome* is a decision taken in the period;
- the *review rounds* of the period are the (case, round) pairs decided in it: their final
  consolidation, their submitted reviews and their self-assessment feed the standards and the
  reviewing figures;
- a *stage time* is counted in the period in which the case left the stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from qa_engine.domain.case_states import FINISHED, CaseState
from qa_engine.domain.outcomes import APPROVING
from qa_engine.domain.statuses import OPEN_ASSIGNMENT, AssignmentStatus, ReviewStatus
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

STATE_ACTIONS = ("case.opened", *(f"case.{s}" for s in CaseState))


@dataclass(frozen=True)
class Scope:
    """A period ``[start, end)`` (aware UTC datetimes) and the filters; None means "all"."""

    start: datetime
    end: datetime
    institution_id: int | None = None
    rubric_id: str | None = None
    isced_prefix: str | None = None
    eqf_level: int | None = None

    @property
    def filters_cases(self) -> bool:
        return any(
            v is not None
            for v in (self.institution_id, self.rubric_id, self.isced_prefix, self.eqf_level)
        )


# --------------------------------------------------------------------------- dialect helpers


class _Json:
    """JSON access that compiles to the dialect's own functions."""

    def __init__(self, session: Session) -> None:
        self.pg = session.get_bind().dialect.name == "postgresql"

    def text(self, col, *path: str) -> ColumnElement:
        if self.pg:
            return func.jsonb_extract_path_text(col, *path)
        return func.json_extract(col, _path(path))

    def num(self, col, *path: str) -> ColumnElement:
        return cast(self.text(col, *path), Float)

    def length(self, col, key: str) -> ColumnElement:
        if self.pg:
            return func.coalesce(func.jsonb_array_length(func.jsonb_extract_path(col, key)), 0)
        return func.coalesce(func.json_array_length(col, _path((key,))), 0)

    def each_scalar(self, col, key: str | None = None):
        """(key, value) of an object of scalars; read the value with `scalar_value`."""
        if self.pg:
            target = col if key is None else func.jsonb_extract_path(col, key)
            return func.jsonb_each_text(target).table_valued("key", "value")
        if key is None:
            return func.json_each(col).table_valued("key", "value")
        return func.json_each(col, _path((key,))).table_valued("key", "value")

    def each_object(self, col, key: str | None):
        """(key, value) of an object of objects (at `key`, or the column itself); read with `field`."""
        if self.pg:
            target = col if key is None else func.jsonb_extract_path(col, key)
            return func.jsonb_each(target).table_valued("key", "value")
        if key is None:
            return func.json_each(col).table_valued("key", "value")
        return func.json_each(col, _path((key,))).table_valued("key", "value")

    def field(self, value_col, name: str) -> ColumnElement:
        if self.pg:
            return cast(func.jsonb_extract_path_text(value_col, name), Float)
        return cast(func.json_extract(value_col, _path((name,))), Float)

    def array_text(self, col, key: str):
        """The elements of an array of strings, as column ``value``."""
        if self.pg:
            return func.jsonb_array_elements_text(func.jsonb_extract_path(col, key)).table_valued(
                "value"
            )
        return func.json_each(col, _path((key,))).table_valued("value")

    def scalar_value(self, tv) -> ColumnElement:
        return cast(tv.c.value, Float) if self.pg else tv.c.value

    def month(self, col) -> ColumnElement:
        return func.to_char(col, "YYYY-MM") if self.pg else func.strftime("%Y-%m", col)

    def days(self, a, b) -> ColumnElement:
        """Days from `a` to `b` as a float."""
        if self.pg:
            return func.extract("epoch", b - a) / 86400.0
        return func.julianday(b) - func.julianday(a)

    def contains(self, haystack, needle) -> ColumnElement:
        return (func.strpos(haystack, needle) if self.pg else func.instr(haystack, needle)) > 0


def _path(keys: Sequence[str]) -> str:
    return "$" + "".join(f'."{k}"' for k in keys)


def _case_filters(session: Session, scope: Scope, case_table=Case) -> list[ColumnElement]:
    """WHERE clauses on a case table that apply the scope's filters."""
    j = _Json(session)
    out: list[ColumnElement] = []
    if scope.institution_id is not None:
        out.append(case_table.institution_id == scope.institution_id)
    if scope.rubric_id is not None:
        out.append(
            case_table.rubric_snapshot_id.in_(
                select(RubricSnapshot.id).where(RubricSnapshot.rubric_id == scope.rubric_id)
            )
        )
    if scope.isced_prefix is not None or scope.eqf_level is not None:
        conds = []
        if scope.isced_prefix is not None:
            isced = j.text(CredentialVersion.data, "isced_f")
            conds.append(func.substr(isced, 1, len(scope.isced_prefix)) == scope.isced_prefix)
        if scope.eqf_level is not None:
            conds.append(
                cast(j.text(CredentialVersion.data, "eqf_level"), Integer) == scope.eqf_level
            )
        out.append(case_table.credential_version_id.in_(select(CredentialVersion.id).where(*conds)))
    return out


def _in_period(col, scope: Scope) -> ColumnElement:
    return and_(col >= scope.start, col < scope.end)


def _decided_rounds(session: Session, scope: Scope):
    """(case_id, round, institution_id) of every round decided in the period, filters applied."""
    return (
        select(Decision.case_id, Decision.round, Case.institution_id)
        .join(Case, Case.id == Decision.case_id)
        .where(_in_period(Decision.decided_at, scope), *_case_filters(session, scope))
    ).subquery("decided")


def _final_consolidations(session: Session, scope: Scope):
    """The last consolidation pass of every round decided in the period (what the approver saw)."""
    decided = _decided_rounds(session, scope)
    later = aliased(Consolidation)
    return (
        select(
            Consolidation.id, Consolidation.case_id, Consolidation.data, decided.c.institution_id
        )
        .join(
            decided,
            and_(
                decided.c.case_id == Consolidation.case_id, decided.c.round == Consolidation.round
            ),
        )
        .where(
            ~exists(
                select(later.id).where(
                    later.case_id == Consolidation.case_id,
                    later.round == Consolidation.round,
                    later.pass_no > Consolidation.pass_no,
                )
            )
        )
    ).subquery("final")


# --------------------------------------------------------------------------- pipeline


def cases_by_state(session: Session, scope: Scope) -> list[tuple[str, int]]:
    """Cases in the pipeline during the period, by their current state."""
    q = (
        select(Case.state, func.count())
        .where(
            Case.opened_at < scope.end,
            or_(Case.closed_at.is_(None), Case.closed_at >= scope.start),
            *_case_filters(session, scope),
        )
        .group_by(Case.state)
    )
    return [(s, int(n)) for s, n in session.execute(q).all()]


def closed_per_month(session: Session, scope: Scope) -> list[tuple[str, int]]:
    """Cases closed in the period, per month ('YYYY-MM')."""
    month = _Json(session).month(Case.closed_at)
    q = (
        select(month.label("month"), func.count())
        .where(
            Case.state == CaseState.CLOSED,
            _in_period(Case.closed_at, scope),
            *_case_filters(session, scope),
        )
        .group_by(month)
        .order_by(month)
    )
    return [(m, int(n)) for m, n in session.execute(q).all()]


@dataclass(frozen=True)
class StageTimeRow:
    stage: str
    intervals: int
    mean_days: float
    median_days: float
    p90_days: float


def stage_times(session: Session, scope: Scope) -> list[StageTimeRow]:
    """Median, 90th percentile and mean days spent in each state, from the case history.

    A case enters a state with its ``case.<state>`` audit event (``case.opened`` enters
    ``submitted``) and leaves it with its next state event; intervals that ended in the period count.
    """
    j = _Json(session)
    stage = case(
        (AuditEvent.action == "case.opened", literal(CaseState.SUBMITTED.value)),
        else_=func.substr(AuditEvent.action, 6),
    )
    nxt = func.lead(AuditEvent.at).over(partition_by=AuditEvent.subject_id, order_by=AuditEvent.seq)
    ev = select(stage.label("stage"), AuditEvent.at.label("at"), nxt.label("next_at")).where(
        AuditEvent.subject_type == "case", AuditEvent.action.in_(STATE_ACTIONS)
    )
    if scope.filters_cases:
        ev = ev.join(Case, cast(Case.id, String) == AuditEvent.subject_id).where(
            *_case_filters(session, scope)
        )
    ev = ev.subquery("ev")
    spans = (
        select(ev.c.stage, j.days(ev.c.at, ev.c.next_at).label("days")).where(
            ev.c.next_at.is_not(None), _in_period(ev.c.next_at, scope)
        )
    ).subquery("spans")
    if j.pg:
        q = select(
            spans.c.stage,
            func.count(),
            func.avg(spans.c.days),
            func.percentile_cont(0.5).within_group(spans.c.days),
            func.percentile_cont(0.9).within_group(spans.c.days),
        ).group_by(spans.c.stage)
    else:
        ranked = select(
            spans.c.stage,
            spans.c.days,
            (func.row_number().over(partition_by=spans.c.stage, order_by=spans.c.days) - 1).label(
                "i"
            ),
            func.count().over(partition_by=spans.c.stage).label("n"),
        ).subquery("ranked")
        q = select(
            ranked.c.stage,
            func.count(),
            func.avg(ranked.c.days),
            _interpolated(ranked, 0.5),
            _interpolated(ranked, 0.9),
        ).group_by(ranked.c.stage)
    return [
        StageTimeRow(s, int(n), float(mean), float(p50), float(p90))
        for s, n, mean, p50, p90 in session.execute(q).all()
    ]


def _interpolated(ranked, p: float) -> ColumnElement:
    """percentile_cont(p) over a ranked window: linear interpolation between the two nearest rows."""
    pos = literal(p) * (ranked.c.n - 1)
    lo = cast(pos, Integer)  # floor: pos is never negative
    frac = pos - lo
    return func.sum(
        case(
            (ranked.c.i == lo, ranked.c.days * (1 - frac)),
            (ranked.c.i == lo + 1, ranked.c.days * frac),
            else_=0.0,
        )
    )


@dataclass(frozen=True)
class ReviewTimeliness:
    overdue_open: int  # accepted reviews due in the period, not submitted, now past their due date
    submitted: int  # reviews submitted in the period
    submitted_late: int  # … of which after their due date


def review_timeliness(session: Session, scope: Scope, now: datetime) -> ReviewTimeliness:
    filters = _case_filters(session, scope)
    overdue = session.execute(
        select(func.count())
        .select_from(Assignment)
        .join(Case, Case.id == Assignment.case_id)
        .where(
            Assignment.status == AssignmentStatus.ACCEPTED,
            Assignment.due_at >= scope.start,
            Assignment.due_at < min(scope.end, now),
            Case.state.not_in(FINISHED),
            *filters,
        )
    ).scalar_one()
    late = case(
        (and_(Assignment.due_at.is_not(None), Review.submitted_at > Assignment.due_at), 1), else_=0
    )
    submitted, submitted_late = session.execute(
        select(func.count(), func.coalesce(func.sum(late), 0))
        .select_from(Review)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Case, Case.id == Review.case_id)
        .where(
            Review.status == ReviewStatus.SUBMITTED,
            _in_period(Review.submitted_at, scope),
            *filters,
        )
    ).one()
    return ReviewTimeliness(int(overdue), int(submitted), int(submitted_late))


@dataclass(frozen=True)
class OverdueReviewerRow:
    reviewer_id: int
    username: str
    full_name: str
    institution: str | None
    overdue: int
    max_days_overdue: float


def overdue_by_reviewer(session: Session, scope: Scope, now: datetime) -> list[OverdueReviewerRow]:
    """Who is behind: the overdue open reviews of `review_timeliness`, per reviewer (names included)."""
    j = _Json(session)
    cutoff = min(scope.end, now)
    days = j.days(Assignment.due_at, literal(now, type_=Assignment.__table__.c.due_at.type))
    q = (
        select(
            User.id, User.username, User.full_name, Institution.code, func.count(), func.max(days)
        )
        .select_from(Assignment)
        .join(Case, Case.id == Assignment.case_id)
        .join(User, User.id == Assignment.reviewer_id)
        .outerjoin(Institution, Institution.id == User.institution_id)
        .where(
            Assignment.status == AssignmentStatus.ACCEPTED,
            Assignment.due_at >= scope.start,
            Assignment.due_at < cutoff,
            Case.state.not_in(FINISHED),
            *_case_filters(session, scope),
        )
        .group_by(User.id, User.username, User.full_name, Institution.code)
        .order_by(func.count().desc(), User.username)
    )
    return [
        OverdueReviewerRow(int(i), u, n, c, int(k), float(d))
        for i, u, n, c, k, d in session.execute(q).all()
    ]


# --------------------------------------------------------------------------- outcomes


def decisions_by_institution(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    """(institution code, outcome, decisions) for decisions taken in the period."""
    q = (
        select(Institution.code, Decision.outcome, func.count())
        .select_from(Decision)
        .join(Case, Case.id == Decision.case_id)
        .join(Institution, Institution.id == Case.institution_id)
        .where(_in_period(Decision.decided_at, scope), *_case_filters(session, scope))
        .group_by(Institution.code, Decision.outcome)
    )
    return [(c, o, int(n)) for c, o, n in session.execute(q).all()]


def decisions_by_month(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    """(month 'YYYY-MM', outcome, decisions) for decisions taken in the period."""
    month = _Json(session).month(Decision.decided_at)
    q = (
        select(month, Decision.outcome, func.count())
        .select_from(Decision)
        .join(Case, Case.id == Decision.case_id)
        .where(_in_period(Decision.decided_at, scope), *_case_filters(session, scope))
        .group_by(month, Decision.outcome)
    )
    return [(m, o, int(n)) for m, o, n in session.execute(q).all()]


def frequent_conditions(session: Session, scope: Scope, limit: int = 10) -> list[tuple[str, int]]:
    """The conditions attached most often to decisions of the period (exact text, trimmed)."""
    j = _Json(session)
    if j.pg:
        tv = func.jsonb_array_elements_text(Decision.conditions).table_valued("value")
    else:
        tv = func.json_each(Decision.conditions).table_valued("value")
    text_ = func.trim(tv.c.value)
    q = (
        select(text_, func.count())
        .select_from(Decision)
        .join(Case, Case.id == Decision.case_id)
        .join(tv, true())
        .where(_in_period(Decision.decided_at, scope), *_case_filters(session, scope))
        .group_by(text_)
        .order_by(func.count().desc(), text_)
        .limit(limit)
    )
    return [(t, int(n)) for t, n in session.execute(q).all()]


# --------------------------------------------------------------------------- standards


def reference_scores(
    session: Session, scope: Scope, references: Sequence[str]
) -> list[tuple[str, str, float, int]]:
    """(reference, institution code, mean consolidated score 0–1, consolidations) from `by_reference`."""
    j = _Json(session)
    final = _final_consolidations(session, scope)
    br = j.each_object(final.c.data, "by_reference")
    score = j.field(br.c.value, "score")
    q = (
        select(br.c.key, Institution.code, func.avg(score), func.count(score))
        .select_from(final)
        .join(Institution, Institution.id == final.c.institution_id)
        .join(br, true())
        .where(br.c.key.in_(list(references)))
        .group_by(br.c.key, Institution.code)
    )
    return [(r, c, float(m), int(n)) for r, c, m, n in session.execute(q).all() if m is not None]


def gates_failed(session: Session, scope: Scope) -> tuple[int, list[tuple[str, int]]]:
    """(final consolidations in scope, [(criterion, consolidations whose mean failed its gate)])."""
    j = _Json(session)
    final = _final_consolidations(session, scope)
    total = session.execute(select(func.count()).select_from(final)).scalar_one()
    tv = j.array_text(final.c.data, "gates_failed")
    q = (
        select(tv.c.value, func.count())
        .select_from(final)
        .join(tv, true())
        .group_by(tv.c.value)
        .order_by(func.count().desc(), tv.c.value)
    )
    return int(total), [(c, int(n)) for c, n in session.execute(q).all()]


def missing_elements(
    session: Session, scope: Scope, elements: Sequence[tuple[str, str]]
) -> tuple[int, list[tuple[str, int]]]:
    """(screenings that returned a case, [(element id, returns naming it)]) in the period.

    A returned screening's problems (the ``case.returned`` audit payload) name a missing element
    either by id in the elements check (``… missing: EU-A1.7 Notional workload …``) or by its
    credential field when the credential could not be read at all (``ects: required``).
    """
    j = _Json(session)
    base = [
        AuditEvent.action == "case.returned",
        AuditEvent.subject_type == "case",
        _in_period(AuditEvent.at, scope),
    ]
    joined = select(AuditEvent.id).select_from(AuditEvent)
    if scope.filters_cases:
        joined = joined.join(Case, cast(Case.id, String) == AuditEvent.subject_id)
        base += _case_filters(session, scope)
    total = session.execute(
        select(func.count()).select_from(joined.where(*base).subquery())
    ).scalar_one()
    if not elements:
        return int(total), []
    el = union_all(
        *[
            select(literal(eid).label("id"), literal(field).label("field"))
            for eid, field in elements
        ]
    ).subquery("el")
    tv = j.array_text(AuditEvent.payload, "problems")
    problem = tv.c.value
    named = or_(
        j.contains(problem, literal(" ") + el.c.id + literal(" ")),
        func.substr(problem, 1, func.length(el.c.field) + 1) == el.c.field + literal(":"),
    )
    q = (
        select(el.c.id, func.count(distinct(AuditEvent.id)))
        .select_from(AuditEvent)
        .join(tv, true())
        .join(el, named)
    )
    if scope.filters_cases:
        q = q.join(Case, cast(Case.id, String) == AuditEvent.subject_id)
    q = q.where(*base).group_by(el.c.id)
    return int(total), [(e, int(n)) for e, n in session.execute(q).all()]


# --------------------------------------------------------------------------- digital and green


def _approved_versions(session: Session, scope: Scope):
    """The credential versions approved (with or without conditions) in the period."""
    return (
        select(Case.credential_version_id.label("cv_id"))
        .distinct()
        .select_from(Decision)
        .join(Case, Case.id == Decision.case_id)
        .where(
            Decision.outcome.in_(APPROVING),
            _in_period(Decision.decided_at, scope),
            *_case_filters(session, scope),
        )
    ).subquery("approved")


@dataclass(frozen=True)
class AlignmentRow:
    approved: int
    digcomp: int
    greencomp: int
    esco: int


def approved_alignment(session: Session, scope: Scope) -> AlignmentRow:
    j = _Json(session)
    ap = _approved_versions(session, scope)
    data = CredentialVersion.data

    def has(key: str):
        return func.coalesce(func.sum(case((j.length(data, key) > 0, 1), else_=0)), 0)

    row = session.execute(
        select(func.count(), has("digcomp"), has("greencomp"), has("esco_skills"))
        .select_from(ap)
        .join(CredentialVersion, CredentialVersion.id == ap.c.cv_id)
    ).one()
    return AlignmentRow(*(int(v) for v in row))


def approved_competences(
    session: Session, scope: Scope, key: str, area_chars: int
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """([(competence, approved credentials)], [(area, approved credentials)]) for `digcomp`/`greencomp`.

    The area is the competence id cut to `area_chars` characters (``DigComp-4.4`` → ``DigComp-4``).
    """
    j = _Json(session)
    ap = _approved_versions(session, scope)
    tv = j.array_text(CredentialVersion.data, key)
    base = (
        select()
        .select_from(ap)
        .join(CredentialVersion, CredentialVersion.id == ap.c.cv_id)
        .join(tv, true())
    )
    comp = base.add_columns(tv.c.value, func.count(distinct(CredentialVersion.id))).group_by(
        tv.c.value
    )
    area = func.substr(tv.c.value, 1, area_chars)
    areas = base.add_columns(area, func.count(distinct(CredentialVersion.id))).group_by(area)
    return (
        [(c, int(n)) for c, n in session.execute(comp).all()],
        [(a, int(n)) for a, n in session.execute(areas).all()],
    )


def approved_eqf(session: Session, scope: Scope) -> list[tuple[int, int]]:
    j = _Json(session)
    ap = _approved_versions(session, scope)
    level = cast(j.text(CredentialVersion.data, "eqf_level"), Integer)
    q = (
        select(level, func.count())
        .select_from(ap)
        .join(CredentialVersion, CredentialVersion.id == ap.c.cv_id)
        .group_by(level)
    )
    return [(int(lv), int(n)) for lv, n in session.execute(q).all() if lv is not None]


def approved_ects(session: Session, scope: Scope, bounds: Sequence[float]) -> list[tuple[int, int]]:
    """(bin, approved credentials): bin i holds ECTS in [bounds[i-1], bounds[i]); bin 0 below bounds[0]."""
    j = _Json(session)
    ap = _approved_versions(session, scope)
    ects = j.num(CredentialVersion.data, "ects")
    bin_ = case(*[(ects < b, i) for i, b in enumerate(bounds)], else_=len(bounds))
    q = (
        select(bin_, func.count())
        .select_from(ap)
        .join(CredentialVersion, CredentialVersion.id == ap.c.cv_id)
        .group_by(bin_)
    )
    return [(int(b), int(n)) for b, n in session.execute(q).all()]


# --------------------------------------------------------------------------- reviewing


@dataclass(frozen=True)
class ReviewerLoadRow:
    reviewer_id: int
    username: str | None
    full_name: str | None
    institution: str | None
    capacity: int
    open: int
    completed: int


def reviewer_load(session: Session, scope: Scope, *, with_names: bool) -> list[ReviewerLoadRow]:
    """Open assignments (invited or accepted before the period's end, case still open) and reviews
    submitted in the period, per reviewer. Without `with_names` no name leaves the database."""
    filters = _case_filters(session, scope)
    open_q = (
        select(Assignment.reviewer_id.label("rid"), literal(1).label("o"), literal(0).label("c"))
        .join(Case, Case.id == Assignment.case_id)
        .where(
            Assignment.status.in_(OPEN_ASSIGNMENT),
            Assignment.invited_at < scope.end,
            Case.state.not_in(FINISHED),
            *filters,
        )
    )
    done_q = (
        select(Review.reviewer_id.label("rid"), literal(0).label("o"), literal(1).label("c"))
        .join(Case, Case.id == Review.case_id)
        .where(
            Review.status == ReviewStatus.SUBMITTED,
            _in_period(Review.submitted_at, scope),
            *filters,
        )
    )
    both = union_all(open_q, done_q).subquery("load")
    per = (
        select(both.c.rid, func.sum(both.c.o).label("o"), func.sum(both.c.c).label("c")).group_by(
            both.c.rid
        )
    ).subquery("per")
    cols = [per.c.rid, User.max_open_reviews, per.c.o, per.c.c]
    if with_names:
        cols += [User.username, User.full_name, Institution.code]
    q = (
        select(*cols)
        .select_from(per)
        .join(User, User.id == per.c.rid)
        .outerjoin(Institution, Institution.id == User.institution_id)
        .order_by(per.c.c.desc(), per.c.o.desc(), per.c.rid)
    )
    out = []
    for row in session.execute(q).all():
        rid, cap, o, c = row[:4]
        names = row[4:] if with_names else (None, None, None)
        out.append(
            ReviewerLoadRow(int(rid), names[0], names[1], names[2], int(cap), int(o), int(c))
        )
    return out


@dataclass(frozen=True)
class CriterionPatternRow:
    """Review rounds of the period that share a criterion and the same count of each score value."""

    criterion: str
    value_counts: tuple[int, ...]  # reviewers who gave each value of the domain, in domain order
    units: int  # (case, round) pairs with this pattern
    peer_sum: float  # Σ over those units of the mean peer score
    self_units: int  # … of which the self-assessment scored the criterion
    self_sum: float  # Σ self-assessment score over those
    peer_sum_self: float  # Σ mean peer score over those


def criterion_patterns(
    session: Session, scope: Scope, domain: Sequence[int]
) -> list[CriterionPatternRow]:
    """Per criterion, the review rounds of the period grouped by their pattern of peer scores.

    One pass over the submitted reviews' scores and the self-assessments' entries of the rounds
    decided in the period (both unnested into one stream of (case, round, criterion, score)):
    grouped per (case, round, criterion) into the count of each value of `domain`, the mean peer
    score and the self-assessment's score; then grouped by (criterion, counts). Krippendorff's
    alpha needs only these counts, and the self-assessment gap only the sums, so nothing per case
    leaves the database.
    """
    j = _Json(session)
    decided = _decided_rounds(session, scope)
    sc = j.each_scalar(Review.scores)
    peer_rows = (
        select(
            Review.case_id.label("case_id"),
            Review.round.label("round"),
            sc.c.key.label("criterion"),
            j.scalar_value(sc).label("v"),
            literal(1).label("peer"),
        )
        .select_from(decided)
        .join(Review, and_(Review.case_id == decided.c.case_id, Review.round == decided.c.round))
        .join(sc, true())
        .where(Review.status == ReviewStatus.SUBMITTED)
    )
    se = j.each_object(SelfAssessment.entries, None)
    self_rows = (
        select(
            SelfAssessment.case_id,
            SelfAssessment.round,
            se.c.key,
            j.field(se.c.value, "score"),
            literal(0),
        )
        .select_from(decided)
        .join(
            SelfAssessment,
            and_(
                SelfAssessment.case_id == decided.c.case_id, SelfAssessment.round == decided.c.round
            ),
        )
        .join(se, true())
    )
    stream = union_all(peer_rows, self_rows).subquery("scores")
    is_peer = stream.c.peer == 1
    counts = [
        func.sum(case((and_(is_peer, stream.c.v == v), 1), else_=0)).label(f"n{i}")
        for i, v in enumerate(domain)
    ]
    units = (
        select(
            stream.c.criterion,
            func.avg(case((is_peer, stream.c.v))).label("peer"),
            func.max(case((~is_peer, stream.c.v))).label("self"),
            *counts,
        )
        .group_by(stream.c.case_id, stream.c.round, stream.c.criterion)
        .having(func.sum(stream.c.peer) > 0)
    ).subquery("units")
    has_self = units.c.self.is_not(None)
    ncols = [units.c[f"n{i}"] for i in range(len(domain))]
    q = select(
        units.c.criterion,
        *ncols,
        func.count(),
        func.sum(units.c.peer),
        func.sum(case((has_self, 1), else_=0)),
        func.coalesce(func.sum(units.c.self), 0.0),
        func.coalesce(func.sum(case((has_self, units.c.peer), else_=0.0)), 0.0),
    ).group_by(units.c.criterion, *ncols)
    k = len(domain)
    return [
        CriterionPatternRow(
            r[0],
            tuple(int(x) for x in r[1 : 1 + k]),
            int(r[1 + k]),
            float(r[2 + k] or 0.0),
            int(r[3 + k] or 0),
            float(r[4 + k] or 0.0),
            float(r[5 + k] or 0.0),
        )
        for r in session.execute(q).all()
    ]


def rubric_snapshots_in_scope(session: Session, scope: Scope) -> list[RubricSnapshot]:
    """The rubric versions of the cases of the period (few; their criteria title the figures)."""
    used = (
        select(Case.rubric_snapshot_id)
        .distinct()
        .where(Case.opened_at < scope.end, *_case_filters(session, scope))
    )
    return list(
        session.execute(
            select(RubricSnapshot).where(RubricSnapshot.id.in_(used)).order_by(RubricSnapshot.id)
        ).scalars()
    )


def rubric_ids(session: Session) -> list[str]:
    return list(
        session.execute(
            select(RubricSnapshot.rubric_id).distinct().order_by(RubricSnapshot.rubric_id)
        ).scalars()
    )
