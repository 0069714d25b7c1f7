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
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    SQLColumnExpression,
    String,
    Subquery,
    TableValuedAlias,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    label,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

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
from qa_engine.store.types import UTCDateTime

STATE_ACTIONS = ("case.opened", *(f"case.{s}" for s in CaseState))

# A column or SQL expression: a model's column (through `col`), a subquery's, a function's result.
Expr = SQLColumnExpression[Any]


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

    def text(self, column: Expr, *path: str) -> ColumnElement[Any]:
        if self.pg:
            return func.jsonb_extract_path_text(column, *path)
        return func.json_extract(column, _path(path))

    def num(self, column: Expr, *path: str) -> ColumnElement[float]:
        return cast(self.text(column, *path), Float)

    def length(self, column: Expr, key: str) -> ColumnElement[Any]:
        if self.pg:
            return func.coalesce(func.jsonb_array_length(func.jsonb_extract_path(column, key)), 0)
        return func.coalesce(func.json_array_length(column, _path((key,))), 0)

    def each_scalar(self, column: Expr, key: str | None = None) -> TableValuedAlias:
        """(key, value) of an object of scalars; read the value with `scalar_value`."""
        if self.pg:
            target = column if key is None else func.jsonb_extract_path(column, key)
            return func.jsonb_each_text(target).table_valued("key", "value")
        if key is None:
            return func.json_each(column).table_valued("key", "value")
        return func.json_each(column, _path((key,))).table_valued("key", "value")

    def each_object(self, column: Expr, key: str | None) -> TableValuedAlias:
        """(key, value) of an object of objects (at `key`, or the column itself); read with
        `field`."""
        if self.pg:
            target = column if key is None else func.jsonb_extract_path(column, key)
            return func.jsonb_each(target).table_valued("key", "value")
        if key is None:
            return func.json_each(column).table_valued("key", "value")
        return func.json_each(column, _path((key,))).table_valued("key", "value")

    def field(self, value_col: Expr, name: str) -> ColumnElement[float]:
        if self.pg:
            return cast(func.jsonb_extract_path_text(value_col, name), Float)
        return cast(func.json_extract(value_col, _path((name,))), Float)

    def array_text(self, column: Expr, key: str) -> TableValuedAlias:
        """The elements of an array of strings, as column ``value``."""
        if self.pg:
            return func.jsonb_array_elements_text(
                func.jsonb_extract_path(column, key)
            ).table_valued("value")
        return func.json_each(column, _path((key,))).table_valued("value")

    def scalar_value(self, tv: TableValuedAlias) -> ColumnElement[Any]:
        return cast(tv.c.value, Float) if self.pg else tv.c.value

    def month(self, column: Expr) -> ColumnElement[str]:
        return func.to_char(column, "YYYY-MM") if self.pg else func.strftime("%Y-%m", column)

    def days(self, a: Expr, b: Expr) -> ColumnElement[Any]:
        """Days from `a` to `b` as a float."""
        if self.pg:
            return func.extract("epoch", b - a) / 86400.0
        return func.julianday(b) - func.julianday(a)

    def contains(self, haystack: Expr, needle: Expr) -> ColumnElement[bool]:
        return (func.strpos(haystack, needle) if self.pg else func.instr(haystack, needle)) > 0


def _path(keys: Sequence[str]) -> str:
    return "$" + "".join(f'."{k}"' for k in keys)


def _case_filters(session: Session, scope: Scope) -> list[ColumnElement[bool]]:
    """WHERE clauses on the case table that apply the scope's filters."""
    j = _Json(session)
    out: list[ColumnElement[bool]] = []
    if scope.institution_id is not None:
        out.append(col(Case.institution_id) == scope.institution_id)
    if scope.rubric_id is not None:
        out.append(
            col(Case.rubric_snapshot_id).in_(
                select(col(RubricSnapshot.id)).where(
                    col(RubricSnapshot.rubric_id) == scope.rubric_id
                )
            )
        )
    if scope.isced_prefix is not None or scope.eqf_level is not None:
        data = col(CredentialVersion.data)
        conds: list[ColumnElement[bool]] = []
        if scope.isced_prefix is not None:
            isced = j.text(data, "isced_f")
            conds.append(func.substr(isced, 1, len(scope.isced_prefix)) == scope.isced_prefix)
        if scope.eqf_level is not None:
            conds.append(cast(j.text(data, "eqf_level"), Integer) == scope.eqf_level)
        out.append(
            col(Case.credential_version_id).in_(select(col(CredentialVersion.id)).where(*conds))
        )
    return out


