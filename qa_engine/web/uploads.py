"""Uploaded files: size-checked, written to a private temporary file that is removed afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath

from fastapi import UploadFile

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.limits import check_size

CHUNK = 1024 * 1024


def safe_name(upload: UploadFile | None, default: str = "upload") -> str:
    name = PurePath((upload.filename if upload else None) or default).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\:*?"<>|')[:120]
    return name or default


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """The whole file, or `ValidationFailed` when it is larger than `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        check_size(size, limit, safe_name(upload), at_least=True)
        parts.append(chunk)
    return b"".join(parts)


@contextmanager
def temporary_file(data: bytes, suffix: str) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix="qa-upload-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        path.unlink(missing_ok=True)


def suffix_of(name: str, allowed: tuple[str, ...]) -> str:
    suffix = PurePath(name).suffix.lower()
    if suffix not in allowed:
        raise ValidationFailed(f"{name}: unsupported file type {suffix or '(none)'}; use {' or '.join(allowed)}")
    return suffix
