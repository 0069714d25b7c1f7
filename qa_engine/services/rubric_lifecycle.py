"""The life of a rubric version: a draft (a file, never stored), published (frozen as a snapshot and
`active`: new cases are opened against it), retired (replaced by a newer published version).

Which version new cases use: the rubric id's active published version; while an id has none, its
installed file (the rubrics folder), unless that file says `status: draft`. A case keeps the
snapshot it was opened with, whatever is published later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from qa_engine.config import get_settings
from qa_engine.domain.errors import Conflict, NotFound, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Actor
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.rubric_diff import RubricDiff, diff_rubrics
from qa_engine.domain.rubric_drafts import draft_library, version_key
from qa_engine.domain.rubric_loader import (
    ParsedFile,
    RubricError,
    read_rubric_bytes,
    read_rubric_file,
)
from qa_engine.domain.scoring import Coverage, coverage
from qa_engine.services import access, audit
from qa_engine.services import rubrics as rubric_service
from qa_engine.services.context import now, workflow_settings
from qa_engine.services.rows import saved_id
from qa_engine.store import repositories as repo
from qa_engine.store import rubric_repo
from qa_engine.store.models import AuditEvent, RubricRelease, RubricSnapshot

ACTIVE = "active"
RETIRED = "retired"
NO_RUBRIC = N_("no rubric with id '%(id)s'")
UNPUBLISHED = "in use, not published"  # stored because a case used it, before any publication
INSTALLED = "installed file"  # in the rubrics folder, not stored yet
MAX_REASON = 2000


# --------------------------------------------------------------------------- drafts


def _compose(pf: ParsedFile, others: list[Path]) -> Rubric:
    if pf.model is None or pf.problems:
        raise RubricError(pf.problems)
    lib = draft_library([pf], others)
    return lib.get(pf.model.rubric.id)


def read_draft(path: Path) -> Rubric:
    """A draft file composed with what it includes (from its folder, then the installed rubrics);
    `RubricError` naming every problem (FILE:LINE: message)."""
    return _compose(read_rubric_file(path), [path.parent, get_settings().rubrics_dir])


def read_draft_bytes(raw: bytes, name: str) -> Rubric:
    """An uploaded draft composed with the installed rubrics it includes; problems are reported
    under `name`."""
    return _compose(read_rubric_bytes(raw, Path(name)), [get_settings().rubrics_dir])


# --------------------------------------------------------------------------- which version


def installed_rubric(rubric_id: str) -> Rubric | None:
    lib = rubric_service.library()
    if rubric_id not in lib.files:
        return None
    return rubric_service.load(rubric_id)


def _active_snapshot(session: Session, rubric_id: str) -> RubricSnapshot | None:
    release = rubric_repo.active_release(session, rubric_id)
    if release is None:
        return None
    return repo.get_rubric_snapshot_by_pk(session, release.snapshot_id)


def active_rubric(session: Session, rubric_id: str) -> tuple[Rubric, str]:
    """The version new cases of this rubric id use, and where it comes from (`active` for a
    published version, `installed file` otherwise)."""
    snap = _active_snapshot(session, rubric_id)
    if snap is not None:
        return rubric_service.from_snapshot(snap), ACTIVE
    rubric = installed_rubric(rubric_id)
    if rubric is None:
        raise NotFound(NO_RUBRIC, id=rubric_id)
    return rubric, INSTALLED


def for_new_case(
    *, session: Session, rubric_id: str, actor: Actor
) -> tuple[Rubric, RubricSnapshot]:
    """The rubric version a case opened now is reviewed against, frozen: the active published
    version, or else the installed file (stored on first use); never a draft."""
    snap = _active_snapshot(session, rubric_id)
    if snap is not None:
        return rubric_service.from_snapshot(snap), snap
    rubric = rubric_service.load(rubric_id)
    if rubric.meta.status == "draft":
        raise Conflict(
            N_(
                "rubric '%(id)s' has no active version: its file (%(version)s) is a draft;"
                " publish it first (qa-engine rubrics publish FILE)"
            ),
            id=rubric_id,
            version=rubric.version,
        )
    return rubric, rubric_service.snapshot(session=session, rubric=rubric, actor=actor)


def is_path(ref: str) -> bool:
    """Whether a rubric reference names a file (`x.yaml`, `drafts/x`) rather than an id."""
    ref = ref.strip()
    return ref.endswith((".yaml", ".yml")) or "/" in ref


def read_path(ref: str) -> Rubric:
    path = Path(ref.strip())
    if not path.is_file():
        raise NotFound(N_("%(ref)s: no such rubric file"), ref=ref)
    return read_draft(path)


def compare_files(old: str, new: str) -> RubricDiff:
    """Two rubric files compared, without the database."""
    return diff_rubrics(read_path(old), read_path(new))


def resolve(session: Session, ref: str, *, paths: bool = False) -> Rubric:
    """A rubric named by `id` (the version new cases use), `id@version` (a stored version or the
    installed file of that version) or, when `paths` is allowed, a file path."""
    ref = ref.strip()
    if paths and is_path(ref):
        return read_path(ref)
    if "@" not in ref:
        return active_rubric(session, ref)[0]
    rubric_id, _, version = ref.partition("@")
    snap = repo.get_rubric_snapshot(session, rubric_id, version)
    if snap is not None:
        return rubric_service.from_snapshot(snap)
    installed = installed_rubric(rubric_id)
    if installed is not None and installed.version == version:
        return installed
    known = sorted(
        {s.version for s in rubric_repo.snapshots_of(session, rubric_id)}
        | ({installed.version} if installed is not None else set()),
        key=version_key,
    )
    if known:
        raise NotFound(
            N_("no version %(version)s of rubric '%(id)s' (known: %(known)s)"),
            version=version,
            id=rubric_id,
            known=", ".join(known),
        )
    raise NotFound(
        N_("no version %(version)s of rubric '%(id)s' (no such rubric)"),
        version=version,
        id=rubric_id,
    )


def compare(*, session: Session, old: str, new: str, paths: bool = False) -> RubricDiff:
    """What changed from one rubric version to another, in words."""
    return diff_rubrics(resolve(session, old, paths=paths), resolve(session, new, paths=paths))


# --------------------------------------------------------------------------- publish


def _check_publishable(
    session: Session, rubric: Rubric, *, lock: bool = False
) -> tuple[list[RubricSnapshot], AuditEvent | None]:
    """Refuse what publishing this version would refuse; else the stored versions of its id and
    the replay event of its content (if any)."""
    label = {"id": rubric.id, "version": rubric.version}
    if rubric.meta.status == "retired":
        raise ValidationFailed(
            N_(
                "rubric '%(id)s' version %(version)s says 'status: retired'; a retired version"
                " is not published"
            ),
            **label,
        )
    active = rubric_repo.active_release(session, rubric.id, for_update=lock)
    if active is not None and active.version == rubric.version:
        raise Conflict(
            N_("rubric '%(id)s' version %(version)s is already the active version"), **label
        )
    stored = rubric_repo.snapshots_of(session, rubric.id)
    above = [
        s.version
        for s in stored
        if s.version != rubric.version and version_key(s.version) >= version_key(rubric.version)
    ]
    if above:
        highest = max(above, key=version_key)
        raise Conflict(
            N_(
                "rubric '%(id)s' version %(version)s is not above the stored version"
                " %(highest)s; give the file a higher version"
            ),
            **label,
            highest=highest,
        )
    digest = rubric.content_hash
    same = next((s for s in stored if s.version == rubric.version), None)
    if same is not None and same.content_hash != digest:
        raise Conflict(
            N_(
                "rubric '%(id)s' version %(version)s is already stored with other content (hash"
                " %(stored)s…, the file gives %(digest)s…); a version is never changed in place:"
                " give the file a higher version"
            ),
            **label,
            stored=same.content_hash[:12],
            digest=digest[:12],
        )
    replay = rubric_repo.replay_event(session, rubric.id, digest)
    if workflow_settings().require_replay and replay is None:
        raise Conflict(
            N_(
                "rubric '%(id)s' version %(version)s (content %(digest)s…) has not been replayed"
                " on past decisions, and the workflow settings require it (require_replay): run"
                " its replay first"
            ),
            **label,
            digest=digest[:12],
        )
    return stored, replay


@dataclass(frozen=True)
class Preview:
    """An uploaded rubric file, checked: the composed rubric and what publishing it would change
    against the version new cases use now (None for a new rubric id)."""

    rubric: Rubric
    current: Rubric | None
    diff: RubricDiff | None


def preview_upload(*, session: Session, actor: Actor, raw: bytes, name: str) -> Preview:
    """Check an uploaded rubric file as publishing would, and compare it with the version in use;
    `RubricError` (every problem with its line) or the refusal publishing would give."""
    actor.require(*access.OFFICERS, action="publish a rubric")
    rubric = read_draft_bytes(raw, name)
    _check_publishable(session, rubric)
    try:
        current: Rubric | None = active_rubric(session, rubric.id)[0]
    except NotFound:
        current = None
    return Preview(rubric, current, diff_rubrics(current, rubric) if current else None)


def publish_upload(
    *, session: Session, actor: Actor, raw: bytes, name: str, reason: str, expected_hash: str
) -> Published:
    """Publish an uploaded rubric file whose preview had the content hash `expected_hash`: what is
    published is exactly what was shown."""
    actor.require(*access.OFFICERS, action="publish a rubric")
    rubric = read_draft_bytes(raw, name)
    if rubric.content_hash != expected_hash:
        raise Conflict(
            N_("the file is not the one previewed (its content changed); upload it again")
        )
    return publish(session=session, actor=actor, rubric=rubric, reason=reason)


def coverage_of(
    *, session: Session, actor: Actor, rubric_id: str, version: str | None = None
) -> tuple[Rubric, Coverage]:
    """Which standards a rubric version covers, criterion by criterion."""
    actor.require(*access.OFFICERS, action="see the coverage of rubrics")
    rubric = resolve(session, f"{rubric_id}@{version}" if version else rubric_id)
    return rubric, coverage(rubric)


def compare_versions(
    *, session: Session, actor: Actor, rubric_id: str, old: str, new: str
) -> RubricDiff:
    """Two versions of one rubric compared (the QA office's page)."""
    actor.require(*access.OFFICERS, action="compare rubric versions")
    return compare(session=session, old=f"{rubric_id}@{old}", new=f"{rubric_id}@{new}")


@dataclass(frozen=True)
class Published:
    release: RubricRelease
    retired: list[str]  # the versions this publication retired


def publish(*, session: Session, actor: Actor, rubric: Rubric, reason: str = "") -> Published:
    """Make this rubric version the one new cases use: freeze it (a snapshot), mark it active,
    retire every other stored version of its id, and record who published what and why.

    Refused: a retired file, a version not above every stored version of the id (or already
    active), content that differs from a stored snapshot of the same version, and, when the
    workflow settings `require_replay`, a version whose replay on past decisions was not run."""
    actor.require(*access.OFFICERS, action="publish a rubric")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            N_("the reason is %(length)s characters long; at most %(most)s"),
            length=len(reason),
            most=MAX_REASON,
        )
    stored, replay = _check_publishable(session, rubric, lock=True)
    digest = rubric.content_hash
    snap = rubric_service.snapshot(session=session, rubric=rubric, actor=actor)
    at = now()
    retired: list[str] = []
    for other in stored:
        if other.id == snap.id:
            continue
        release = rubric_repo.release_of_snapshot(session, saved_id(other))
        if release is None:
            release = RubricRelease(
                snapshot_id=saved_id(other),
                rubric_id=other.rubric_id,
                version=other.version,
                status=RETIRED,
                retired_at=at,
            )
            session.add(release)
            retired.append(other.version)
        elif release.status != RETIRED:
            release.status, release.active_key, release.retired_at = RETIRED, None, at
            session.add(release)
            retired.append(other.version)
    session.flush()  # the active version's key is free before the new one takes it
    release = rubric_repo.release_of_snapshot(session, saved_id(snap)) or RubricRelease(
        snapshot_id=saved_id(snap), rubric_id=rubric.id, version=rubric.version, status=ACTIVE
    )
    release.status, release.active_key, release.retired_at = ACTIVE, rubric.id, None
    release.published_by, release.published_at, release.reason = actor.username, at, reason
    session.add(release)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="rubric.published",
        subject_type="rubric",
        subject_id=f"{rubric.id}@{rubric.version}",
        payload={
            "rubric_id": rubric.id,
            "version": rubric.version,
            "content_hash": digest,
            "reason": reason,
            "retired": retired,
            "replay_seq": replay.seq if replay is not None else None,
        },
    )
    for version in retired:
        audit.record(
            session,
            actor=actor,
            action="rubric.retired",
            subject_type="rubric",
            subject_id=f"{rubric.id}@{version}",
            payload={"rubric_id": rubric.id, "version": version, "replaced_by": rubric.version},
        )
    return Published(release, retired)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class VersionRow:
    version: str
    status: str  # ACTIVE, RETIRED, UNPUBLISHED, INSTALLED (or the file's status for a draft)
    title: str
    content_hash: str = ""
    published_by: str = ""
    published_at: datetime | None = None
    reason: str = ""
    stored: bool = True


