"""Credentials in and out of spreadsheets and JSON files.

A file becomes validated `Credential` objects or an `ImportInvalid` error that lists every
problem as ``sheet!cell: message`` (spreadsheets) or ``$[i].field: message`` (JSON).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from qa_engine.adapters.safe_xlsx import DAMAGED, open_untrusted_workbook, write_cell
from qa_engine.domain.credential import (
    FIELDS,
    Credential,
    CredentialInvalid,
    FieldSpec,
    choice_label,
    parse_credential,
)
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.institutions import institution_label
from qa_engine.domain.limits import check_size
from qa_engine.domain.standards import EU_ELEMENTS, EU_OPTIONAL_ELEMENTS

log = logging.getLogger(__name__)

SHEET = "Credentials"
MAX_ROWS = 100_000


@dataclass(frozen=True, order=True)
class ImportProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ImportInvalid(ValidationFailed):
    def __init__(self, source: str, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__(
            f"{source}: {len(problems)} problem(s); nothing was imported",
            details=[str(p) for p in problems],
        )


# --------------------------------------------------------------------------- template


def _element_label(spec: FieldSpec) -> str:
    if spec.element in EU_ELEMENTS:
        return f"{spec.element} (mandatory standard element)"
    if spec.element in EU_OPTIONAL_ELEMENTS:
        return f"{spec.element} (optional standard element)"
    return ""


def _list_error(values: list[str]) -> str:
    """A drop-down's error message: Excel refuses one of more than 255 characters."""
    text = f"Choose one of: {'; '.join(values)}"
    return text if len(text) <= 255 else "Choose a value from the list."


