"""Credentials in and out of spreadsheets and JSON files.

A file becomes validated `Credential` objects or an `ImportInvalid` error that lists every
problem as ``sheet!cell: message`` (spreadsheets) or ``$[i].field: message`` (JSON).
"""

from __future__ import annotations

import difflib
import itertools
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from qa_engine.adapters.safe_xlsx import open_untrusted_workbook, write_cell
from qa_engine.domain.credential import (
    FIELDS,
    Credential,
    CredentialInvalid,
    FieldSpec,
    Said,
    choice_label,
    parse_credential,
    said,
)
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_, Message, Nn_
from qa_engine.domain.institutions import institution_label
from qa_engine.domain.limits import check_size
from qa_engine.domain.standards import EU_ELEMENTS, EU_OPTIONAL_ELEMENTS

log = logging.getLogger(__name__)

SHEET = "Credentials"
MAX_ROWS = 100_000


@dataclass(frozen=True, order=True)
class ImportProblem:
    """A problem of a file at `where` (``Credentials!C4``, ``$[0].ects``, ``line 3 column 7``):
    `message` in English, `text` the same to say in the reader's language (the location stays)."""

    where: str
    message: str
    text: Message | None = dataclass_field(default=None, compare=False)

    @classmethod
    def of(cls, where: str, text: Message) -> ImportProblem:
        return cls(where, text.english(), text)

    def in_language(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> str:
        """The problem without its location, in the language of `gettext`."""
        return self.message if self.text is None else self.text.render(gettext, ngettext)

    def located(self) -> Message:
        """``where: problem``, the problem to translate, the location as it is."""
        return Said("%(text)s", params={"text": self.text or self.message}, where=self.where)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ImportInvalid(ValidationFailed):
    def __init__(self, source: str, problems: list[ImportProblem]) -> None:
        self.problems = problems
        count = Nn_(
            "%(source)s: %(num)s problem(s); nothing was imported",
            "%(source)s: %(num)s problem(s); nothing was imported",
            len(problems),
            source=source,
        )
        super().__init__("%(text)s", details=[p.located() for p in problems], text=count.english())
        self.count = count

    def in_language(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> tuple[str, list[str]]:
        _, details = super().in_language(gettext, ngettext)
        return self.count.render(gettext, ngettext), details


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


HEADER_SCAN = 20  # rows searched for a header that is not in row 1
_TOO_DEEP = "nested more than {limit} levels deep; a credentials file is a list of flat objects"


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_formula(value: Any) -> bool:
    """A cell value read without `data_only`: the formula's text or an array formula."""
    if isinstance(value, str):
        return value.startswith("=")
    return value is not None and "Formula" in type(value).__name__


def _header_columns(
    header: tuple[Any, ...], sheet: str, rownum: int
) -> tuple[dict[int, FieldSpec], list[ImportProblem]]:
    columns: dict[int, FieldSpec] = {}
    problems: list[ImportProblem] = []
    for idx, text in enumerate(header):
        if _is_blank(text):
            continue
        spec = _HEADER_INDEX.get(_normalise_header(text))
        where = f"{sheet}!{get_column_letter(idx + 1)}{rownum}"
        if spec is None:
            problems.append(
                ImportProblem.of(
                    where, said(N_("unknown column %(name)s"), name=repr(str(text).strip()))
                )
            )
        elif spec in columns.values():
            problems.append(
                ImportProblem.of(
                    where, said(N_("column %(name)s appears twice"), name=repr(spec.header))
                )
            )
        else:
            columns[idx] = spec
    present = set(columns.values())
    for spec in FIELDS:
        if spec.required and spec not in present:
            problems.append(
                ImportProblem.of(
                    f"{sheet}!{rownum}",
                    said(N_("required column %(name)s is missing"), name=repr(spec.header)),
                )
            )
    return columns, problems


def _choose_sheet(sheetnames: list[str], name: str) -> str:
    if SHEET in sheetnames:
        return SHEET
    if len(sheetnames) == 1:  # a workbook of one sheet: that sheet, whatever its name
        return sheetnames[0]
    listed = ", ".join(repr(n) for n in sheetnames)
    raise ValidationFailed(
        N_(
            "%(name)s: no sheet named %(sheet)s (sheets: %(listed)s); name the sheet that holds "
            "the credentials %(sheet)s"
        ),
        name=name,
        sheet=repr(SHEET),
        listed=listed,
    )


def read_xlsx(
    path: Path, *, max_bytes: int, max_unzipped_bytes: int, known_providers: set[str] | None = None
) -> list[Credential]:
    """Read the credentials sheet: row 1 the header, then one credential per row with values
    (rows that carry only formatting are ignored). A formula is read by its saved value."""
    wb = open_untrusted_workbook(path, max_bytes=max_bytes, max_unzipped_bytes=max_unzipped_bytes)
    formulas_wb = None
    sheet = SHEET
    read = [0]  # the rows read so far
    try:
        sheet = _choose_sheet(list(wb.sheetnames), path.name)
        formulas_wb = open_untrusted_workbook(
            path, max_bytes=max_bytes, max_unzipped_bytes=max_unzipped_bytes, data_only=False
        )
        ws, fws = wb[sheet], formulas_wb[sheet]
        ws.reset_dimensions()
        fws.reset_dimensions()
        return _read_rows(_rows(ws, fws, read), sheet, path.name, known_providers)
    except ValidationFailed:
        raise
    except Exception:  # a read-only workbook reads its sheets lazily: a damaged part fails here
        log.info("unreadable workbook %s", path.name, exc_info=True)
        if read[0]:
            raise ValidationFailed(
                N_(
                    "%(name)s: %(where)s: the sheet is cut short or damaged after row %(row)s "
                    "and cannot be read; open the file in your spreadsheet program and save it "
                    "again as Excel Workbook (.xlsx)"
                ),
                name=path.name,
                where=f"{sheet}!{read[0] + 1}",
                row=read[0],
            ) from None
        raise ValidationFailed(
            N_(
                "%(name)s: sheet %(sheet)s is cut short or damaged and cannot be read; open the "
                "file in your spreadsheet program and save it again as Excel Workbook (.xlsx)"
            ),
            name=path.name,
            sheet=repr(sheet),
        ) from None
    finally:
        wb.close()
        if formulas_wb is not None:
            formulas_wb.close()


Row = tuple[tuple[Any, ...], tuple[bool, ...]]  # the values; which cells hold an unsaved formula


def _rows(values: Any, formulas: Any, read: list[int]) -> Iterator[Row]:
    """The sheet's rows, read twice in step: for the saved values, and for the formulas. A formula
    cell without a saved value reads as None; one whose saved value is an empty text (type str)
    is blank, as the spreadsheet program shows it. `read` counts the rows read."""
    for cells, texts in zip(values.iter_rows(), formulas.iter_rows(values_only=True), strict=False):
        row = tuple(cell.value for cell in cells)
        unsaved = tuple(
            cell.value is None
            and getattr(cell, "data_type", "n") != "str"
            and i < len(texts)
            and _is_formula(texts[i])
            for i, cell in enumerate(cells)
        )
        read[0] += 1
        yield row, unsaved


def _find_header(rows: Iterator[Row], sheet: str, name: str) -> dict[int, FieldSpec]:
    """The columns of the header in row 1; when it is not there, the rows below are searched for
    it (up to `HEADER_SCAN`) to say where it is."""
    first = next(rows, None)
    if first is None:
        raise ImportInvalid(
            name,
            [
                ImportProblem.of(
                    f"{sheet}!A1", said(N_("the sheet is empty; expected a header row"))
                )
            ],
        )
    columns, problems = _header_columns(first[0], sheet, 1)
    if not problems:
        return columns
    below = list(itertools.islice(rows, HEADER_SCAN - 1))
    for offset, (values, _) in enumerate(below, start=2):
        found, trouble = _header_columns(values, sheet, offset)
        if not trouble or len(found) > max(len(columns), 2):
            raise ImportInvalid(
                name,
                [
                    ImportProblem.of(
                        f"{sheet}!A{offset}",
                        said(
                            N_(
                                "the header is expected in row 1 of sheet %(sheet)s; row "
                                "%(row)s looks like the header: delete the rows above it"
                            ),
                            sheet=repr(sheet),
                            row=offset,
                        ),
                    )
                ],
            )
    if not columns:
        raise ImportInvalid(name, [ImportProblem.of(f"{sheet}!A1", _no_header(sheet))])
    raise ImportInvalid(name, problems)


def _no_header(sheet: str) -> Said:
    examples = ", ".join(repr(s.header) for s in FIELDS[:3])
    return said(
        N_(
            "no header row: the header is expected in row 1 of sheet %(sheet)s, with the column "
            "titles of the template (%(examples)s, …)"
        ),
        sheet=repr(sheet),
        examples=examples,
    )


def _read_rows(
    rows: Iterator[Row], sheet: str, name: str, known_providers: set[str] | None
) -> list[Credential]:
    columns = _find_header(rows, sheet, name)
    letter_of = {spec.name: get_column_letter(idx + 1) for idx, spec in columns.items()}
    problems: list[ImportProblem] = []
    out: list[Credential] = []
    seen: dict[tuple[str, str], int] = {}
    with_values = 0
    for rownum, (values, formula_cells) in enumerate(rows, start=2):
        unsaved = {
            spec.name
            for idx, spec in columns.items()
            if idx < len(formula_cells) and formula_cells[idx]
        }
        if not unsaved and all(_is_blank(v) for v in values):
            continue
        with_values += 1
        if with_values > MAX_ROWS:
            problems.append(
                ImportProblem.of(
                    f"{sheet}!{rownum}",
                    said(
                        N_("more than %(limit)s rows with values; split the file"),
                        limit=f"{MAX_ROWS:,}",
                    ),
                )
            )
            break
        for field in sorted(unsaved, key=lambda f: letter_of[f]):
            problems.append(
                ImportProblem.of(
                    f"{sheet}!{letter_of[field]}{rownum}",
                    said(
                        N_(
                            "holds a formula with no saved value; open and save the file in "
                            "Excel/LibreOffice, or type the value"
                        )
                    ),
                )
            )
        raw = {spec.name: values[idx] for idx, spec in columns.items() if idx < len(values)}
        try:
            cred = parse_credential(raw, known_providers=known_providers)
        except CredentialInvalid as exc:
            for p in exc.problems:
                if p.field in unsaved:
                    continue
                letter = letter_of.get(p.field, "")
                header_text = next((s.header for s in FIELDS if s.name == p.field), p.field)
                problems.append(
                    ImportProblem.of(
                        f"{sheet}!{letter}{rownum}",
                        Said(
                            "%(label)s: %(text)s",
                            params={"label": Said(header_text), "text": p.text or p.message},
                        ),
                    )
                )
            continue
        if unsaved:
            continue
        key = (cred.provider, cred.reference)
        if key in seen:
            problems.append(
                ImportProblem.of(
                    f"{sheet}!{letter_of['reference']}{rownum}",
                    said(
                        N_("reference %(reference)s already used in row %(row)s"),
                        reference=repr(cred.reference),
                        row=seen[key],
                    ),
                )
            )
            continue
        seen[key] = rownum
        out.append(cred)
    if problems:
        raise ImportInvalid(name, problems)
    if not out:
        raise ImportInvalid(
            name,
            [ImportProblem.of(f"{sheet}!A2", said(N_("no credential rows below the header")))],
        )
    return out


# --------------------------------------------------------------------------- JSON

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100
# a JSON string (skipped) or a bracket; the text is valid UTF-8 already
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    duplicates = []
    for key, value in pairs:
        if key in obj:
            duplicates.append(key)
        obj[key] = value
    obj.duplicates = tuple(duplicates)
    return obj


@dataclass(frozen=True)
class _LongNumber:
    text: str


def _number(convert: Any) -> Any:
    def parse(text: str) -> Any:
        return _LongNumber(text) if len(text) > MAX_NUMBER_CHARS else convert(text)

    return parse


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _check_depth(text: str, name: str, limit: int, too_deep: str) -> None:
    """Refuse nesting deeper than `limit` before the (recursive) decoder sees it."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                line, col = _line_col(text, match.start())
                raise ImportInvalid(
                    name,
                    [ImportProblem(f"line {line} column {col}", too_deep.format(limit=limit))],
                )
        elif token in ("]", "}"):
            depth -= 1


def _shown(key: str) -> str:
    """A key as a message can show it: escaped when it holds control or unpaired characters."""
    return key if key.isprintable() and not _SURROGATE.search(key) else json.dumps(key)[1:-1]


def _value_problems(value: Any, where: str) -> Iterator[ImportProblem]:
    """What the decoder let through but an import must not take: a key given twice, a number
    too long to be meant, a string holding half of a surrogate pair (depth is checked already)."""
    if isinstance(value, _LongNumber):
        digits = sum(ch.isdigit() for ch in value.text)
        yield ImportProblem(
            where, f"a number of {digits} digits; at most {MAX_NUMBER_CHARS} are accepted"
        )
    elif isinstance(value, str):
        found = _SURROGATE.search(value)
        if found:
            yield ImportProblem(
                where,
                f"holds an unpaired surrogate escape \\u{ord(found.group()):04x} (half of a "
                "character); write the character itself or its complete escape pair",
            )
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _value_problems(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            yield ImportProblem(
                f"{where}.{_shown(key)}",
                f"the key {_shown(key)!r} appears twice in this object; keep one",
            )
        for key, item in value.items():
            if _SURROGATE.search(key):
                yield ImportProblem(
                    f"{where}.{_shown(key)}", "the key holds an unpaired surrogate escape"
                )
            yield from _value_problems(item, f"{where}.{_shown(key)}")


def read_json(
    path: Path, *, max_bytes: int, known_providers: set[str] | None = None
) -> list[Credential]:
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationFailed(N_("%(name)s: file not found"), name=name) from None
    check_size(size, max_bytes, name)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # with or without a byte order mark
    except UnicodeDecodeError as exc:
        raise ImportInvalid(
            name,
            [ImportProblem.of("$", said(N_("not UTF-8 text (byte %(byte)s)"), byte=exc.start))],
        ) from None
    return parse_json_text(text, name=name, known_providers=known_providers)


def parse_json_text(
    text: str, *, name: str = "JSON", known_providers: set[str] | None = None
) -> list[Credential]:
    """Parse JSON text with limits (nesting, number length), refusing duplicate keys and unpaired
    surrogates by their path, then read its credentials (`parse_json_document`)."""
    doc = decode_json_text(text, name=name)
    return parse_json_document(doc, name=name, known_providers=known_providers)


def decode_json_text(
    text: str, *, name: str, max_depth: int = MAX_DEPTH, too_deep: str = _TOO_DEEP
) -> Any:
    """The JSON value of a text, decoded with limits: nesting deeper than `max_depth` is refused
    before the (recursive) decoder sees it (`too_deep` says why, with ``{limit}``); a syntax
    error by line and column; a key given twice, a number too long to be meant and an unpaired
    surrogate by their path. Raises `ImportInvalid`."""
    _check_depth(text, name, max_depth, too_deep)
    try:
        doc = json.loads(
            text,
            object_pairs_hook=_object_pairs,
            parse_int=_number(int),
            parse_float=_number(float),
        )
    except json.JSONDecodeError as exc:
        raise ImportInvalid(
            name,
            [
                ImportProblem.of(
                    f"line {exc.lineno} column {exc.colno}",
                    said(N_("not valid JSON: %(reason)s"), reason=exc.msg),
                )
            ],
        ) from None
    except RecursionError:  # the depth check makes this unreachable; a message all the same
        raise ImportInvalid(name, [ImportProblem("$", too_deep.format(limit=max_depth))]) from None
    problems = list(_value_problems(doc, "$"))
    if problems:
        raise ImportInvalid(name, problems)
    return doc


def _field_names() -> list[str]:
    return sorted({spec.name for spec in FIELDS} | {_normalise_header(s.header) for s in FIELDS})


def _json_fields(
    item: dict[str, Any], where: str
) -> tuple[dict[str, Any], dict[str, str], set[str], list[ImportProblem]]:
    """An object's fields by their names (a key is a field's name or its column title, in any
    case and spacing): the values, the key each came from, the fields guessed for unknown keys,
    and the problems with the keys."""
    raw: dict[str, Any] = {}
    origin: dict[str, str] = {}
    guessed: set[str] = set()
    problems: list[ImportProblem] = []
    for key, value in item.items():
        normal = _normalise_header(key)
        spec = _HEADER_INDEX.get(normal) or _HEADER_INDEX.get(normal.replace("_", " "))
        at = f"{where}.{_shown(key)}"
        if spec is None:
            close = difflib.get_close_matches(normal, _field_names(), n=1, cutoff=0.6)
            if close:
                hint = _HEADER_INDEX[close[0]].name
                guessed.add(hint)
                problems.append(
                    ImportProblem.of(
                        at, said(N_("unknown field; did you mean %(hint)s?"), hint=repr(hint))
                    )
                )
            else:
                problems.append(
                    ImportProblem.of(
                        at,
                        said(
                            N_(
                                "unknown field (use the column titles of the template or their "
                                "snake_case names, e.g. 'Provider institution' or 'provider')"
                            )
                        ),
                    )
                )
        elif spec.name in raw:
            problems.append(
                ImportProblem.of(
                    at,
                    said(
                        N_("the field %(field)s is also given as %(other)s"),
                        field=repr(spec.name),
                        other=repr(origin[spec.name]),
                    ),
                )
            )
        else:
            raw[spec.name] = value
            origin[spec.name] = _shown(key)
    return raw, origin, guessed, problems


def parse_json_document(
    doc: Any, *, name: str = "JSON", known_providers: set[str] | None = None
) -> list[Credential]:
    prefix = "$"
    if isinstance(doc, dict) and "credentials" in doc:
        doc, prefix = doc["credentials"], "$.credentials"
    elif isinstance(doc, dict):
        doc, prefix = [doc], "$"
    if not isinstance(doc, list):
        raise ImportInvalid(
            name,
            [ImportProblem.of(prefix, said(N_("expected a list of credential objects")))],
        )
    problems: list[ImportProblem] = []
    out: list[Credential] = []
    seen: dict[tuple[str, str], int] = {}
    for i, item in enumerate(doc):
        where = f"{prefix}[{i}]"
        if not isinstance(item, dict):
            problems.append(ImportProblem.of(where, said(N_("expected an object"))))
            continue
        raw, origin, guessed, key_problems = _json_fields(item, where)
        problems.extend(key_problems)
        try:
            cred = parse_credential(raw, known_providers=known_providers)
        except CredentialInvalid as exc:
            problems.extend(
                ImportProblem.of(
                    f"{where}.{origin.get(p.field, p.field)}",
                    p.text or Said("%(text)s", params={"text": p.message}),
                )
                for p in exc.problems
                # a required field missing because its key was misspelt is said once, above
                if not (p.field in guessed and p.field not in raw)
            )
            continue
        if key_problems:
            continue
        key = (cred.provider, cred.reference)
        if key in seen:
            problems.append(
                ImportProblem.of(
                    f"{where}.{origin.get('reference', 'reference')}",
                    said(
                        N_("%(reference)s already used at %(where)s"),
                        reference=repr(cred.reference),
                        where=f"{prefix}[{seen[key]}]",
                    ),
                )
            )
            continue
        seen[key] = i
        out.append(cred)
    if problems:
        raise ImportInvalid(name, problems)
    if not out:
        raise ImportInvalid(
            name, [ImportProblem.of(prefix, said(N_("no credentials in the file")))]
        )
    return out


def read_credentials_file(
    path: Path,
    *,
    max_bytes: int,
    max_unzipped_bytes: int,
    known_providers: set[str] | None = None,
    supplied: Mapping[str, str] | None = None,
) -> list[Credential]:
    """The credentials of a spreadsheet, a JSON file or an ELM (Europass) file; `supplied`:
    elements an ELM file lacks (refused for the others, which carry every field)."""
    # the ELM reader builds on this module's JSON decoding: imported here, not at the top
    from qa_engine.adapters import elm_import

    suffix = path.suffix.lower()
    if elm_import.is_elm_file(path):
        read = elm_import.read_elm(
            path, max_bytes=max_bytes, known_providers=known_providers, supplied=supplied
        )
        return [read.credential]
    if supplied:
        raise ValidationFailed(
            N_(
                "%(name)s: values for missing elements apply to Europass (ELM .jsonld) files"
                " only; write them in the file"
            ),
            name=path.name,
        )
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
        N_("%(name)s: unsupported file type %(suffix)s; use .xlsx, .json or .jsonld"),
        name=path.name,
        suffix=suffix or "(none)",
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