@dataclass(frozen=True)
class RubricEntry:
    rubric_id: str
    title: str
    in_use: str  # the version new cases use ("" when none may be used)
    source: str  # ACTIVE or INSTALLED
    versions: list[VersionRow] = field(default_factory=list)  # newest first
    # the title in the rubric's other languages (from its installed file, when the title is the
    # same), for the list shown in the reader's language
    titles: dict[str, str] = field(default_factory=dict)


def overview(*, session: Session, actor: Actor) -> list[RubricEntry]:
    """Every rubric id, stored or installed, with its versions and their status."""
    actor.require(*access.OFFICERS, action="see every rubric version")
    lib = rubric_service.library()
    releases = {r.snapshot_id: r for r in rubric_repo.list_releases(session)}
    rows: dict[str, list[VersionRow]] = {}
    for sid, rid, version, title, digest in rubric_repo.snapshot_versions(session):
        rel = releases.get(sid)
        rows.setdefault(rid, []).append(
            VersionRow(
                version=version,
                status=rel.status if rel is not None else UNPUBLISHED,
                title=title,
                content_hash=digest,
                published_by=rel.published_by if rel is not None else "",
                published_at=rel.published_at if rel is not None else None,
                reason=rel.reason if rel is not None else "",
            )
        )
    out: list[RubricEntry] = []
    for rid in sorted(set(rows) | set(lib.ids())):
        versions = rows.get(rid, [])
        model = lib.models.get(rid)
        if model is not None and all(v.version != model.rubric.version for v in versions):
            file_status = model.rubric.status
            versions.append(
                VersionRow(
                    version=model.rubric.version,
                    status=INSTALLED if file_status == "active" else f"{INSTALLED} ({file_status})",
                    title=model.rubric.title,
                    stored=False,
                )
            )
        versions.sort(key=lambda v: version_key(v.version), reverse=True)
        active = next((v for v in versions if v.status == ACTIVE), None)
        if active is not None:
            in_use, source = active.version, ACTIVE
        elif model is not None and model.rubric.status != "draft":
            in_use, source = model.rubric.version, INSTALLED
        else:
            in_use, source = "", ""
        title = active.title if active is not None else (versions[0].title if versions else rid)
        titles: dict[str, str] = {}
        if model is not None and model.rubric.title == title:
            for lang, texts in model.rubric.translations.items():
                if isinstance(texts.get("title"), str):
                    titles[lang] = str(texts["title"])
        out.append(RubricEntry(rid, title, in_use, source, versions, titles))
    return out


