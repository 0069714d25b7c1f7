"""Open untrusted workbooks safely: size limits checked before parsing, streaming read."""

from __future__ import annotations

import logging
import zipfile
import zlib
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
CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE compound file: encrypted or old .xls
ENCRYPTED = (
    "the workbook is encrypted (password-protected) and cannot be read; open it, remove the "
    "password (File > Info > Protect Workbook > Encrypt with Password, or Save As without a "
    "password) and save it as Excel Workbook (.xlsx)"
)
OLD_FORMAT = (
    "an Excel 97-2003 workbook (.xls), not an .xlsx workbook; open it in your spreadsheet "
    "program and save it as Excel Workbook (.xlsx)"
)
ENTITIES = (
    "the workbook declares XML entities (a DOCTYPE in part {part}), which spreadsheet programs "
    "never write; refused as a possible entity bomb. Open the file in your spreadsheet program "
    "and save it again as Excel Workbook (.xlsx)"
)
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_CHUNK = 1024 * 1024


def _container_problem(path: Path) -> str | None:
    """Why a file that is no zip container cannot be an .xlsx workbook, when its first bytes say
    so: an OLE compound file holds an encrypted workbook or an old .xls one."""
    with path.open("rb") as fh:
        head = fh.read(len(CFB_SIGNATURE))
        if head != CFB_SIGNATURE:
            return None
        # the directory names its streams in UTF-16; an encrypted workbook has these two
        rest = fh.read(4 * 1024 * 1024)
    if (
        "EncryptedPackage".encode("utf-16-le") in rest
        or "EncryptionInfo".encode("utf-16-le") in rest
    ):
        return ENCRYPTED
    return OLD_FORMAT


def _declares_entities(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether an XML part has a DOCTYPE or an entity declaration (read in chunks)."""
    tail = b""
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            window = tail + chunk
            if any(d in window for d in _DECLARATIONS):
                return True
            tail = window[-16:]
    return False


def open_untrusted_workbook(
    path: Path, *, max_bytes: int, max_unzipped_bytes: int, data_only: bool = True
) -> Workbook:
    """Check the container first, then open read-only; raise `ValidationFailed` saying why not.

    `data_only` gives each formula's saved value (None when the file has none); without it, the
    formulas' text."""
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationFailed(f"{name}: file not found") from None
    check_size(size, max_bytes, name)
    problem = _container_problem(path)
    if problem is not None:
        raise ValidationFailed(f"{name}: {problem}")
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
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")) and (
                    _declares_entities(zf, info)
                ):
                    raise ValidationFailed(f"{name}: {ENTITIES.format(part=info.filename)}")
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError):
        # a damaged member, an unsupported compression method or a cut-short archive
        raise ValidationFailed(f"{name}: {DAMAGED}") from None
    try:
        return load_workbook(path, read_only=True, data_only=data_only)
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