def _in_period(column: Expr, scope: Scope) -> ColumnElement[bool]:
    return and_(column >= scope.start, column < scope.end)


def _decided_rounds(session: Session, scope: Scope) -> Subquery:
    """(case_id, round, institution_id) of every round decided in the period, filters applied."""
    return (
        select(col(Decision.case_id), col(Decision.round), col(Case.institution_id))
        .join(Case, col(Case.id) == Decision.case_id)
        .where(_in_period(col(Decision.decided_at), scope), *_case_filters(session, scope))
    ).subquery("decided")


def _final_consolidations(session: Session, scope: Scope) -> Subquery:
    """The last consolidation pass of every round decided in the period (what the approver saw)."""
    decided = _decided_rounds(session, scope)
    later = aliased(Consolidation)
    return (
        select(
            col(Consolidation.id),
            col(Consolidation.case_id),
            col(Consolidation.data),
            decided.c.institution_id,
        )
        .join(
            decided,
            and_(
                decided.c.case_id == Consolidation.case_id, decided.c.round == Consolidation.round
            ),
        )
        .where(
            ~exists(
                select(col(later.id)).where(
                    col(later.case_id) == Consolidation.case_id,
                    col(later.round) == Consolidation.round,
                    col(later.pass_no) > Consolidation.pass_no,
                )
            )
        )
    ).subquery("final")


# --------------------------------------------------------------------------- pipeline


def cases_by_state(session: Session, scope: Scope) -> list[tuple[str, int]]:
    """Cases in the pipeline during the period, by their current state."""
    closed_at = col(Case.closed_at)
    q = (
        select(col(Case.state), func.count())
        .where(
            col(Case.opened_at) < scope.end,
            or_(closed_at.is_(None), closed_at >= scope.start),
            *_case_filters(session, scope),
        )
        .group_by(col(Case.state))
    )
    return [(s, int(n)) for s, n in session.execute(q).all()]


