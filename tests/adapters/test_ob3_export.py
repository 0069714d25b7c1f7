"""Open Badges 3.0 export: every shipped sample credential, decided as approved, approved with
conditions and (read later) expired, gives an AchievementCredential that passes the official schema
and defines every term; the official samples pass the same validator; broken documents fail it."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from qa_engine.adapters.badge_validate import check_ob3, ob3_problems
from qa_engine.adapters.ob3_export import (
    ECTS_CONCEPT,
    achievement,
    achievement_credential,
)
from qa_engine.config import packaged
from qa_engine.domain.decision_record import DecisionRecord, ExportInvalid
from qa_engine.domain.outcomes import Outcome
from tests.interop_fixtures import sample_credential, sample_record

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "formats"
N_CREDENTIALS = len(json.loads(packaged("qa_engine.samples", "credentials.json").read_text()))
ISSUED = datetime(2026, 10, 2, 8, 0, tzinfo=UTC)

VARIANTS: dict[str, dict[str, Any]] = {
    "approved": {},
    "with_conditions": {
        "outcome": Outcome.APPROVED_WITH_CONDITIONS,
        "conditions": ("Publish the assessment rubric before the first cohort.",),
    },
    "expired": {"as_of": date(2030, 1, 1)},
}


def _record(index: int, variant: str) -> DecisionRecord:
    return sample_record(credential=sample_credential(index), **VARIANTS[variant])


def _credential(**over: Any) -> dict[str, Any]:
    return achievement_credential(sample_record(**over), issued_at=ISSUED)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("index", range(N_CREDENTIALS))
def test_every_sample_credential_exports_a_valid_badge(index: int, variant: str) -> None:
    record = _record(index, variant)
    doc = achievement_credential(record, issued_at=ISSUED)
    assert ob3_problems(doc) == []
    ach = doc["credentialSubject"]["achievement"]
    cred = record.credential
    assert ach["achievementType"] == "MicroCredential"
    assert ach["humanCode"] == cred.reference
    assert ach["inLanguage"] == cred.languages[0]
    urls = [a["targetUrl"] for a in ach["alignment"]]
    assert f"http://data.europa.eu/snb/eqf/{cred.eqf_level}" in urls
    assert f"http://data.europa.eu/snb/isced-f/{cred.isced_f}" in urls
    for uri in cred.esco_skills:
        assert uri in urls
    codes = {(a["targetFramework"], a.get("targetCode")) for a in ach["alignment"]}
    for ref in cred.digcomp:
        assert ("DigComp 2.2", ref.split("-", 1)[1]) in codes
    for ref in cred.greencomp:
        assert ("GreenComp", ref.split("-", 1)[1]) in codes


def test_the_official_samples_pass_the_validator() -> None:
    for name in ("simple.json", "complete.json"):
        doc = json.loads((SAMPLES / name).read_text("utf-8"))
        assert ob3_problems(doc) == [], name


def test_ects_are_stated_truthfully_never_as_credit_hours() -> None:
    doc = _credential()
    ach = doc["credentialSubject"]["achievement"]
    assert "creditsAvailable" not in ach
    assert "4 ECTS credits (European Credit Transfer and Accumulation System)" in ach["description"]
    ects = [a for a in ach["alignment"] if a["targetUrl"] == ECTS_CONCEPT]
    assert len(ects) == 1 and ects[0]["targetCode"] == "4"


def test_credential_envelope() -> None:
    doc = _credential()
    assert doc["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert doc["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert doc["id"].startswith("urn:uuid:")
    assert doc["id"] == _credential()["id"]  # deterministic
    other = achievement_credential(sample_record(), issued_at=ISSUED, learner_name="Jan Novák")
    assert other["id"] != doc["id"]
    assert doc["issuer"]["type"] == ["Profile"] and doc["issuer"]["id"] == "https://cuni.cz"
    assert doc["validFrom"] == "2026-10-02T08:00:00Z"
    assert doc["validUntil"] == "2029-09-30T23:59:59Z"
    assert "fictitious" in doc["description"]
    subject = doc["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == "Sample Learner"
    assert doc["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"
    assert subject["achievement"]["id"].startswith(
        "https://qa.4euplus.eu/decisions/QA-2026-000042-R1/"
    )


def test_conditions_and_expiry_are_said() -> None:
    cond = _credential(**VARIANTS["with_conditions"])["credentialSubject"]["achievement"]
    assert "approved with conditions" in cond["description"]
    said = cond["description"]
    assert "Conditions: Publish the assessment rubric before the first cohort." in said
    assert "cohort.." not in said
    expired = _credential(as_of=date(2030, 1, 1))["credentialSubject"]["achievement"]
    assert "expired on 2029-09-30" in expired["description"]
    current = _credential()["credentialSubject"]["achievement"]
    assert "expired" not in current["description"]


@pytest.mark.parametrize("outcome", [Outcome.REJECTED, Outcome.REVISION_REQUESTED])
def test_a_refused_decision_has_no_achievement(outcome: Outcome) -> None:
    record = sample_record(outcome=outcome)
    with pytest.raises(ExportInvalid) as err:
        achievement(record)
    assert err.value.where == "outcome"
    assert "only an approved micro-credential" in err.value.reason
    with pytest.raises(ExportInvalid):
        achievement_credential(record, issued_at=ISSUED)


def test_a_naive_issue_time_is_refused() -> None:
    with pytest.raises(ExportInvalid) as err:
        achievement_credential(sample_record(), issued_at=datetime(2026, 10, 2))
    assert err.value.where == "issued_at"


def _broken(change: Any) -> list[str]:
    doc = copy.deepcopy(_credential())
    change(doc)
    return ob3_problems(doc)


def test_broken_documents_fail() -> None:
    problems = _broken(lambda d: d.pop("issuer"))
    assert "$: 'issuer' is a required property" in problems

    problems = _broken(lambda d: d.update(type=["VerifiableCredential"]))
    assert any(p.startswith("$.type:") for p in problems)

    problems = _broken(lambda d: d.update(validFrom="2026-13-45T00:00:00Z"))
    assert any(p.startswith("$.validFrom:") and "date-time" in p for p in problems)

    problems = _broken(lambda d: d["credentialSubject"]["achievement"].pop("criteria"))
    assert "$.credentialSubject.achievement: 'criteria' is a required property" in problems

    problems = _broken(lambda d: d["credentialSubject"]["achievement"].update(creditsECTS=4))
    assert problems == [
        "$.credentialSubject.achievement.creditsECTS: 'creditsECTS' is not a term of the VC v2"
        " or OB 3.0 contexts (JSON-LD processors drop it)"
    ]


def test_an_unknown_context_is_named_not_fetched() -> None:
    doc = _credential()
    doc["@context"].append("https://example.org/contexts/extra.json")
    problems = ob3_problems(doc)
    assert (
        "$: not a JSON-LD document the OB 3.0 contexts can read: the context"
        " https://example.org/contexts/extra.json is not one of the vendored ones"
    ) in problems


def test_terms_are_checked_beside_an_embedded_language_map() -> None:
    doc = _credential()
    doc["@context"].append({"titles": {"@id": "https://example.org/t", "@container": "@language"}})
    doc["titles"] = {"en": "Carbon accounting", "cs": "Uhlíkové účetnictví"}
    assert ob3_problems(doc) == []
    doc["credentialSubject"]["creditsECTS"] = 4
    assert ob3_problems(doc) == [
        "$..creditsECTS: 'creditsECTS' is not a term of the VC v2 or OB 3.0 contexts"
        " (JSON-LD processors drop it)"
    ]


def test_official_sample_without_its_type_or_issuer_fails() -> None:
    doc = json.loads((SAMPLES / "simple.json").read_text("utf-8"))
    no_type = copy.deepcopy(doc)
    no_type["type"] = ["VerifiableCredential"]
    assert ob3_problems(no_type)
    doc.pop("issuer")
    assert ob3_problems(doc)


def test_check_ob3_raises_with_the_path() -> None:
    doc = _credential()
    del doc["validFrom"]
    with pytest.raises(ExportInvalid) as err:
        check_ob3(doc)
    assert err.value.where == "$"
    assert "'validFrom' is a required property" in err.value.reason
    check_ob3(_credential())
