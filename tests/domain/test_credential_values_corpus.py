"""A fixed corpus of values people put into credential files (issue 14): each is either read as what
was meant or refused with a message that says why, never stored wrongly."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from qa_engine.domain.credential import FIELDS, CredentialInvalid, parse_credential
from qa_engine.domain.institutions import ALLIANCE_NAMES
from tests.domain.test_credential import good

KNOWN = set(ALLIANCE_NAMES)


def refusal(field, value):
    """The one problem a credential with this value has: (field, message)."""
    with pytest.raises(CredentialInvalid) as exc:
        parse_credential(good(**{field: value}), known_providers=KNOWN)
    problems = exc.value.problems
    assert len(problems) == 1, problems
    assert problems[0].field == field
    message = problems[0].message
    for python_name in ("dict", "NoneType", "bool", "Traceback", "str object", "tuple"):
        assert python_name not in message
    return message


# ----------------------------------------------------------------------- accepted: what was meant

ACCEPTED = [
    # institutions: codes, English names, names in their own language, any case/accents/spaces
    ("provider", "Charles University", "CUNI"),
    ("provider", "Univerzita Karlova", "CUNI"),
    ("provider", "  univerzita   KARLOVA ", "CUNI"),
    ("provider", "Uniwersytet Warszawski", "UW"),
    ("provider", "Uniwersytet Warszawski".upper(), "UW"),
    ("provider", "Université Paris-Panthéon-Assas", "UPA"),
    ("provider", "Universite Paris Pantheon Assas", "UPA"),
    ("provider", "Universität Heidelberg", "UHEI"),
    ("provider", "Ruprecht-Karls-Universität Heidelberg", "UHEI"),
    ("provider", "Ruprecht Karls Universitat Heidelberg", "UHEI"),
    ("provider", "Sorbonne Université", "SU"),
    ("provider", "Københavns Universitet", "UCPH"),
    ("provider", "Kobenhavns Universitet", "UCPH"),
    ("provider", "University of Copenhagen", "UCPH"),
    ("provider", "Università degli Studi di Milano", "UNIMI"),
    ("provider", "University of Milan", "UNIMI"),
    ("provider", "Université de Genève", "UNIGE"),
    ("provider", "University of Geneva", "UNIGE"),
    ("provider", "Charles University (CUNI)", "CUNI"),  # what the template's drop-down shows
    # the EU's own words for closed values, and common variants
    ("supervision", "Supervised onsite with identity verification", "supervised_onsite_with_id"),
    ("supervision", "supervised on-site with identity verification", "supervised_onsite_with_id"),
    ("supervision", "Supervised online with identity verification", "supervised_online_with_id"),
    ("supervision", "Unsupervised with no identity verification", "unsupervised_no_id"),
    ("supervision", "unsupervised without identity verification", "unsupervised_no_id"),
    ("supervision", "Supervised with no identity verification.", "supervised_no_id"),
    ("stackability", "Stackable towards another credential", "stackable"),
    ("qf_ehea_cycle", "First cycle", "first"),
    ("qf_ehea_cycle", "second-cycle", "second"),
    ("qf_ehea_cycle", "Short cycle", "short"),
]

# what was read as meant before, and still is (controls: these pass on the old code too)
STILL_ACCEPTED = [
    ("provider", "CUNI", "CUNI"),
    ("provider", "cuni", "CUNI"),
    ("supervision", "SUPERVISED_ONSITE_WITH_ID", "supervised_onsite_with_id"),
    ("supervision", "supervised-online-with-id", "supervised_online_with_id"),
    ("participation_form", "Onsite", "onsite"),
    ("participation_form", "on-site", "onsite"),
    ("participation_form", "On site", "onsite"),
    ("participation_form", "ONLINE", "online"),
    ("participation_form", "Blended", "blended"),
    ("participation_form", "hybrid", "blended"),
    ("stackability", "Stand-alone", "stand_alone"),
    ("stackability", "standalone", "stand_alone"),
    ("stackability", "stand alone", "stand_alone"),
    ("stackability", "STACKABLE", "stackable"),
    ("qf_ehea_cycle", "third", "third"),
    ("date_of_issuing", "2026-03-02", date(2026, 3, 2)),
    ("date_of_issuing", datetime(2026, 3, 2, 0, 0), date(2026, 3, 2)),
    ("date_of_issuing", "13.03.2026", date(2026, 3, 13)),
    ("date_of_issuing", "13/03/2026", date(2026, 3, 13)),
    ("date_of_issuing", "31.12.2026", date(2026, 12, 31)),
    ("date_of_issuing", "02/02/2026", date(2026, 2, 2)),
    ("date_of_issuing", "7.7.2026", date(2026, 7, 7)),
    ("ects", "1,5", Decimal("1.5")),
    ("ects", "5,0", Decimal("5.0")),
    ("ects", "2.5 ECTS", Decimal("2.5")),
    ("ects", "0,500", Decimal("0.5")),
    ("workload_hours", "1 250", None),  # 1250 hours does not match 5 ECTS: see below
    ("further_information", "Line one\n\tindented line two", "Line one\n\tindented line two"),
    ("title", "Économie circulaire – niveau 1", "Économie circulaire – niveau 1"),
    ("title", "Title\r\n", "Title"),
]


@pytest.mark.parametrize(
    ("field", "raw", "expected"), ACCEPTED, ids=[f"{a[0]}={a[1]!r}" for a in ACCEPTED]
)
def test_accepted_as_meant(field, raw, expected):
    cred = parse_credential(good(**{field: raw}), known_providers=KNOWN)
    assert getattr(cred, field) == expected


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [a for a in STILL_ACCEPTED if a[2] is not None],
    ids=[f"{a[0]}={a[1]!r}" for a in STILL_ACCEPTED if a[2] is not None],
)
def test_still_accepted(field, raw, expected):
    cred = parse_credential(good(**{field: raw}), known_providers=KNOWN)
    assert getattr(cred, field) == expected


def test_still_accepted_a_space_as_thousands_separator():
    cred = parse_credential(good(ects=50, workload_hours="1 250"), known_providers=KNOWN)
    assert cred.workload_hours == 1250


# ----------------------------------------------------------------------- refused: why, and where

ERRORS = ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#n/a", " #N/A "]


@pytest.mark.parametrize("raw", ERRORS)
@pytest.mark.parametrize("field", ["title", "awarding_body", "contact_name", "provider", "ects"])
def test_spreadsheet_errors_are_refused(field, raw):
    message = refusal(field, raw)
    assert "spreadsheet error" in message and raw.strip() in message


@pytest.mark.parametrize("raw", [True, False])
@pytest.mark.parametrize(
    "field",
    ["title", "assessment_type", "region", "provider", "supervision", "learning_outcomes"],
)
def test_true_and_false_are_not_text(field, raw):
    message = refusal(field, raw)
    assert "true/false" in message.lower()


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("learning_outcomes", [{"text": "Explain the GHG Protocol in detail"}]),
        ("learning_outcomes", {"text": "Explain the GHG Protocol in detail"}),
        ("learning_outcomes", [["Explain the GHG Protocol in detail"]]),
        ("languages", [{"code": "en"}]),
        ("title", {"en": "Carbon accounting"}),
        ("esco_skills", [True]),
    ],
)
def test_objects_and_lists_where_text_is_expected_are_refused(field, raw):
    message = refusal(field, raw)
    assert "object" in message or "list" in message or "true/false" in message.lower()


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        ("Carbon\x00accounting", "U+0000"),
        ("Carbon\x07accounting", "U+0007"),
        ("Carbon\x1b[31maccounting", "U+001B"),
        ("Carbon\x7faccounting", "U+007F"),
        ("Carbon\x85accounting", "U+0085"),
        ("Carbon\x9baccounting", "U+009B"),
        ("Carbon\ud800accounting", "U+D800"),
        ("Carbon\ufffeaccounting", "U+FFFE"),
        ("Carbon\ufdd0accounting", "U+FDD0"),
        ("Carbon\U0010ffffaccounting", "U+10FFFF"),
        ("Carbon\naccounting", "line break"),
        ("Carbon\taccounting", "tab"),
    ],
)
def test_control_characters_surrogates_and_noncharacters_are_refused(raw, what):
    assert what in refusal("title", raw)


@pytest.mark.parametrize("field", ["learning_outcomes", "further_information", "assessment_type"])
def test_control_characters_are_refused_in_multi_line_text_too(field):
    raw = "Compute a scope 1–3 footprint\x00\nExplain the GHG Protocol"
    assert "U+0000" in refusal(field, raw)


def test_every_text_field_has_a_cap_and_says_so():
    for spec in FIELDS:
        assert spec.max_length > 0
        if spec.multi:
            assert spec.max_items > 0, spec.name
    title = next(s for s in FIELDS if s.name == "title")
    assert title.max_length <= 400  # Credential.title is VARCHAR(400)


@pytest.mark.parametrize(
    ("field", "raw", "limit"),
    [
        ("title", "T" * 401, "400"),
        ("title", "T" * 28_000_000, "400"),
        ("awarding_body", "A" * 401, "400"),
        ("further_information", "F" * 4001, "4,000"),
        ("assessment_type", "x" * 2001, "2,000"),
        ("learning_outcomes", "O" * 400_000, "1,000"),
        ("learning_outcomes", ["O" * 1001], "1,000"),
        ("learning_outcomes", "\n".join(f"Outcome number {i}" for i in range(51)), "50"),
        ("contact_name", "N" * 201, "200"),
        ("contact_email", "a" * 250 + "@x.eu", "254"),
        ("esco_skills", ["http://data.europa.eu/esco/skill/x"] * 101, "100"),
    ],
)
def test_long_texts_are_refused_with_the_limit(field, raw, limit):
    message = refusal(field, raw)
    assert re.search(rf"the limit is (\d+ items of )?{limit}\b", message), message
    assert len(message) < 300


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("02/03/2026", "ambiguous date '02/03/2026': write 2026-03-02 or 2026-02-03"),
        ("02.03.2026", "ambiguous date '02.03.2026': write 2026-03-02 or 2026-02-03"),
        ("01.09.2026", "ambiguous date '01.09.2026': write 2026-09-01 or 2026-01-09"),
        ("03/15/2026", "write 2026-03-15"),
        (46000, "is a number, not a date"),
    ],
)
def test_dates_that_could_be_read_two_ways_are_refused(raw, expected):
    assert expected in refusal("date_of_issuing", raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,000", "'1,000' is ambiguous: 1000 with a thousands separator, or 1.000 with a decimal"),
        ("1.000", "'1.000' is ambiguous"),
        ("2,500", "write 2500 or 2.5"),
    ],
)
def test_ambiguous_and_bad_numbers_are_refused(raw, expected):
    assert expected in refusal("ects", raw)


def test_a_huge_number_of_hours_is_refused_without_printing_it():
    message = refusal("workload_hours", "9" * 30)
    assert "more than a year of study" in message


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("provider", "Charles Univ.", "neither an institution code nor the name"),
        ("provider", "Heidelberg University (CUNI)", "neither an institution code nor the name"),
        ("supervision", "proctored", "is not one of: Unsupervised with no identity verification"),
        ("participation_form", "by post", "is not one of: Online, Onsite, Blended"),
        ("stackability", "maybe", "is not one of: Stand-alone, Stackable towards another"),
    ],
)
def test_unknown_names_and_words_are_refused_with_the_choices(field, raw, expected):
    assert expected in refusal(field, raw)


def test_a_date_cell_where_text_is_expected_is_refused():
    assert "not the date 2026-03-02" in refusal("title", datetime(2026, 3, 2))


# refused before, and still refused (controls: these pass on the old code too)
STILL_REFUSED = [
    ("ects", True, "true/false"),
    ("title", ["Carbon accounting"], "not a list"),
    ("date_of_issuing", "31.02.2026", "is not a date"),
    ("date_of_issuing", "2026-02-30", "is not a date"),
    ("date_of_issuing", "2/3/26", "is not a date"),
    ("date_of_issuing", "next monday", "is not a date"),
    ("ects", "1,000.5", "is not a number"),
    ("ects", "lots", "is not a number"),
    ("ects", "NaN", "is not a number"),
    ("provider", "OXFORD", "unknown institution 'OXFORD'"),
]


@pytest.mark.parametrize(("field", "raw", "expected"), STILL_REFUSED)
def test_still_refused(field, raw, expected):
    assert expected in refusal(field, raw)
