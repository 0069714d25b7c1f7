"""A fixed corpus of hostile or awkward credential files (issue 14). Each is refused with one clear,
located message naming the user's file (never an exception's name or text, a server path or a
traceback), or, where the file is faithful, imported as its author meant it.

Every input is built by a small function here, so the corpus needs no binary files in the tree."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from qa_engine.adapters.credential_io import read_credentials_file
from qa_engine.domain.credential import FIELDS
from qa_engine.domain.errors import ValidationFailed
from tests.adapters.test_credential_io import HEADERS, SAMPLES, messy_row, write_rows

LIMITS = {"max_bytes": 5_000_000, "max_unzipped_bytes": 50_000_000}
COL = {h: get_column_letter(i + 1) for i, h in enumerate(HEADERS)}


# --------------------------------------------------------------------------- JSON inputs


def _json(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def deep_json(folder: Path) -> Path:
    return _json(folder / "deep.json", "[" * 10_000 + "]" * 10_000)


def deep_objects_json(folder: Path) -> Path:
    return _json(folder / "deep objects.json", '{"a":' * 10_000 + "1" + "}" * 10_000)


def long_number_json(folder: Path) -> Path:
    item = json.dumps(dict(SAMPLES[0], ects=0))
    return _json(
        folder / "long number.json", "[" + item.replace('"ects": 0', '"ects": ' + "9" * 5001) + "]"
    )


def lone_surrogate_json(folder: Path) -> Path:
    item = json.dumps(dict(SAMPLES[0], title="Open science TITLE"))
    return _json(folder / "surrogate.json", "[" + item.replace("TITLE", "\\ud83c") + "]")


def duplicate_key_json(folder: Path) -> Path:
    item = json.dumps(dict(SAMPLES[0], ects=5))
    return _json(folder / "duplicate.json", "[" + item[:-1] + ', "ects": 50}]')


def unknown_key_json(folder: Path) -> Path:
    item = dict(SAMPLES[0])
    item["titel"] = item.pop("title")
    return _json(folder / "unknown key.json", json.dumps([item]))


# --------------------------------------------------------------------------- workbook inputs


def _valid_workbook(folder: Path, name: str = "valid.xlsx", rows: int = 3) -> Path:
    return write_rows(
        folder / name, [messy_row(Reference=f"UW-MC-{i}") for i in range(1, rows + 1)]
    )


def _patched(source: Path, target: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, change(data) if info.filename == member else data)
    target.write_bytes(out.getvalue())
    return target


def _cfb(stream_names: list[str]) -> bytes:
    """The start of an OLE compound file (the container of encrypted and of old .xls workbooks):
    its signature and directory entries with these stream names."""
    header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504
    entries = b"".join(
        (n.encode("utf-16-le") + b"\0\0").ljust(64, b"\0") + b"\0" * 64 for n in stream_names
    )
    return header + entries + b"\0" * 1024


def encrypted_xlsx(folder: Path) -> Path:
    path = folder / "protected.xlsx"
    path.write_bytes(_cfb(["Root Entry", "EncryptionInfo", "EncryptedPackage"]))
    return path


def old_xls_renamed(folder: Path) -> Path:
    path = folder / "old format.xlsx"
    path.write_bytes(_cfb(["Root Entry", "Workbook", "\x05SummaryInformation"]))
    return path


def truncated_sheet(folder: Path) -> Path:
    source = _valid_workbook(folder, "source.xlsx", rows=20)
    return _patched(
        source, folder / "cut short.xlsx", "xl/worksheets/sheet1.xml", lambda d: d[: len(d) // 2]
    )


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def entity_bomb_workbook_part(folder: Path) -> Path:
    source = _valid_workbook(folder, "source.xlsx")
    return _patched(
        source,
        folder / "entities.xlsx",
        "xl/workbook.xml",
        lambda d: BOMB + re.sub(rb"^<\?xml[^>]*\?>", b"", d).replace(b"<sheets>", b"<sheets>"),
    )


def entity_bomb_sheet(folder: Path) -> Path:
    source = _valid_workbook(folder, "source.xlsx")
    return _patched(
        source,
        folder / "sheet entities.xlsx",
        "xl/worksheets/sheet1.xml",
        lambda d: BOMB + re.sub(rb"^<\?xml[^>]*\?>", b"", d),
    )


def header_in_row_3(folder: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Credentials"
    ws.append(["Micro-credentials of the spring term 2026"])
    ws.append([])
    ws.append(HEADERS)
    ws.append([messy_row().get(h) for h in HEADERS])
    path = folder / "header lower.xlsx"
    wb.save(path)
    return path


def sheet_renamed(folder: Path) -> Path:
    wb = Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append(["Column", "Required"])
    data = wb.create_sheet("Courses")
    data.append(HEADERS)
    data.append([messy_row().get(h) for h in HEADERS])
    path = folder / "renamed.xlsx"
    wb.save(path)
    return path


def formula_without_value(folder: Path) -> Path:
    # openpyxl saves formulas without a cached value, as some generators do
    return write_rows(
        folder / "formula.xlsx", [messy_row(), messy_row(Reference="UW-MC-2", Title='=UPPER("x")')]
    )


def no_header_at_all(folder: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Credentials"
    for _ in range(3):
        ws.append(["some", "words", "here"])
    path = folder / "no header.xlsx"
    wb.save(path)
    return path


# (builder, the one message expected, written as it appears after the file name)
REFUSED: list[tuple[Callable[[Path], Path], str]] = [
    (deep_json, "line 1 column 65: nested more than 64 levels deep"),
    (deep_objects_json, "line 1 column 321: nested more than 64 levels deep"),
    (long_number_json, "$[0].ects: a number of 5001 digits; at most 100 are accepted"),
    (lone_surrogate_json, "$[0].title: holds an unpaired surrogate escape \\ud83c"),
    (duplicate_key_json, "$[0].ects: the key 'ects' appears twice in this object"),
    (unknown_key_json, "$[0].titel: unknown field; did you mean 'title'?"),
    (encrypted_xlsx, "the workbook is encrypted (password-protected)"),
    (old_xls_renamed, "an Excel 97-2003 workbook (.xls)"),
    (truncated_sheet, "Credentials!11: the sheet is cut short or damaged after row 10"),
    (entity_bomb_workbook_part, "the workbook declares XML entities"),
    (entity_bomb_sheet, "the workbook declares XML entities"),
    (
        header_in_row_3,
        "Credentials!A3: the header is expected in row 1 of sheet 'Credentials'; "
        "row 3 looks like the header: delete the rows above it",
    ),
    (sheet_renamed, "no sheet named 'Credentials' (sheets: 'Notes', 'Courses')"),
    (
        formula_without_value,
        f"Credentials!{COL['Title']}3: holds a formula with no saved value; open and save the "
        "file in Excel/LibreOffice, or type the value",
    ),
    (no_header_at_all, "Credentials!A1: no header row: the header is expected in row 1"),
]

EXCEPTION_WORDS = re.compile(
    r"Traceback|Error\b|Exception|ParseError|unclosed token|RecursionError|Exceeds the limit|"
    r"EntitiesForbidden|Please see|surrogates not allowed|/tmp/|qa-upload-"
)


def _message(exc: ValidationFailed) -> list[str]:
    return [exc.message, *exc.details]


@pytest.mark.parametrize("build, expected", REFUSED, ids=[b.__name__ for b, _ in REFUSED])
def test_each_corpus_file_is_refused_with_one_located_message(tmp_path, build, expected):
    path = build(tmp_path)
    with pytest.raises(ValidationFailed) as err:
        read_credentials_file(
            path, **LIMITS, known_providers={"UW", "CUNI", "UNIMI"} | _providers()
        )
    lines = _message(err.value)
    text = "\n".join(lines)
    assert path.name in lines[0], text
    assert any(expected in line for line in lines), text
    assert not EXCEPTION_WORDS.search(text), text
    assert str(tmp_path) not in text
    # one cause, said once, not a cascade of missing columns or fields
    assert len(err.value.details) <= 1, text


def _providers() -> set[str]:
    return {item["provider"] for item in SAMPLES}


def test_trailing_formatted_rows_are_ignored(tmp_path):
    """3 real rows, then 100,000 rows that carry only formatting: 3 credentials, no row limit."""
    source = _valid_workbook(tmp_path, "source.xlsx")
    empty = "".join(
        f'<row r="{r}" spans="1:3"><c r="A{r}" s="{r % 2}"/><c r="B{r}" s="{r % 2}"/></row>'
        for r in range(5, 100_006)
    ).encode()
    path = _patched(
        source,
        tmp_path / "formatted.xlsx",
        "xl/worksheets/sheet1.xml",
        lambda d: d.replace(b"</sheetData>", empty + b"</sheetData>"),
    )
    creds = read_credentials_file(path, **LIMITS, known_providers={"UW"})
    assert [c.reference for c in creds] == ["UW-MC-1", "UW-MC-2", "UW-MC-3"]


def test_too_many_rows_with_values_still_refused(tmp_path, monkeypatch):
    from qa_engine.adapters import credential_io

    monkeypatch.setattr(credential_io, "MAX_ROWS", 2)
    path = _valid_workbook(tmp_path, rows=3)
    with pytest.raises(ValidationFailed) as err:
        read_credentials_file(path, **LIMITS, known_providers={"UW"})
    assert "Credentials!4: more than 2 rows with values; split the file" in err.value.details


def test_a_single_sheet_of_another_name_is_read(tmp_path):
    path = write_rows(tmp_path / "one.xlsx", [messy_row()], title="Sheet1")
    assert len(read_credentials_file(path, **LIMITS, known_providers={"UW"})) == 1


def test_json_accepts_the_workbook_header_titles(tmp_path):
    """The field names of the Notes sheet (any case and spacing) as well as the snake_case names."""
    by_name = {spec.name: spec.header for spec in FIELDS}
    item = {}
    for i, (key, value) in enumerate(SAMPLES[0].items()):
        header = by_name[key]
        item[(header.upper(), "  " + header.lower() + " ", key)[i % 3]] = value
    path = _json(tmp_path / "titles.json", json.dumps({"credentials": [item]}))
    (cred,) = read_credentials_file(path, **LIMITS, known_providers=_providers())
    snake = read_credentials_file(
        _json(tmp_path / "snake.json", json.dumps([SAMPLES[0]])),
        **LIMITS,
        known_providers=_providers(),
    )[0]
    assert cred.content_hash == snake.content_hash


def test_json_same_field_under_two_names_is_refused(tmp_path):
    item = dict(SAMPLES[0], Title="Another title")
    path = _json(tmp_path / "twice.json", json.dumps([item]))
    with pytest.raises(ValidationFailed) as err:
        read_credentials_file(path, **LIMITS, known_providers=_providers())
    assert "$[0].Title: the field 'title' is also given as 'title'" in err.value.details


def test_json_depth_within_limit_is_parsed(tmp_path):
    """Strings holding brackets do not count as nesting."""
    item = dict(SAMPLES[0], title="Open " + "[{" * 40)
    path = _json(tmp_path / "brackets.json", json.dumps([item]))
    (cred,) = read_credentials_file(path, **LIMITS, known_providers=_providers())
    assert cred.title == "Open " + "[{" * 40


def test_formula_with_an_empty_text_result_is_blank(tmp_path):
    """Excel and LibreOffice save a formula whose result is empty text as type str with an empty
    value: that cell is blank (an optional column), not a formula without a saved value."""
    source = write_rows(tmp_path / "source.xlsx", [messy_row(**{"Region of the issuer": '=""'})])
    cell = f'<c r="{COL["Region of the issuer"]}2"'
    path = _patched(
        source,
        tmp_path / "empty result.xlsx",
        "xl/worksheets/sheet1.xml",
        lambda d: d.replace(cell.encode(), (cell + ' t="str"').encode()),
    )
    (cred,) = read_credentials_file(path, **LIMITS, known_providers={"UW"})
    assert cred.region is None


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml"])
@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_a_part_cut_short_anywhere_is_one_message(tmp_path, part, fraction):
    source = write_rows(
        tmp_path / "source.xlsx", [messy_row(Reference=f"UW-{i}") for i in range(9)]
    )
    with zipfile.ZipFile(source) as zf:
        if part not in zf.namelist():
            pytest.skip(f"openpyxl wrote no {part}")
    path = _patched(source, tmp_path / "cut.xlsx", part, lambda d: d[: int(len(d) * fraction)])
    with pytest.raises(ValidationFailed) as err:
        read_credentials_file(path, **LIMITS, known_providers={"UW"})
    text = "\n".join(_message(err.value))
    assert text.startswith("cut.xlsx: "), text
    assert not EXCEPTION_WORDS.search(text), text


def test_json_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([SAMPLES[0]]).encode())
    assert len(read_credentials_file(path, **LIMITS, known_providers=_providers())) == 1


def test_json_odd_keys_are_shown_escaped(tmp_path):
    item = dict(SAMPLES[0], **{"line\nbreak": 1})
    path = _json(tmp_path / "odd.json", json.dumps([item]))
    with pytest.raises(ValidationFailed) as err:
        read_credentials_file(path, **LIMITS, known_providers=_providers())
    assert err.value.details[0].startswith("$[0].line\\nbreak: unknown field"), err.value.details
