"""DEQAR-shaped report record: every sample credential gives a record that passes the schema; the
decision codes follow the outcome; a missing DEQAR identifier names the interop-profile key."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from qa_engine.adapters.badge_validate import check_deqar, deqar_problems
from qa_engine.adapters.deqar_export import report_language, report_record
from qa_engine.config import packaged
from qa_engine.domain.decision_record import ExportInvalid
from qa_engine.domain.outcomes import Outcome
from tests.interop_fixtures import PROVIDERS, QA_OFFICE, sample_credential, sample_record

N_CREDENTIALS = len(json.loads(packaged("qa_engine.samples", "credentials.json").read_text()))

VARIANTS: dict[str, dict[str, Any]] = {
    "approved": {},
    "with_conditions": {
        "outcome": Outcome.APPROVED_WITH_CONDITIONS,
        "conditions": ("Publish the assessment rubric before the first cohort.",),
    },
    "expired": {"as_of": date(2030, 1, 1)},
    "rejected": {"outcome": Outcome.REJECTED},
    "revision": {"outcome": Outcome.REVISION_REQUESTED},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("index", range(N_CREDENTIALS))
def test_every_sample_credential_gives_a_valid_record(index: int, variant: str) -> None:
    record = sample_record(credential=sample_credential(index), **VARIANTS[variant])
    doc = report_record(record)
    assert deqar_problems(doc) == []
    cred = record.credential
    (programme,) = doc["programmes"]
    assert programme["name_primary"] == cred.title
    assert programme["degree_outcome"] == "2"
    assert programme["assessment_certification"] == "2"
    assert programme["workload_ects"] == int(cred.ects)
    assert programme["field_study"] == cred.isced_f
    assert programme.get("learning_outcomes", []) == cred.esco_skills
    cycle = {"short": "0", "first": "1", "second": "2", "third": "3"}
    expected = cycle[cred.qf_ehea_cycle] if cred.qf_ehea_cycle else str(cred.eqf_level - 5)
    assert programme["qf_ehea_level"] == expected


@pytest.mark.parametrize(
    ("outcome", "decision"),
    [
        (Outcome.APPROVED, "1"),
        (Outcome.APPROVED_WITH_CONDITIONS, "2"),
        (Outcome.REJECTED, "3"),
        (Outcome.REVISION_REQUESTED, "4"),
    ],
)
def test_decision_codes(outcome: Outcome, decision: str) -> None:
    doc = report_record(sample_record(outcome=outcome))
    assert doc["decision"] == decision
    if outcome in (Outcome.REJECTED, Outcome.REVISION_REQUESTED):
        assert "valid_to" not in doc  # DEQAR's default applies
    else:
        assert doc["valid_to"] == "2029-09-30"


def test_record_fields() -> None:
    doc = report_record(sample_record())
    assert doc["agency"] == "99"
    assert doc["activities"] == [{"id": "42"}]
    assert doc["status"] == "2"
    assert doc["valid_from"] == "2026-10-01"
    assert doc["date_format"] == "%Y-%m-%d"
    assert doc["institutions"] == [{"deqar_id": "DEQARINST0011"}]
    assert doc["local_identifier"] == "QA-2026-000042-R1"
    assert doc["report_links"][0]["link"] == "https://qa.4euplus.eu/decisions/QA-2026-000042-R1"
    (file,) = doc["report_files"]
    assert file["original_location"].endswith("/QA-2026-000042-R1/report.pdf")
    assert file["report_language"] == ["eng"]
    assert "approved, valid until 2029-09-30" in doc["summary"]
    assert "other_comment" not in doc


def test_report_language_is_iso_639_2b() -> None:
    doc = report_record(sample_record(report_language="de"))
    assert doc["report_files"][0]["report_language"] == ["ger"]
    assert report_language("cs") == "cze"
    with pytest.raises(ExportInvalid) as err:
        report_record(sample_record(report_language="xx"))
    assert err.value.where == "report_language"


def test_conditions_and_expiry_are_said() -> None:
    doc = report_record(sample_record(**VARIANTS["with_conditions"]))
    assert "Conditions: Publish the assessment rubric before the first cohort." in doc["summary"]
    assert "cohort.." not in doc["summary"]
    assert "1 condition" in doc["other_comment"]
    expired = report_record(sample_record(as_of=date(2030, 1, 1)))
    assert "expired on 2029-09-30" in expired["other_comment"]


def test_eter_id_when_no_deqar_id() -> None:
    provider = dataclasses.replace(PROVIDERS["CUNI"], deqar_id="")
    doc = report_record(sample_record(provider=provider))
    assert doc["institutions"] == [{"eter_id": "CZ0001"}]
    assert deqar_problems(doc) == []


@pytest.mark.parametrize(
    ("over", "key"),
    [
        ({"qa_office": dataclasses.replace(QA_OFFICE, deqar_id="")}, "qa_office.deqar_id"),
        ({"deqar_activity_id": " "}, "deqar_activity_id"),
        (
            {"provider": dataclasses.replace(PROVIDERS["CUNI"], deqar_id="", eter_id="")},
            "institutions.CUNI.deqar_id",
        ),
    ],
)
def test_a_missing_deqar_id_names_the_key(over: dict[str, Any], key: str) -> None:
    with pytest.raises(ExportInvalid) as err:
        report_record(sample_record(**over))
    assert err.value.where == key
    assert key in err.value.reason


def test_fractional_ects_are_rounded_and_said() -> None:
    cred = sample_credential(ects=Decimal("2.5"), workload_hours=70)
    doc = report_record(sample_record(credential=cred))
    assert doc["programmes"][0]["workload_ects"] == 3
    assert "2.5 ECTS credits" in doc["other_comment"]
    assert deqar_problems(doc) == []


def test_eqf_level_without_a_cycle_is_refused() -> None:
    cred = sample_credential(eqf_level=4, qf_ehea_cycle=None)
    with pytest.raises(ExportInvalid) as err:
        report_record(sample_record(credential=cred))
    assert err.value.where == "credential.qf_ehea_cycle"


def _broken(change: Any) -> list[str]:
    doc = copy.deepcopy(report_record(sample_record()))
    change(doc)
    return deqar_problems(doc)


def test_broken_records_fail() -> None:
    assert _broken(lambda d: d.update(decision="5")) == [
        "$.decision: '5' is not one of ['1', '2', '3', '4']"
    ]
    assert _broken(lambda d: d.update(decision=1)) != []  # the API refuses numbers here
    assert "$: 'agency' is a required property" in _broken(lambda d: d.pop("agency"))
    assert any(p.startswith("$.valid_to:") for p in _broken(lambda d: d.update(valid_to="30/09")))
    assert any(
        p.startswith("$.valid_from:") for p in _broken(lambda d: d.update(valid_from="2026-02-30"))
    )
    problems = _broken(lambda d: d["programmes"][0].pop("workload_ects"))
    assert problems == ["$.programmes[0]: 'workload_ects' is a required property"]
    assert _broken(lambda d: d.update(institutions=[{}])) == [
        "$.institutions[0]: give one of: deqar_id; eter_id; identifier"
    ]
    assert _broken(lambda d: d.update(activities=[{"id": "42", "group": "3"}])) == [
        "$.activities[0]: give only one of: id; local_identifier; group"
    ]
    assert _broken(lambda d: d.update(agencyy="99")) == [
        "$: Additional properties are not allowed ('agencyy' was unexpected)"
    ]


def test_a_title_deqar_cannot_hold_is_refused() -> None:
    cred = sample_credential(title="Sustainable " * 25)
    with pytest.raises(ExportInvalid) as err:
        report_record(sample_record(credential=cred))
    assert err.value.where == "credential.title"
    assert "255 characters" in err.value.reason


def test_superseded_decision_and_notes_are_said() -> None:
    doc = report_record(
        sample_record(superseded_by="QA-2027-000050-R1", notes=("Reviewed jointly.",))
    )
    assert "Superseded by the later decision QA-2027-000050-R1." in doc["other_comment"]
    assert "Reviewed jointly." in doc["other_comment"]


def test_check_deqar_raises_with_the_path() -> None:
    doc = report_record(sample_record())
    doc["status"] = "3"
    with pytest.raises(ExportInvalid) as err:
        check_deqar(doc)
    assert err.value.where == "$.status"
    check_deqar(report_record(sample_record()))
