"""Reading the rubric files once: the library of unchanged files is kept, a changed file (even
one changed within the same instant and to the same size) is read anew."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from qa_engine.services import rubrics as rubric_service

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"


def test_unchanged_files_are_read_once_and_a_change_is_seen(tmp_path):
    folder = tmp_path / "rubrics"
    shutil.copytree(RUBRICS, folder, ignore=shutil.ignore_patterns("*.md"))
    first = rubric_service.library([folder])
    assert rubric_service.library([folder]) is first
    path = folder / "esg-2015-part1.yaml"
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    # a French word corrected: same size, same modification time
    changed = text.replace("Personnel enseignant", "Personnel-enseignant", 1)
    assert changed != text and len(changed) == len(text)
    path.write_text(changed, encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    second = rubric_service.library([folder])
    assert second is not first
    assert second.get("esg-2015-part1").content_hash != first.get("esg-2015-part1").content_hash


def test_an_unreadable_folder_is_left_to_the_loader(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    lib = rubric_service.library([tmp_path])  # must not block reading the pipe
    assert [p.message for p in lib.problems] == ["cannot read: not a regular file"]
