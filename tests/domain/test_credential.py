"""Credential validation: messy human input accepted, every problem named."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from qa_engine.domain.credential import CredentialInvalid, parse_credential

SAMPLES = Path(__file__).resolve().parents[2] / "qa_engine" / "samples" / "credentials.json"


def good(**over):
    base = {
        "reference": "CUNI-MC-1",
        "provider": "CUNI",
        "title": "Carbon accounting for small firms",
        "learner_identification": "Full name, date of birth, student number",
        "country": "CZ",
        "awarding_body": "Univerzita Karlova",
        "date_of_issuing": "2026-09-01",
        "learning_outcomes": "Compute a scope 1–3 footprint\nExplain the GHG Protocol",
        "ects": 5,
        "eqf_level": 6,
        "assessment_type": "Project and oral defence",
        "participation_form": "blended",
        "quality_assurance": "Internal QA of the Faculty of Science",
        "isced_f": "0521",
        "languages": "en, cs",
        "contact_email": "mc@cuni.cz",
    }
    base.update(over)
    return base


def test_samples_all_parse():
    items = json.loads(SAMPLES.read_text(encoding="utf-8"))
    creds = [parse_credential(i) for i in items]
    assert len(creds) >= 8
    assert len({c.provider for c in creds}) >= 6


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5,0", Decimal("5.0")),
        ("5.0", Decimal("5.0")),
        (" 2,5 ", Decimal("2.5")),
        (4, Decimal("4.0")),
        ("6 ECTS", Decimal("6.0")),
    ],
)
def test_ects_as_people_type_it(raw, expected):
    assert parse_credential(good(ects=raw)).ects == expected


@pytest.mark.parametrize("raw", ["6", "EQF 6", "Level 6", "level6", 6, 6.0, " eqf-6 "])
def test_eqf_as_people_type_it(raw):
    assert parse_credential(good(eqf_level=raw)).eqf_level == 6


@pytest.mark.parametrize(
    "raw", ["2026-09-01", "2026/09/01", "2026-09-01T00:00:00", date(2026, 9, 1)]
)
def test_dates(raw):
    assert parse_credential(good(date_of_issuing=raw)).date_of_issuing == date(2026, 9, 1)


def test_outcomes_one_per_line_with_bullets_and_spaces():
    cred = parse_credential(
        good(
            learning_outcomes=(
                "  • Compute a scope 1–3 footprint \r\n\r\n2) Explain the GHG Protocol  "
            )
        )
    )
    assert cred.learning_outcomes == ["Compute a scope 1–3 footprint", "Explain the GHG Protocol"]


def test_competences_and_languages_normalised():
    cred = parse_credential(
        good(digcomp="1.2, DigComp 4.4", greencomp="GreenComp-2.1", languages="EN\nfr")
    )
    assert cred.digcomp == ["DigComp-1.2", "DigComp-4.4"]
    assert cred.greencomp == ["GreenComp-2.1"]
    assert cred.languages == ["en", "fr"]


def test_every_problem_is_named_not_just_the_first():
    with pytest.raises(CredentialInvalid) as err:
        parse_credential(
            good(
                ects="five",
                eqf_level="EQF 9",
                country="Czechia",
                contact_email="nobody",
                digcomp="9.9",
                participation_form="by pigeon",
                title=None,
                extra="x",
            )
        )
    fields = {p.field for p in err.value.problems}
    assert fields == {
        "ects",
        "eqf_level",
        "country",
        "contact_email",
        "digcomp",
        "participation_form",
        "title",
        "extra",
    }


def test_boolean_is_not_a_number():
    with pytest.raises(CredentialInvalid) as err:
        parse_credential(good(ects=True, eqf_level=True))
    assert {p.field for p in err.value.problems} == {"ects", "eqf_level"}


def test_workload_hours_must_match_ects():
    with pytest.raises(CredentialInvalid) as err:
        parse_credential(good(ects=5, workload_hours=40))
    assert "does not match" in str(err.value)
    assert parse_credential(good(ects=5, workload_hours=140)).workload_hours == 140


def test_content_hash_tracks_content():
    a = parse_credential(good())
    assert parse_credential(good()).content_hash == a.content_hash
    assert parse_credential(good(title="Other")).content_hash != a.content_hash


def test_unknown_provider_when_known_list_given():
    with pytest.raises(CredentialInvalid) as err:
        parse_credential(good(provider="MIT"), known_providers={"CUNI", "UW"})
    assert "unknown institution 'MIT'" in str(err.value)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), [5], {"v": 5}])
def test_non_finite_or_structured_numbers_are_problems_not_crashes(bad):
    with pytest.raises(CredentialInvalid) as err:
        parse_credential(
            good(ects=bad, workload_hours=bad, title=["a"] if not isinstance(bad, float) else "T")
        )
    assert "ects" in {p.field for p in err.value.problems}


@pytest.mark.parametrize(
    ("given", "kept"),
    [("003", "003"), ("061", "061"), ("104", "104")]
    + [("613", "0613"), ("188", "0188"), ("06", "06")],
)
def test_isced_narrow_codes_are_kept_and_dropped_zeros_restored(given, kept):
    """A three-digit narrow field (003, 061, 104) is a code of its own; 613 is 0613 whose leading
    zero a spreadsheet dropped."""
    assert parse_credential(good(isced_f=given)).isced_f == kept
