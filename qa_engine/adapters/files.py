"""Writing output files: all of the file or nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from qa_engine.domain.errors import StorageError


def write_atomically(path: Path, data: bytes, *, hint: str = "") -> Path:
    """Write to a temporary file in the same folder, sync it, rename it into place.

    A failure (a full disk, an unwritable folder) is a `StorageError` naming the path; `hint` says
    what happens next."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(
            f"cannot write {path}: {exc.strerror or exc}" + (f"; {hint}" if hint else "")
        ) from exc
    return path