def closed_per_month(session: Session, scope: Scope) -> list[tuple[str, int]]:
    """Cases closed in the period, per month ('YYYY-MM')."""
    closed_at = col(Case.closed_at)
    month = _Json(session).month(closed_at)
    q = (
        select(month.label("month"), func.count())
        .where(
            col(Case.state) == CaseState.CLOSED,
            _in_period(closed_at, scope),
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
    ``submitted``) and leaves it with its next state event; intervals that ended in the period
    count.
    """
    j = _Json(session)
    action, at = col(AuditEvent.action), col(AuditEvent.at)
    stage = case(
        (action == "case.opened", literal(CaseState.SUBMITTED.value)),
        else_=func.substr(action, 6),
    )
    nxt = func.lead(at).over(partition_by=col(AuditEvent.subject_id), order_by=col(AuditEvent.seq))
    events = select(stage.label("stage"), label("at", at), nxt.label("next_at")).where(
        col(AuditEvent.subject_type) == "case", action.in_(STATE_ACTIONS)
    )
    if scope.filters_cases:
        events = events.join(Case, cast(col(Case.id), String) == AuditEvent.subject_id).where(
            *_case_filters(session, scope)
        )
    ev = events.subquery("ev")
    spans = (
        select(ev.c.stage, j.days(ev.c.at, ev.c.next_at).label("days")).where(
            ev.c.next_at.is_not(None), _in_period(ev.c.next_at, scope)
        )
    ).subquery("spans")
    if j.pg:
        p50: ColumnElement[Any] = func.percentile_cont(0.5).within_group(spans.c.days)
        p90: ColumnElement[Any] = func.percentile_cont(0.9).within_group(spans.c.days)
        q = select(spans.c.stage, func.count(), func.avg(spans.c.days), p50, p90).group_by(
            spans.c.stage
        )
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


def _interpolated(ranked: Subquery, p: float) -> ColumnElement[Any]:
    """percentile_cont(p) over a ranked window: linear interpolation between the two nearest
    rows."""
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
    due_at = col(Assignment.due_at)
    overdue = session.execute(
        select(func.count())
        .select_from(Assignment)
        .join(Case, col(Case.id) == Assignment.case_id)
        .where(
            col(Assignment.status) == AssignmentStatus.ACCEPTED,
            due_at >= scope.start,
            due_at < min(scope.end, now),
            col(Case.state).not_in(FINISHED),
            *filters,
        )
    ).scalar_one()
    submitted_at = col(Review.submitted_at)
    late = case((and_(due_at.is_not(None), submitted_at > due_at), 1), else_=0)
    submitted, submitted_late = session.execute(
        select(func.count(), func.coalesce(func.sum(late), 0))
        .select_from(Review)
        .join(Assignment, col(Assignment.id) == Review.assignment_id)
        .join(Case, col(Case.id) == Review.case_id)
        .where(
            col(Review.status) == ReviewStatus.SUBMITTED,
            _in_period(submitted_at, scope),
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
    """Who is behind: the overdue open reviews of `review_timeliness`, per reviewer (names
    included)."""
    j = _Json(session)
    cutoff = min(scope.end, now)
    due_at = col(Assignment.due_at)
    days = j.days(due_at, literal(now, type_=UTCDateTime()))  # due_at's type
    names = (col(User.id), col(User.username), col(User.full_name), col(Institution.code))
    q = (
        select(*names, func.count(), func.max(days))
        .select_from(Assignment)
        .join(Case, col(Case.id) == Assignment.case_id)
        .join(User, col(User.id) == Assignment.reviewer_id)
        .outerjoin(Institution, col(Institution.id) == User.institution_id)
        .where(
            col(Assignment.status) == AssignmentStatus.ACCEPTED,
            due_at >= scope.start,
            due_at < cutoff,
            col(Case.state).not_in(FINISHED),
            *_case_filters(session, scope),
        )
        .group_by(*names)
        .order_by(func.count().desc(), col(User.username))
    )
    return [
        OverdueReviewerRow(int(i), u, n, c, int(k), float(d))
        for i, u, n, c, k, d in session.execute(q).all()
    ]


# --------------------------------------------------------------------------- outcomes


def decisions_by_institution(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    """(institution code, outcome, decisions) for decisions taken in the period."""
    code, outcome = col(Institution.code), col(Decision.outcome)
    q = (
        select(code, outcome, func.count())
        .select_from(Decision)
        .join(Case, col(Case.id) == Decision.case_id)
        .join(Institution, col(Institution.id) == Case.institution_id)
        .where(_in_period(col(Decision.decided_at), scope), *_case_filters(session, scope))
        .group_by(code, outcome)
    )
    return [(c, o, int(n)) for c, o, n in session.execute(q).all()]


def decisions_by_month(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    """(month 'YYYY-MM', outcome, decisions) for decisions taken in the period."""
    decided_at, outcome = col(Decision.decided_at), col(Decision.outcome)
    month = _Json(session).month(decided_at)
    q = (
        select(month, outcome, func.count())
        .select_from(Decision)
        .join(Case, col(Case.id) == Decision.case_id)
        .where(_in_period(decided_at, scope), *_case_filters(session, scope))
        .group_by(month, outcome)
    )
    return [(m, o, int(n)) for m, o, n in session.execute(q).all()]


def frequent_conditions(session: Session, scope: Scope, limit: int = 10) -> list[tuple[str, int]]:
    """The conditions attached most often to decisions of the period (exact text, trimmed)."""
    j = _Json(session)
    conditions = col(Decision.conditions)
    if j.pg:
        tv = func.jsonb_array_elements_text(conditions).table_valued("value")
    else:
        tv = func.json_each(conditions).table_valued("value")
    text_ = func.trim(tv.c.value)
    q = (
        select(text_, func.count())
        .select_from(Decision)
        .join(Case, col(Case.id) == Decision.case_id)
        .join(tv, true())
        .where(_in_period(col(Decision.decided_at), scope), *_case_filters(session, scope))
        .group_by(text_)
        .order_by(func.count().desc(), text_)
        .limit(limit)
    )
    return [(t, int(n)) for t, n in session.execute(q).all()]


# --------------------------------------------------------------------------- standards


def reference_scores(
    session: Session, scope: Scope, references: Sequence[str]
) -> list[tuple[str, str, float, int]]:
    """(reference, institution code, mean consolidated score 0–1, consolidations) from
    `by_reference`."""
    j = _Json(session)
    final = _final_consolidations(session, scope)
    br = j.each_object(final.c.data, "by_reference")
    score = j.field(br.c.value, "score")
    code = col(Institution.code)
    q = (
        select(br.c.key, code, func.avg(score), func.count(score))
        .select_from(final)
        .join(Institution, col(Institution.id) == final.c.institution_id)
        .join(br, true())
        .where(br.c.key.in_(list(references)))
        .group_by(br.c.key, code)
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
    event_id = col(AuditEvent.id)
    case_key = cast(col(Case.id), String) == AuditEvent.subject_id
    base: list[ColumnElement[bool]] = [
        col(AuditEvent.action) == "case.returned",
        col(AuditEvent.subject_type) == "case",
        _in_period(col(AuditEvent.at), scope),
    ]
    joined = select(event_id).select_from(AuditEvent)
    if scope.filters_cases:
        joined = joined.join(Case, case_key)
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
    tv = j.array_text(col(AuditEvent.payload), "problems")
    problem = tv.c.value
    named = or_(
        j.contains(problem, literal(" ") + el.c.id + literal(" ")),
        func.substr(problem, 1, func.length(el.c.field) + 1) == el.c.field + literal(":"),
    )
    q = (
        select(el.c.id, func.count(distinct(event_id)))
        .select_from(AuditEvent)
        .join(tv, true())
        .join(el, named)
    )
    if scope.filters_cases:
        q = q.join(Case, case_key)
    q = q.where(*base).group_by(el.c.id)
    return int(total), [(e, int(n)) for e, n in session.execute(q).all()]


# --------------------------------------------------------------------------- digital and green


def _approved_versions(session: Session, scope: Scope) -> Subquery:
    """The credential versions approved (with or without conditions) in the period."""
    return (
        select(label("cv_id", col(Case.credential_version_id)))
        .distinct()
        .select_from(Decision)
        .join(Case, col(Case.id) == Decision.case_id)
        .where(
            col(Decision.outcome).in_(APPROVING),
            _in_period(col(Decision.decided_at), scope),
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
    data = col(CredentialVersion.data)

    def has(key: str) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((j.length(data, key) > 0, 1), else_=0)), 0)

    row = session.execute(
        select(func.count(), has("digcomp"), has("greencomp"), has("esco_skills"))
        .select_from(ap)
        .join(CredentialVersion, col(CredentialVersion.id) == ap.c.cv_id)
    ).one()
    return AlignmentRow(*(int(v) for v in row))


def approved_competences(
    session: Session, scope: Scope, key: str, area_chars: int
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """([(competence, approved credentials)], [(area, approved credentials)]) for
    `digcomp`/`greencomp`.

    The area is the competence id cut to `area_chars` characters (``DigComp-4.4`` → ``DigComp-4``).
    """
    j = _Json(session)
    ap = _approved_versions(session, scope)
    version_id = col(CredentialVersion.id)
    tv = j.array_text(col(CredentialVersion.data), key)
    base = (
        select().select_from(ap).join(CredentialVersion, version_id == ap.c.cv_id).join(tv, true())
    )
    comp = base.add_columns(tv.c.value, func.count(distinct(version_id))).group_by(tv.c.value)
    area = func.substr(tv.c.value, 1, area_chars)
    areas = base.add_columns(area, func.count(distinct(version_id))).group_by(area)
    return (
        [(c, int(n)) for c, n in session.execute(comp).all()],
        [(a, int(n)) for a, n in session.execute(areas).all()],
    )


def approved_eqf(session: Session, scope: Scope) -> list[tuple[int, int]]:
    j = _Json(session)
    ap = _approved_versions(session, scope)
    level = cast(j.text(col(CredentialVersion.data), "eqf_level"), Integer)
    q = (
        select(level, func.count())
        .select_from(ap)
        .join(CredentialVersion, col(CredentialVersion.id) == ap.c.cv_id)
        .group_by(level)
    )
    return [(int(lv), int(n)) for lv, n in session.execute(q).all() if lv is not None]


def approved_ects(session: Session, scope: Scope, bounds: Sequence[float]) -> list[tuple[int, int]]:
    """(bin, approved credentials): bin i holds ECTS in [bounds[i-1], bounds[i]); bin 0 below
    bounds[0]."""
    j = _Json(session)
    ap = _approved_versions(session, scope)
    ects = j.num(col(CredentialVersion.data), "ects")
    bin_ = case(*[(ects < b, i) for i, b in enumerate(bounds)], else_=len(bounds))
    q = (
        select(bin_, func.count())
        .select_from(ap)
        .join(CredentialVersion, col(CredentialVersion.id) == ap.c.cv_id)
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
    submitted in the period, per reviewer, with the code of the reviewer's institution (None for
    an external expert). Without `with_names` no name leaves the database."""
    filters = _case_filters(session, scope)
    open_q = (
        select(
            label("rid", col(Assignment.reviewer_id)), literal(1).label("o"), literal(0).label("c")
        )
        .join(Case, col(Case.id) == Assignment.case_id)
        .where(
            col(Assignment.status).in_(OPEN_ASSIGNMENT),
            col(Assignment.invited_at) < scope.end,
            col(Case.state).not_in(FINISHED),
            *filters,
        )
    )
    done_q = (
        select(label("rid", col(Review.reviewer_id)), literal(0).label("o"), literal(1).label("c"))
        .join(Case, col(Case.id) == Review.case_id)
        .where(
            col(Review.status) == ReviewStatus.SUBMITTED,
            _in_period(col(Review.submitted_at), scope),
            *filters,
        )
    )
    both = union_all(open_q, done_q).subquery("load")
    per = (
        select(both.c.rid, func.sum(both.c.o).label("o"), func.sum(both.c.c).label("c")).group_by(
            both.c.rid
        )
    ).subquery("per")
    cols: list[Expr] = [per.c.rid, col(User.max_open_reviews), per.c.o, per.c.c]
    cols.append(col(Institution.code))
    if with_names:
        cols += [col(User.username), col(User.full_name)]
    q = (
        select(*cols)
        .select_from(per)
        .join(User, col(User.id) == per.c.rid)
        .outerjoin(Institution, col(Institution.id) == User.institution_id)
        .order_by(per.c.c.desc(), per.c.o.desc(), per.c.rid)
    )
    out: list[ReviewerLoadRow] = []
    for row in session.execute(q).all():
        rid, cap, o, c, code = row[:5]
        username, full_name = row[5:] if with_names else (None, None)
        out.append(ReviewerLoadRow(int(rid), username, full_name, code, int(cap), int(o), int(c)))
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
    sc = j.each_scalar(col(Review.scores))
    peer_rows = (
        select(
            label("case_id", col(Review.case_id)),
            label("round", col(Review.round)),
            sc.c.key.label("criterion"),
            j.scalar_value(sc).label("v"),
            literal(1).label("peer"),
        )
        .select_from(decided)
        .join(
            Review,
            and_(col(Review.case_id) == decided.c.case_id, col(Review.round) == decided.c.round),
        )
        .join(sc, true())
        .where(col(Review.status) == ReviewStatus.SUBMITTED)
    )
    se = j.each_object(col(SelfAssessment.entries), None)
    self_rows = (
        select(
            col(SelfAssessment.case_id),
            col(SelfAssessment.round),
            se.c.key,
            j.field(se.c.value, "score"),
            literal(0),
        )
        .select_from(decided)
        .join(
            SelfAssessment,
            and_(
                col(SelfAssessment.case_id) == decided.c.case_id,
                col(SelfAssessment.round) == decided.c.round,
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
        select(col(Case.rubric_snapshot_id))
        .distinct()
        .where(col(Case.opened_at) < scope.end, *_case_filters(session, scope))
    )
    snapshot_id = col(RubricSnapshot.id)
    return list(
        session.scalars(select(RubricSnapshot).where(snapshot_id.in_(used)).order_by(snapshot_id))
    )


def rubric_ids(session: Session) -> list[str]:
    rubric_id = col(RubricSnapshot.rubric_id)
    return list(session.scalars(select(rubric_id).distinct().order_by(rubric_id)))
