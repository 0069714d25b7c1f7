"""Open untrusted workbooks safely: size limits checked before parsing, streaming read."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import defusedxml  # noqa: F401  (openpyxl uses it for every XML part when it is installed)
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.limits import check_size

log = logging.getLogger(__name__)

MAX_MEMBERS = 10_000
DAMAGED = (
    "the workbook is damaged or is not an Excel workbook and cannot be read; open it in your "
    "spreadsheet program and save it again as Excel Workbook (.xlsx)"
)
MAX_RATIO = 200  # uncompressed / compressed for one member: beyond this it is a zip bomb


def open_untrusted_workbook(path: Path, *, max_bytes: int, max_unzipped_bytes: int) -> Workbook:
    """Check the container first, then open read-only; raise `ValidationFailed` saying why not."""
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationFailed(f"{name}: file not found") from None
    check_size(size, max_bytes, name)
    if not zipfile.is_zipfile(path):
        raise ValidationFailed(
            f"{name}: not an .xlsx workbook (an .xlsx file is a zip container; "
            "save the sheet as Excel Workbook .xlsx)"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise ValidationFailed(
                    f"{name}: {len(infos)} parts in the workbook; the limit is {MAX_MEMBERS}"
                )
            total = 0
            for info in infos:
                total += info.file_size
                if (
                    info.compress_size
                    and info.file_size / max(info.compress_size, 1) > MAX_RATIO
                    and info.file_size > 1_000_000
                ):
                    raise ValidationFailed(
                        f"{name}: part {info.filename} expands "
                        f"{info.file_size // max(info.compress_size, 1)}×; refused as a "
                        "possible zip bomb"
                    )
            if total > max_unzipped_bytes:
                raise ValidationFailed(
                    f"{name}: unzips to {total:,} bytes; the limit is {max_unzipped_bytes:,}"
                )
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise ValidationFailed(f"{name}: not an Excel workbook (no xl/workbook.xml)")
    except zipfile.BadZipFile:
        raise ValidationFailed(f"{name}: {DAMAGED}") from None
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except ValidationFailed:
        raise
    except Exception:  # openpyxl raises many kinds on a damaged file; none is for a person
        log.info("unreadable workbook %s", name, exc_info=True)
        raise ValidationFailed(f"{name}: {DAMAGED}") from None


def write_cell(ws: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write a value; strings are always stored as text, never as formulas."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell
