"""Rubric snapshots: the frozen copy of a rubric version that cases are scored against."""

from __future__ import annotations

import hashlib
import stat
from collections import OrderedDict
from pathlib import Path
from threading import Lock

from sqlmodel import Session

from qa_engine.config import get_settings
from qa_engine.domain.errors import Conflict, NotFound
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import SYSTEM, Actor
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.rubric_loader import (
    MAX_RUBRIC_BYTES,
    RubricError,
    RubricLibrary,
    load_library,
    rubric_files,
)
from qa_engine.services import audit
from qa_engine.store import repositories as repo
from qa_engine.store.models import RubricSnapshot


def library(paths: list[Path] | None = None) -> RubricLibrary:
    """The rubric files of `paths` (default: the rubrics folder), read, checked and indexed.

    Reading is kept by the files' names and bytes: rubrics in seven languages are about 200 KB of
    YAML, and opening a case would otherwise parse them all again. A changed file is read anew.
    """
    paths = paths or [get_settings().rubrics_dir]
    key = _files_key(paths)
    if key is None:
        return load_library(paths)
    with _LIBRARIES_LOCK:
        cached = _LIBRARIES.get(key)
    if cached is not None:
        return cached
    lib = load_library(paths)
    with _LIBRARIES_LOCK:
        _LIBRARIES[key] = lib
        while len(_LIBRARIES) > _LIBRARIES_SIZE:
            _LIBRARIES.popitem(last=False)
    return lib


_LIBRARIES: OrderedDict[tuple[tuple[str, str], ...], RubricLibrary] = OrderedDict()
_LIBRARIES_LOCK = Lock()
_LIBRARIES_SIZE = 8


def _files_key(paths: list[Path]) -> tuple[tuple[str, str], ...] | None:
    """The files' names and the SHA-256 of their bytes; None when one cannot be read (the loader
    then says why)."""
    key: list[tuple[str, str]] = []
    for f in rubric_files(paths):
        try:
            info = f.stat()
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RUBRIC_BYTES:
                return None  # never read a pipe, a device or an oversized file here
            key.append((str(f), hashlib.sha256(f.read_bytes()).hexdigest()))
        except OSError:
            return None
    return tuple(key)


def load(rubric_id: str, paths: list[Path] | None = None) -> Rubric:
    """Compose a rubric from the rubric files, or raise naming every problem."""
    lib = library(paths)
    if rubric_id not in lib.files:
        known = ", ".join(lib.ids()) or "none"
        raise NotFound(
            N_("no rubric with id '%(id)s' (known: %(known)s)"), id=rubric_id, known=known
        )
    if lib.problems:
        raise RubricError(lib.problems)
    return lib.get(rubric_id)


def snapshot(*, session: Session, rubric: Rubric, actor: Actor = SYSTEM) -> RubricSnapshot:
    """Store this rubric version, or return the stored one; a changed version in place is
    refused."""
    existing = repo.get_rubric_snapshot(session, rubric.id, rubric.version)
    digest = rubric.content_hash
    if existing is not None:
        if existing.content_hash != digest:
            raise Conflict(
                N_(
                    "rubric '%(id)s' version %(version)s is already stored with other content"
                    " (hash %(stored)s…, the file now gives %(digest)s…); a version that has been"
                    " used is never changed in place: give the file a new version"
                ),
                id=rubric.id,
                version=rubric.version,
                stored=existing.content_hash[:12],
                digest=digest[:12],
            )
        return existing
    snap = RubricSnapshot(
        rubric_id=rubric.id,
        version=rubric.version,
        title=rubric.meta.title,
        content_hash=digest,
        content=rubric.canonical(),
    )
    session.add(snap)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="rubric.snapshot",
        subject_type="rubric",
        subject_id=f"{rubric.id}@{rubric.version}",
        payload={"hash": digest},
    )
    return snap


# Snapshots never change (a changed version is refused above), so a composed rubric is kept by its
# content hash: a page view or a review save then reads one short column, not the whole rubric.
_BY_HASH: OrderedDict[str, Rubric] = OrderedDict()
_BY_HASH_LOCK = Lock()
_BY_HASH_SIZE = 64


def _remember(content_hash: str, rubric: Rubric) -> Rubric:
    with _BY_HASH_LOCK:
        _BY_HASH[content_hash] = rubric
        _BY_HASH.move_to_end(content_hash)
        while len(_BY_HASH) > _BY_HASH_SIZE:
            _BY_HASH.popitem(last=False)
    return rubric


def from_snapshot(snap: RubricSnapshot) -> Rubric:
    cached = _BY_HASH.get(snap.content_hash)
    return (
        cached
        if cached is not None
        else _remember(snap.content_hash, Rubric.model_validate(snap.content))
    )


def rubric_of_snapshot(session: Session, snapshot_id: int) -> tuple[Rubric, str]:
    """The rubric frozen in a snapshot and its content hash (from memory when it was read
    before)."""
    content_hash = repo.rubric_snapshot_hash(session, snapshot_id)
    if content_hash is None:
        raise NotFound(N_("rubric snapshot %(id)s not found"), id=snapshot_id)
    cached = _BY_HASH.get(content_hash)
    if cached is not None:
        return cached, content_hash
    snap = repo.get_rubric_snapshot_by_pk(session, snapshot_id)
    if snap is None:
        raise NotFound(N_("rubric snapshot %(id)s not found"), id=snapshot_id)
    return from_snapshot(snap), content_hash
