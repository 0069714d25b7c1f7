"""The leadership report in a given format, and writing it to a file: shared by the CLI and the flow."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from qa_engine.config import Settings, get_settings
from qa_engine.domain.errors import StorageError, ValidationFailed
from qa_engine.services.leadership import LeadershipFigures

FORMATS = ("pdf", "xlsx", "html")


def render_aggregate(figures: LeadershipFigures, fmt: str, *, settings: Settings | None = None) -> bytes:
    """The report as a signed PDF, a workbook or a self-contained HTML page."""
    settings = settings or get_settings()
    if fmt == "pdf":
        from qa_engine.adapters.aggregate_pdf import signed_pdf
        from qa_engine.adapters.report_files import signer_from_settings

        return signed_pdf(figures, reports_dir=settings.reports_dir, signer=signer_from_settings(settings),
                          timestamp_url=settings.timestamp_url)
    if fmt == "xlsx":
        from qa_engine.adapters.aggregate_xlsx import workbook_bytes

        return workbook_bytes(figures)
    if fmt == "html":
        from qa_engine.adapters.aggregate_html import html_bytes

        return html_bytes(figures)
    raise ValidationFailed(f"format {fmt!r}: give one of {', '.join(FORMATS)}")


def write_atomically(path: Path, data: bytes) -> Path:
    """Write all of the file or nothing (a temporary file renamed into place)."""
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
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