@dataclass(frozen=True)
class RubricView:
    rubric: Rubric
    status: str  # of this version: ACTIVE, RETIRED, UNPUBLISHED, INSTALLED
    in_use: bool  # whether new cases use this version
    versions: list[str]  # the other versions an officer may open (empty for anyone else)
    officer: bool


def view(
    *, session: Session, actor: Actor, rubric_id: str, version: str | None = None
) -> RubricView:
    """A rubric as reviewers see it: the version new cases use for everyone who reads cases; any
    stored or installed version for the QA office."""
    actor.require(*access.RUBRIC_READERS, action="read rubrics")
    officer = actor.has(*access.OFFICERS)
    current, source = active_rubric(session, rubric_id)
    if not officer and (source == INSTALLED and current.meta.status == "draft"):
        raise NotFound(NO_RUBRIC, id=rubric_id)
    if version and version != current.version:
        if not officer:
            raise NotFound(
                N_("no version %(version)s of rubric '%(id)s'"), version=version, id=rubric_id
            )
        rubric = resolve(session, f"{rubric_id}@{version}")
    else:
        rubric = current
    status = INSTALLED
    snap = repo.get_rubric_snapshot(session, rubric.id, rubric.version)
    if snap is not None:
        rel = rubric_repo.release_of_snapshot(session, saved_id(snap))
        status = rel.status if rel is not None else UNPUBLISHED
    versions: list[str] = []
    if officer:
        stored = {s.version for s in rubric_repo.snapshots_of(session, rubric_id)}
        installed = installed_rubric(rubric_id)
        if installed is not None:
            stored.add(installed.version)
        versions = sorted(stored, key=version_key, reverse=True)
    return RubricView(
        rubric=rubric,
        status=status,
        in_use=rubric.version == current.version,
        versions=versions,
        officer=officer,
    )