def write_template(path: Path, *, providers: Iterable[str] = ()) -> Path:
    """Write an empty import workbook: one row per credential, with notes and value lists."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    header_font = Font(bold=True, color="FFFFFF")
    required_fill = PatternFill("solid", fgColor="1F4E79")
    optional_fill = PatternFill("solid", fgColor="5B7FA6")
    for col, spec in enumerate(FIELDS, start=1):
        cell = write_cell(ws, 1, col, spec.header + (" *" if spec.required else ""))
        cell.font = header_font
        cell.fill = required_fill if spec.required else optional_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = (
            48
            if spec.multi or spec.name in ("title", "assessment_type", "quality_assurance")
            else 22
        )
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "C2"
    ws.row_dimensions[1].height = 32

    # the drop-downs show words (the EU Recommendation's for closed values, institutions by name);
    # the importer reads the words back (and the machine values, and the codes)
    lists = wb.create_sheet("Lists")
    choice_specs = [s for s in FIELDS if s.choices]
    provider_list = [institution_label(code) for code in sorted(providers)]
    columns: list[tuple[str, list[str]]] = [
        (s.name, [choice_label(c) for c in s.choices]) for s in choice_specs
    ]
    if provider_list:
        columns.append(("provider", provider_list))
    for idx, (name, values) in enumerate(columns, start=1):
        write_cell(lists, 1, idx, name)
        for r, v in enumerate(values, start=2):
            write_cell(lists, r, idx, v)
        letter = get_column_letter(idx)
        target = next(i for i, s in enumerate(FIELDS, start=1) if s.name == name)
        dv = DataValidation(
            type="list",
            formula1=f"=Lists!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Not in the list",
            error=_list_error(values),
        )
        ws.add_data_validation(dv)
        dv.add(f"{get_column_letter(target)}2:{get_column_letter(target)}5000")
    lists.sheet_state = "hidden"

    notes = wb.create_sheet("Notes")
    for col, head in enumerate(
        ("Column", "Required", "EU standard element", "What to write"), start=1
    ):
        c = write_cell(notes, 1, col, head)
        c.font = Font(bold=True)
    for r, spec in enumerate(FIELDS, start=2):
        write_cell(notes, r, 1, spec.header)
        write_cell(notes, r, 2, "yes" if spec.required else "no")
        write_cell(notes, r, 3, _element_label(spec))
        write_cell(notes, r, 4, spec.help)
        notes.cell(row=r, column=4).alignment = Alignment(wrap_text=True)
    for letter, width in zip("ABCD", (34, 10, 40, 90), strict=True):
        notes.column_dimensions[letter].width = width
    notes.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- reading


def _normalise_header(text: Any) -> str:
    return " ".join(str(text or "").replace("*", " ").split()).strip().lower()


_HEADER_INDEX: dict[str, FieldSpec] = {}
for _spec in FIELDS:
    _HEADER_INDEX[_normalise_header(_spec.header)] = _spec
    _HEADER_INDEX[_spec.name.lower()] = _spec
    _HEADER_INDEX[_spec.name.replace("_", " ").lower()] = _spec


def read_xlsx(
    path: Path, *, max_bytes: int, max_unzipped_bytes: int, known_providers: set[str] | None = None
) -> list[Credential]:
    wb = open_untrusted_workbook(path, max_bytes=max_bytes, max_unzipped_bytes=max_unzipped_bytes)
    try:
        if SHEET in wb.sheetnames:
            ws = wb[SHEET]
        else:
            ws = wb[wb.sheetnames[0]]
        ws.reset_dimensions()
        sheet = ws.title
        rows = ws.iter_rows(values_only=True)
        problems: list[ImportProblem] = []
        header = next(rows, None)
        if header is None:
            raise ImportInvalid(
                path.name,
                [ImportProblem(f"{sheet}!A1", "the sheet is empty; expected a header row")],
            )
        columns: dict[int, FieldSpec] = {}
        for idx, text in enumerate(header):
            if text is None or not str(text).strip():
                continue
            spec = _HEADER_INDEX.get(_normalise_header(text))
            where = f"{sheet}!{get_column_letter(idx + 1)}1"
            if spec is None:
                problems.append(ImportProblem(where, f"unknown column {str(text).strip()!r}"))
            elif spec in columns.values():
                problems.append(ImportProblem(where, f"column {spec.header!r} appears twice"))
            else:
                columns[idx] = spec
        present = set(columns.values())
        for spec in FIELDS:
            if spec.required and spec not in present:
                problems.append(
                    ImportProblem(f"{sheet}!1", f"required column {spec.header!r} is missing")
                )
        if problems:
            raise ImportInvalid(path.name, problems)
        letter_of = {spec.name: get_column_letter(idx + 1) for idx, spec in columns.items()}

        out: list[Credential] = []
        seen: dict[tuple[str, str], int] = {}
        for rownum, values in enumerate(rows, start=2):
            if rownum > MAX_ROWS + 1:
                problems.append(
                    ImportProblem(f"{sheet}!{rownum}", f"more than {MAX_ROWS} rows; split the file")
                )
                break
            if values is None or all(
                v is None or (isinstance(v, str) and not v.strip()) for v in values
            ):
                continue
            raw = {spec.name: values[idx] for idx, spec in columns.items() if idx < len(values)}
            try:
                cred = parse_credential(raw, known_providers=known_providers)
            except CredentialInvalid as exc:
                for p in exc.problems:
                    letter = letter_of.get(p.field, "")
                    header_text = next((s.header for s in FIELDS if s.name == p.field), p.field)
                    problems.append(
                        ImportProblem(f"{sheet}!{letter}{rownum}", f"{header_text}: {p.message}")
                    )
                continue
            key = (cred.provider, cred.reference)
            if key in seen:
                problems.append(
                    ImportProblem(
                        f"{sheet}!{letter_of['reference']}{rownum}",
                        f"reference {cred.reference!r} already used in row {seen[key]}",
                    )
                )
                continue
            seen[key] = rownum
            out.append(cred)
        if problems:
            raise ImportInvalid(path.name, problems)
        if not out:
            raise ImportInvalid(
                path.name, [ImportProblem(f"{sheet}!A2", "no credential rows below the header")]
            )
        return out
    except ValidationFailed:
        raise
    except Exception:  # a read-only workbook reads its sheets lazily: a damaged part fails here
        log.info("unreadable workbook %s", path.name, exc_info=True)
        raise ValidationFailed(f"{path.name}: {DAMAGED}") from None
    finally:
        wb.close()


def read_json(
    path: Path, *, max_bytes: int, known_providers: set[str] | None = None
) -> list[Credential]:
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationFailed(f"{name}: file not found") from None
    check_size(size, max_bytes, name)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ImportInvalid(
            name, [ImportProblem("$", f"not UTF-8 text (byte {exc.start})")]
        ) from None
    except json.JSONDecodeError as exc:
        raise ImportInvalid(
            name,
            [ImportProblem(f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}")],
        ) from None
    return parse_json_document(doc, name=name, known_providers=known_providers)


def parse_json_document(
    doc: Any, *, name: str = "JSON", known_providers: set[str] | None = None
) -> list[Credential]:
    prefix = "$"
    if isinstance(doc, dict) and "credentials" in doc:
        doc, prefix = doc["credentials"], "$.credentials"
    elif isinstance(doc, dict):
        doc, prefix = [doc], "$"
    if not isinstance(doc, list):
        raise ImportInvalid(name, [ImportProblem(prefix, "expected a list of credential objects")])
    problems: list[ImportProblem] = []
    out: list[Credential] = []
    seen: dict[tuple[str, str], int] = {}
    for i, item in enumerate(doc):
        where = f"{prefix}[{i}]"
        if not isinstance(item, dict):
            problems.append(ImportProblem(where, "expected an object"))
            continue
        try:
            cred = parse_credential(item, known_providers=known_providers)
        except CredentialInvalid as exc:
            problems.extend(ImportProblem(f"{where}.{p.field}", p.message) for p in exc.problems)
            continue
        key = (cred.provider, cred.reference)
        if key in seen:
            problems.append(
                ImportProblem(
                    f"{where}.reference",
                    f"{cred.reference!r} already used at {prefix}[{seen[key]}]",
                )
            )
            continue
        seen[key] = i
        out.append(cred)
    if problems:
        raise ImportInvalid(name, problems)
    if not out:
        raise ImportInvalid(name, [ImportProblem(prefix, "no credentials in the file")])
    return out


def read_credentials_file(
    path: Path, *, max_bytes: int, max_unzipped_bytes: int, known_providers: set[str] | None = None
) -> list[Credential]:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_json(path, max_bytes=max_bytes, known_providers=known_providers)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(
            path,
            max_bytes=max_bytes,
            max_unzipped_bytes=max_unzipped_bytes,
            known_providers=known_providers,
        )
    raise ValidationFailed(
        f"{path.name}: unsupported file type {suffix or '(none)'}; use .xlsx or .json"
    )


def write_credentials_xlsx(path: Path, credentials: Iterable[Credential]) -> Path:
    """Write credentials in the import layout (what `read_xlsx` reads back)."""
    write_template(path)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb[SHEET]
    for r, cred in enumerate(credentials, start=2):
        data = cred.model_dump(mode="python")
        for c, spec in enumerate(FIELDS, start=1):
            value = data.get(spec.name)
            if isinstance(value, list):
                value = "\n".join(value) if value else None
            elif value is not None and spec.name == "ects":
                value = float(value)
            write_cell(ws, r, c, value)
    wb.save(path)
    return path
