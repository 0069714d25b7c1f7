"""The values of issue 14 through the real import of a workbook and of a JSON file: what people
type is read as meant, what is not a value is refused at its cell or JSON path, and nothing of the
file is imported then."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from qa_engine.adapters.credential_io import ImportInvalid, read_credentials_file, write_template
from qa_engine.domain.credential import FIELDS
from qa_engine.domain.institutions import ALLIANCE_NAMES

LIMITS = {"max_bytes": 50_000_000, "max_unzipped_bytes": 500_000_000}
KNOWN = set(ALLIANCE_NAMES)
HEADERS = [f.header for f in FIELDS]
COLUMN = {f.name: chr(ord("A") + i) for i, f in enumerate(FIELDS)}


def row(**over):
    base = {
        "reference": "CUNI-MC-1",
        "provider": "Univerzita Karlova",
        "title": "Carbon accounting for small firms",
        "learner_identification": "Full name, date of birth, student number",
        "country": "CZ",
        "awarding_body": "Univerzita Karlova",
        "date_of_issuing": "13.03.2026",
        "learning_outcomes": "Compute a scope 1–3 footprint\nExplain the GHG Protocol",
        "ects": "1,5",
        "eqf_level": "EQF 6",
        "assessment_type": "Project and oral defence",
        "participation_form": "On-site",
        "quality_assurance": "Internal QA of the Faculty of Science",
        "supervision": "Supervised onsite with identity verification",
        "stackability": "Stand-alone",
        "isced_f": "0521",
        "languages": "en, cs",
        "contact_email": "mc@cuni.cz",
    }
    base.update(over)
    return base


def workbook(path: Path, rows: list[dict]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Credentials"
    ws.append(HEADERS)
    for r in rows:
        ws.append([r.get(f.name) for f in FIELDS])
    wb.save(path)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ImportInvalid) as exc:
        read_credentials_file(path, known_providers=KNOWN, **LIMITS)
    return [str(p) for p in exc.value.problems]


def test_a_workbook_as_people_fill_it_is_read_as_meant(tmp_path):
    rows = [
        row(),
        row(
            reference="UW-MC-2",
            provider="Uniwersytet Warszawski",
            awarding_body="Uniwersytet Warszawski",
            country="PL",
            date_of_issuing=datetime(2026, 3, 2),
            supervision="supervised-online-with-id",
            participation_form="ONLINE",
            stackability="Stackable towards another credential",
        ),
        row(reference="UHEI-MC-3", provider="Universität Heidelberg", country="DE"),
        row(reference="UPA-MC-4", provider="Université Paris-Panthéon-Assas", country="FR"),
        row(reference="UCPH-MC-5", provider="Københavns Universitet", country="DK"),
    ]
    creds = read_credentials_file(
        workbook(tmp_path / "v.xlsx", rows), known_providers=KNOWN, **LIMITS
    )
    assert [c.provider for c in creds] == ["CUNI", "UW", "UHEI", "UPA", "UCPH"]
    first, second = creds[0], creds[1]
    assert first.date_of_issuing == date(2026, 3, 13) and first.ects == Decimal("1.5")
    assert first.supervision == "supervised_onsite_with_id"
    assert first.participation_form == "onsite" and first.stackability == "stand_alone"
    assert second.date_of_issuing == date(2026, 3, 2)
    assert second.supervision == "supervised_online_with_id"
    assert second.participation_form == "online" and second.stackability == "stackable"


def test_a_workbook_with_values_that_are_not_values_is_refused_cell_by_cell(tmp_path):
    rows = [
        row(title="#N/A"),  # openpyxl writes it as an error cell
        row(reference="CUNI-MC-3", region=True, awarding_body="#REF!"),
        row(reference="CUNI-MC-4", date_of_issuing="02/03/2026", ects="1,000"),
        row(reference="CUNI-MC-5", further_information="x" * 4001, title="T" * 401),
        row(reference="CUNI-MC-6", learning_outcomes="O" * 400_000),
    ]
    path = workbook(tmp_path / "bad.xlsx", rows)
    ws = load_workbook(path)["Credentials"]
    assert ws[f"{COLUMN['title']}2"].data_type == "e"
    problems = problems_of(path)
    c = COLUMN
    expected = [
        f"Credentials!{c['title']}2: Title: '#N/A' is a spreadsheet error",
        f"Credentials!{c['region']}3: Region of the issuer: expected text, not TRUE/FALSE",
        f"Credentials!{c['awarding_body']}3: Awarding body: '#REF!' is a spreadsheet error",
        f"Credentials!{c['date_of_issuing']}4: Date of issuing: ambiguous date '02/03/2026':"
        " write 2026-03-02 or 2026-02-03",
        f"Credentials!{c['ects']}4: ECTS: '1,000' is ambiguous",
        f"Credentials!{c['title']}5: Title: is 401 characters long; the limit is 400",
        f"Credentials!{c['further_information']}5: Further information: is 4,001 characters"
        " long; the limit is 4,000",
        # (a cell holds 32,767 characters at most: the rest is lost when the file is written)
        f"Credentials!{c['learning_outcomes']}6: Learning outcomes: 'OOOOO",
    ]
    for want in expected:
        assert any(p.startswith(want) for p in problems), (want, problems)
    assert len(problems) == len(expected)
    assert "the limit is 1,000" in problems[-1]


def test_a_json_file_with_values_that_are_not_values_is_refused_at_their_paths(tmp_path):
    items = [
        row(title="#N/A", grading=False),
        row(
            reference="CUNI-MC-2",
            learning_outcomes=[{"text": "Compute a scope 1–3 footprint"}],
            prerequisites={"en": "none"},
        ),
        row(reference="CUNI-MC-3", title="Carbon\u0000accounting", contact_name="A\u0007B"),
        # (a lone surrogate escape is refused by the JSON reader itself, before the values)
        row(
            reference="CUNI-MC-4",
            further_information="esc \u001b[31m red",
            region="North\u0085West",
        ),
        row(reference="CUNI-MC-5", date_of_issuing="01.09.2026", ects="2,500"),
        row(reference="CUNI-MC-6", provider="Charles Univ.", supervision="proctored"),
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    problems = problems_of(path)
    expected = [
        "$[0].title: '#N/A' is a spreadsheet error",
        "$[0].grading: expected text, not TRUE/FALSE",
        "$[1].prerequisites: expected a single value, not an object",
        "$[1].learning_outcomes: item 1: expected text, not an object",
        "$[2].title: contains a control character U+0000",
        "$[2].contact_name: contains a control character U+0007",
        "$[3].region: contains a control character U+0085",
        "$[3].further_information: contains a control character U+001B",
        "$[4].date_of_issuing: ambiguous date '01.09.2026': write 2026-09-01 or 2026-01-09",
        "$[4].ects: '2,500' is ambiguous",
        "$[5].provider: 'Charles Univ.' is neither an institution code nor the name",
        "$[5].supervision: 'proctored' is not one of: Unsupervised with no identity verification",
    ]
    for want in expected:
        assert any(p.startswith(want) for p in problems), (want, problems)
    assert len(problems) == len(expected)


def test_a_json_file_as_people_write_it_is_read_as_meant(tmp_path):
    items = [
        row(provider="University of Milan", country="IT", qf_ehea_cycle="First cycle"),
        row(reference="UNIGE-1", provider="Université de Genève", country="CH", ects=2.5),
        row(reference="SU-1", provider="sorbonne universite", country="FR"),
    ]
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    creds = read_credentials_file(path, known_providers=KNOWN, **LIMITS)
    assert [c.provider for c in creds] == ["UNIMI", "UNIGE", "SU"]
    assert creds[0].qf_ehea_cycle == "first"


def test_the_templates_drop_downs_show_words_that_are_read_back(tmp_path):
    path = write_template(tmp_path / "t.xlsx", providers=sorted(KNOWN))
    wb = load_workbook(path)
    lists = wb["Lists"]
    offered = {
        col[0].value: [c.value for c in col[1:] if c.value is not None] for col in lists.iter_cols()
    }
    assert offered["supervision"] == [
        "Unsupervised with no identity verification",
        "Supervised with no identity verification",
        "Supervised online with identity verification",
        "Supervised onsite with identity verification",
    ]
    assert offered["participation_form"] == ["Online", "Onsite", "Blended"]
    assert offered["stackability"] == ["Stand-alone", "Stackable towards another credential"]
    assert "Charles University (CUNI)" in offered["provider"]
    assert not any("_" in v for values in offered.values() for v in values)
    for dv in wb["Credentials"].data_validations.dataValidation:
        assert len(dv.error or "") <= 255  # Excel refuses a longer message
    # each word of every drop-down, filled in as a person picks it, is read back
    ws = wb["Credentials"]
    base = row()
    count = max(len(v) for v in offered.values())
    for i in range(count):
        values = dict(base, reference=f"REF-{i}")
        for name, words in offered.items():
            values[name] = words[i % len(words)]
        values["country"] = "CZ"
        for col, spec in enumerate(FIELDS, start=1):
            ws.cell(row=2 + i, column=col, value=values.get(spec.name))
    wb.save(path)
    creds = read_credentials_file(path, known_providers=KNOWN, **LIMITS)
    assert len(creds) == count
    assert {c.supervision for c in creds} == {
        "unsupervised_no_id",
        "supervised_no_id",
        "supervised_online_with_id",
        "supervised_onsite_with_id",
    }
    assert {c.provider for c in creds} == KNOWN
