"""Spreadsheet and JSON import: messy but reasonable input accepted; every problem named by cell or
path; hostile files refused before parsing."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from qa_engine.adapters.credential_io import (
    ImportInvalid,
    read_json,
    read_xlsx,
    write_credentials_xlsx,
    write_template,
)
from qa_engine.domain.credential import FIELDS, parse_credential
from qa_engine.domain.errors import ValidationFailed

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = json.loads(
    (ROOT / "qa_engine" / "samples" / "credentials.json").read_text(encoding="utf-8")
)
LIMITS = {"max_bytes": 5_000_000, "max_unzipped_bytes": 50_000_000}
HEADERS = [f.header for f in FIELDS]


def messy_row(**over):
    row = {
        "Reference": "  UW-MC-7 ",
        "Provider institution": "uw",
        "Title": "Open science data management",
        "Identification of the learner": "Name, surname, PESEL or passport number",
        "Country of the issuer": " pl ",
        "Awarding body": "Uniwersytet Warszawski",
        "Date of issuing": datetime(2026, 10, 1),
        "Learning outcomes": "Plan data management for a project\n\n- Publish FAIR data sets  ",
        "ECTS": "5,0",
        "EQF level": "EQF 7",
        "Type of assessment": "Portfolio",
        "Form of participation": "Online",
        "Type of quality assurance": "University QA system",
        "ISCED-F field": 542,
        "Languages": "pl, EN",
        "Contact e-mail": " mc@uw.edu.pl ",
        "Contact name": "Łucja Żółkiewska",
    }
    row.update(over)
    return row


def write_rows(path: Path, rows: list[dict], headers=None, title="Credentials") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    headers = headers or [h + (" *" if i % 2 else "") for i, h in enumerate(HEADERS)]
    ws.append(headers)
    plain = [h.replace(" *", "") for h in headers]
    for row in rows:
        ws.append([row.get(h) for h in plain])
    wb.save(path)
    return path


def test_template_has_headers_notes_and_lists(tmp_path):
    path = write_template(tmp_path / "t.xlsx", providers=["CUNI", "UW"])
    wb = load_workbook(path)
    ws = wb["Credentials"]
    assert [c.value.replace(" *", "") for c in ws[1]] == HEADERS
    assert ws.freeze_panes == "C2"
    assert "Notes" in wb.sheetnames
    notes = {r[0].value: r[3].value for r in wb["Notes"].iter_rows(min_row=2)}
    assert "one learning outcome per line" in notes["Learning outcomes"].lower()
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert len(formulas) >= 4 and all(f.startswith("=Lists!") for f in formulas)


def test_messy_but_reasonable_rows_are_accepted(tmp_path):
    path = write_rows(
        tmp_path / "m.xlsx",
        [
            messy_row(),
            messy_row(
                Reference="UW-MC-8",
                **{"EQF level": "Level 6", "ECTS": 2.5, "Date of issuing": "2026-11-02"},
            ),
        ],
    )
    creds = read_xlsx(path, **LIMITS, known_providers={"UW"})
    assert [c.reference for c in creds] == ["UW-MC-7", "UW-MC-8"]
    first = creds[0]
    assert first.provider == "UW" and first.country == "PL" and str(first.ects) == "5.0"
    assert first.eqf_level == 7 and first.isced_f == "0542" and first.languages == ["pl", "en"]
    assert first.learning_outcomes == [
        "Plan data management for a project",
        "Publish FAIR data sets",
    ]
    assert creds[1].eqf_level == 6


def test_every_bad_cell_is_reported_and_nothing_returned(tmp_path):
    rows = [
        messy_row(),
        messy_row(
            Reference="UW-MC-9", ECTS="lots", **{"EQF level": "EQF 12", "Contact e-mail": "x"}
        ),
        messy_row(),
    ]
    path = write_rows(tmp_path / "bad.xlsx", rows)
    with pytest.raises(ImportInvalid) as err:
        read_xlsx(path, **LIMITS, known_providers={"UW"})
    text = "\n".join(err.value.details)
    col = {h: get_column_letter(i + 1) for i, h in enumerate(HEADERS)}
    assert f"Credentials!{col['ECTS']}3: ECTS: 'lots' is not a number" in text
    assert f"Credentials!{col['EQF level']}3: EQF level: EQF level must be 1 to 8, not 12" in text
    assert f"Credentials!{col['Contact e-mail']}3:" in text
    assert f"Credentials!{col['Reference']}4: reference 'UW-MC-7' already used in row 2" in text
    assert "nothing was imported" in str(err.value)


def test_unknown_and_missing_columns(tmp_path):
    path = write_rows(
        tmp_path / "cols.xlsx", [messy_row()], headers=["Reference", "Title", "Colour"]
    )
    with pytest.raises(ImportInvalid) as err:
        read_xlsx(path, **LIMITS)
    text = "\n".join(err.value.details)
    assert "Credentials!C1: unknown column 'Colour'" in text
    assert "required column 'ECTS' is missing" in text


def test_round_trip_through_the_export_layout(tmp_path):
    creds = [parse_credential(i) for i in SAMPLES]
    path = write_credentials_xlsx(tmp_path / "all.xlsx", creds)
    back = read_xlsx(path, **LIMITS)
    assert [c.content_hash for c in back] == [c.content_hash for c in creds]


def test_declared_dimension_is_not_trusted(tmp_path):
    path = write_rows(tmp_path / "dim.xlsx", [messy_row(Reference=f"UW-{i}") for i in range(30)])
    # rewrite the sheet's <dimension> to claim a single cell, as some generators do
    patched = tmp_path / "dim2.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                import re

                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', data)
            dst.writestr(item, data)
    assert len(read_xlsx(patched, **LIMITS)) == 30


def test_not_a_workbook_and_size_limits(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("reference,title\n")
    with pytest.raises(ValidationFailed, match="not an .xlsx workbook"):
        read_xlsx(fake, **LIMITS)
    good = write_rows(tmp_path / "g.xlsx", [messy_row()])
    with pytest.raises(ValidationFailed, match="limit"):
        read_xlsx(good, max_bytes=100, max_unzipped_bytes=10**9)
    with pytest.raises(ValidationFailed, match="unzips to"):
        read_xlsx(good, max_bytes=10**9, max_unzipped_bytes=1000)


def test_zip_bomb_member_refused(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", "<a>" + "A" * 30_000_000 + "</a>")
    with pytest.raises(ValidationFailed, match="zip bomb"):
        read_xlsx(bomb, max_bytes=10**9, max_unzipped_bytes=10**9)


def test_json_errors_name_the_path(tmp_path):
    items = [dict(SAMPLES[0]), dict(SAMPLES[1], ects="many", eqf_level=0)]
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"credentials": items}), encoding="utf-8")
    with pytest.raises(ImportInvalid) as err:
        read_json(path, max_bytes=10**6)
    text = "\n".join(err.value.details)
    assert "$.credentials[1].ects: 'many' is not a number" in text
    assert "$.credentials[1].eqf_level: EQF level must be 1 to 8, not 0" in text


def test_json_syntax_error_names_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"reference": "x",\n  }\n]', encoding="utf-8")
    with pytest.raises(ImportInvalid) as err:
        read_json(path, max_bytes=10**6)
    assert err.value.details[0].startswith("line 3 column")
