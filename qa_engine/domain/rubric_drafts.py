"""Drafts of rubric files: a file read on its own, composed with the files it includes, and
compared with another set of rubric files (the installed ones) by id and version.

A draft takes the place of a file of the same id in the other set (that is what a draft is), so
its id is not reported as used twice; `compare_with` then says whether it is a new version of
that file, the same one, or a clash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa_engine.domain.i18n import N_
from qa_engine.domain.rubric_loader import (
    ParsedFile,
    Problem,
    RubricLibrary,
    read_rubric_file,
    rubric_files,
)

_PART = re.compile(r"\d+|[^\d.\-+_]+")


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Order of versions: `1.10.0` after `1.9.2`, `2.0` after `1.9`; numbers compare as numbers,
    words as text, a number after a word (`1.0.0-rc1` before `1.0.0.1`)."""
    return tuple(
        (1, int(part)) if part.isdigit() else (0, part.lower()) for part in _PART.findall(version)
    )


@dataclass
class DraftCheck:
    """What checking draft files found: problems (each `FILE:LINE: message`) and notes for the
    person (a new version, a copy identical to an installed file)."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def draft_library(drafts: Sequence[ParsedFile], others: Sequence[Path]) -> RubricLibrary:
    """The drafts with the files of `others` (folders or files) they may include: a file of
    `others` with the id of a draft, or the draft file itself, is left out."""
    ids = {pf.model.rubric.id for pf in drafts if pf.model is not None}
    paths = {pf.path.resolve() for pf in drafts}
    rest = [
        pf
        for pf in (read_rubric_file(f) for f in rubric_files(others) if f.resolve() not in paths)
        if pf.model is None or pf.model.rubric.id not in ids
    ]
    return RubricLibrary([*drafts, *rest])


def compare_with(draft: ParsedFile, installed: Sequence[ParsedFile]) -> DraftCheck:
    """A draft against the installed file of the same id, if any: a higher version is a new
    version; the same version with the same content is that file again; the same version with
    other content, or a lower version, is refused naming the other file and line."""
    out = DraftCheck()
    if draft.model is None:
        return out
    meta = draft.model.rubric
    other = next(
        (pf for pf in installed if pf.model is not None and pf.model.rubric.id == meta.id), None
    )
    if other is None or other.model is None:
        out.notes.append(f"{draft.path}: rubric '{meta.id}' {meta.version} is a new rubric")
        return out
    theirs = other.model.rubric.version
    where = f"{other.path}:{other.line_of(('rubric', 'version'))}"
    line = draft.line_of(("rubric", "version"))
    if version_key(meta.version) == version_key(theirs):
        if draft.model == other.model:
            out.notes.append(
                f"{draft.path}: identical to {other.path} (rubric '{meta.id}' {theirs})"
            )
        else:
            out.problems.append(
                Problem.of(
                    str(draft.path),
                    line,
                    N_(
                        "rubric '%(id)s' version %(version)s is also at %(where)s with other"
                        " content; a version is never changed in place: give this file a"
                        " version above %(theirs)s"
                    ),
                    id=meta.id,
                    version=meta.version,
                    where=where,
                    theirs=theirs,
                )
            )
    elif version_key(meta.version) > version_key(theirs):
        out.notes.append(
            f"{draft.path}: new version {meta.version} of rubric '{meta.id}'"
            f" (installed: {theirs} at {where})"
        )
    else:
        out.problems.append(
            Problem.of(
                str(draft.path),
                line,
                N_(
                    "rubric '%(id)s' version %(version)s is older than the installed version"
                    " %(theirs)s at %(where)s; a new version must be above it"
                ),
                id=meta.id,
                version=meta.version,
                theirs=theirs,
                where=where,
            )
        )
    return out


def check_drafts(drafts: Sequence[Path], against: Path | None, installed: Path) -> DraftCheck:
    """Check draft files: each on its own (with the files of its folder and then of `against`,
    or of `installed`, for its includes), and, when `against` is given, compared with the file of
    the same id there. Only problems of the drafts themselves are reported."""
    parsed = [read_rubric_file(f) for f in rubric_files(drafts)]
    folders = [p if p.is_dir() else p.parent for p in drafts]
    base = against if against is not None else installed
    lib = draft_library(parsed, [*folders, base])
    chosen = {str(pf.path) for pf in parsed}
    out = DraftCheck()
    out.problems.extend(
        pr for pr in lib.all_problems() if pr.file in chosen or pr.file == "<library>"
    )
    # two drafts with one id: the library kept the first; both files are named
    if against is not None:
        others = [read_rubric_file(f) for f in rubric_files([against])]
        for pf in parsed:
            found = compare_with(pf, others)
            out.problems.extend(found.problems)
            out.notes.extend(found.notes)
    out.problems = sorted(set(out.problems))
    return out
