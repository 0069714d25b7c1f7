"""Replay a rubric version over the decided rounds of a period (issue 18, item 3): which rubric is
meant (a stored or installed version, or a draft file), the frozen inputs from the store, the pure
replay (`domain.replay`), and the audit event that `rubrics publish` looks for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session

from qa_engine.config import get_settings
from qa_engine.domain.errors import NotFound, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.replay import DecidedRound, ReplayReport, replay
from qa_engine.domain.roles import Actor
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.rubric_loader import (
    RubricError,
    RubricLibrary,
    read_rubric_file,
    rubric_files,
)
from qa_engine.domain.standards import EU_ELEMENTS, EU_OPTIONAL_ELEMENTS
from qa_engine.services import access, audit
from qa_engine.services import rubrics as rubric_service
from qa_engine.store import evidence_repo
from qa_engine.store import repositories as repo

# the element id of each credential field an elements check may count
ELEMENT_OF_FIELD = {f: el for el, (_, f) in {**EU_ELEMENTS, **EU_OPTIONAL_ELEMENTS}.items()}
EARLIEST = date(1970, 1, 1)
LATEST = date(9999, 12, 30)


@dataclass(frozen=True)
class Period:
    """The days [first, last] (both included) in which the replayed rounds were decided."""

    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        if self.first and self.last and self.first > self.last:
            raise ValidationFailed(
                N_(
                    "the period starts (%(first)s) after it ends (%(last)s):"
                    " give --from before --to"
                ),
                first=str(self.first),
                last=str(self.last),
            )

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first or EARLIEST, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine((self.last or LATEST) + timedelta(days=1), time(), tzinfo=UTC)

    def words(
        self, gettext: Callable[[str], str] = str, day: Callable[[date], str] = date.isoformat
    ) -> str:
        """The period in words, in English or in the language of `gettext`, its days written by
        `day` (ISO by default; the reader's way with `translations.format_date`)."""
        _ = gettext
        if not self.first and not self.last:
            return _(N_("all decisions"))
        return _(N_("decided %(first)s – %(last)s")) % {
            "first": day(self.first) if self.first else _(N_("any time")),
            "last": day(self.last) if self.last else _(N_("today")),
        }


def parse_day(value: str | None, name: str) -> date | None:
    """A day given as YYYY-MM-DD, or None; anything else is refused naming the option."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            N_("%(name)s: give a date as YYYY-MM-DD, not '%(value)s'"), name=name, value=value[:20]
        ) from None


def load_draft(path: Path, installed: list[Path] | None = None) -> Rubric:
    """Compose a rubric file that may not be installed (a draft of a new version). Its includes
    resolve against the rubric files beside it first (drafts of the parts it includes), then
    against the installed rubrics; a file beside it replaces the installed rubric of its id."""
    if not path.is_file():
        raise ValidationFailed(N_("%(path)s: no such rubric file"), path=str(path))
    draft = read_rubric_file(path)
    if draft.problems or draft.model is None:
        raise RubricError(draft.problems)
    beside = [draft] + [
        read_rubric_file(f) for f in rubric_files([path.parent]) if f.resolve() != path.resolve()
    ]
    ids = {pf.model.rubric.id for pf in beside if pf.model is not None}
    taken = {f.resolve() for f in rubric_files([path.parent])} | {path.resolve()}
    others = [
        pf
        for f in rubric_files(installed or [get_settings().rubrics_dir])
        if f.resolve() not in taken
        for pf in [read_rubric_file(f)]
        if pf.model is None or pf.model.rubric.id not in ids
    ]
    lib = RubricLibrary([*beside, *others])
    if lib.problems:
        raise RubricError(lib.problems)
    return lib.get(draft.model.rubric.id)


def resolve(*, session: Session, spec: str) -> Rubric:
    """The rubric meant by `spec`: a path to a rubric file (a draft), ``ID@VERSION`` (a stored
    version, or the installed file of that version) or ``ID`` (the installed version)."""
    spec = spec.strip()
    if not spec:
        raise ValidationFailed(N_("name a rubric: ID, ID@VERSION or the path of a rubric file"))
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return load_draft(path)
    rubric_id, _, version = spec.partition("@")
    if not version:
        return rubric_service.load(rubric_id)
    snap = repo.get_rubric_snapshot(session, rubric_id, version)
    if snap is not None:
        return rubric_service.from_snapshot(snap)
    installed = rubric_service.load(rubric_id)
    if installed.version == version:
        return installed
    stored = sorted(
        evidence_repo.snapshots_by_hash(session, rubric_id).values(), key=lambda s: s.id or 0
    )
    known = ", ".join(s.version for s in stored) or "none"
    raise NotFound(
        N_(
            "rubric '%(id)s' has no version %(version)s: stored versions %(known)s,"
            " installed %(installed)s"
        ),
        id=rubric_id,
        version=version,
        known=known,
        installed=installed.version,
    )


def institution_id_for(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    found = evidence_repo.institution_id_of(session, code)
    if found is None:
        raise NotFound(N_("no institution with code '%(code)s'"), code=code)
    return found


def stored_versions(session: Session, rubric_id: str) -> dict[str, Rubric]:
    """Every stored version of a rubric, by content hash."""
    return {
        h: rubric_service.from_snapshot(s)
        for h, s in evidence_repo.snapshots_by_hash(session, rubric_id).items()
    }


def decided_rounds(
    *, session: Session, rubric_id: str, period: Period, institution: str | None = None
) -> list[DecidedRound]:
    """The frozen inputs of a replay: every round decided in the period of the cases scored
    against a version of the rubric, with its submitted reviews and its credential's elements."""
    inst = institution_id_for(session, institution)
    fields = tuple(ELEMENT_OF_FIELD)
    rows = evidence_repo.decided_rounds(
        session,
        rubric_id=rubric_id,
        start=period.start,
        end=period.end,
        institution_id=inst,
        fields=fields,
    )
    reviews = evidence_repo.reviews_of_decided_rounds(
        session, rubric_id=rubric_id, start=period.start, end=period.end, institution_id=inst
    )
    return [
        DecidedRound(
            r.case_id,
            r.round,
            r.institution,
            r.isced_f,
            r.eqf,
            r.rubric_hash,
            r.outcome,
            tuple(scores for scores, _ in reviews.get((r.case_id, r.round), [])),
            frozenset(ELEMENT_OF_FIELD[f] for f in r.present),
        )
        for r in rows
    ]


def replay_rubric(
    *,
    session: Session,
    actor: Actor,
    new: Rubric,
    period: Period,
    institution: str | None = None,
) -> ReplayReport:
    """Replay `new` over the decided rounds of the period and record that it was run."""
    actor.require(*access.OFFICERS, action="replay rubrics")
    rounds = decided_rounds(
        session=session, rubric_id=new.id, period=period, institution=institution
    )
    report = replay(rounds, stored_versions(session, new.id), new)
    audit.record(
        session,
        actor=actor,
        action="rubric.replayed",
        subject_type="rubric",
        subject_id=f"{new.id}@{new.version}",
        payload={
            "rubric_id": new.id,
            "version": new.version,
            "content_hash": new.content_hash,
            "cases": len({r.case_id for r in rounds}),
            "changed": len({c.case_id for c in report.changes}),
        },
    )
    session.flush()
    return report


def rubric_choices(*, session: Session, actor: Actor) -> list[str]:
    """The rubric versions a replay or a calibration can name: every stored version
    (``ID@VERSION``) and every installed one not stored yet."""
    actor.require(*access.OFFICERS, action="replay rubrics")
    out = [f"{rid}@{version}" for rid, version in evidence_repo.rubric_versions(session)]
    lib = rubric_service.library()
    for rid in lib.ids():
        spec = f"{rid}@{lib.models[rid].rubric.version}"
        if spec not in out:
            out.append(spec)
    return out


def draft_from_upload(path: Path) -> Rubric:
    """A draft rubric uploaded through the web app (its bytes already written to `path`, a
    private temporary file named as the user named it); its problems name the file by that name
    alone."""
    try:
        return load_draft(path)
    except RubricError as exc:
        folder = str(path.parent) + "/"
        named = RubricError([replace(p, file=p.file.replace(folder, "")) for p in exc.problems])
        raise ValidationFailed(
            N_("%(name)s: %(count)s problem(s) in the rubric file"),
            details=named.detail_parts,
            name=path.name,
            count=len(exc.problems),
        ) from None
