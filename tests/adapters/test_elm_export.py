"""The ELM v3 export (Qualification + Accreditation, and a sample issued credential) checked
offline against the official EDC shapes, and its values against the credential."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from qa_engine.adapters import elm_export
from qa_engine.adapters.elm_export import (
    competences_in_words,
    issued_sample,
    qualification_document,
)
from qa_engine.adapters.elm_terms import REFERENCE_SCHEME, parse_note
from qa_engine.adapters.elm_validate import elm_problems
from qa_engine.adapters.eu_vocabularies import known
from qa_engine.config import packaged
from qa_engine.domain.credential import Credential
from qa_engine.domain.decision_record import DecisionRecord, ExportInvalid
from qa_engine.domain.outcomes import Outcome
from tests.interop_fixtures import PROVIDERS, sample_credential, sample_record

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"
ISSUED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
SAMPLES = json.loads(packaged("qa_engine.samples", "credentials.json").read_text("utf-8"))


def _unmappable(cred: Credential) -> str | None:
    """The first field of the credential the EU vocabulary table cannot map, or None."""
    if cred.supervision and not known("supervision", cred.supervision):
        return "supervision"
    if not known("mode", cred.participation_form):
        return "participation_form"
    if not known("country", cred.country):
        return "country"
    if not all(known("language", lang) for lang in cred.languages):
        return "languages"
    return None


def _variants(cred: Credential) -> list[DecisionRecord]:
    """Approved, approved with conditions, and an approval read after its validity ended; each
    with its own report id, so that their documents can be validated together."""
    return [
        sample_record(credential=cred, report_id="QA-2026-000042-R1"),
        sample_record(
            credential=cred,
            outcome=Outcome.APPROVED_WITH_CONDITIONS,
            conditions=("Publish the grading scale", "Add a resit opportunity"),
            report_id="QA-2026-000043-R1",
        ),
        sample_record(credential=cred, as_of=date(2030, 1, 1), report_id="QA-2026-000044-R1"),
    ]


def _together(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several documents as one JSON-LD graph (one SHACL run instead of six)."""
    return {"@context": elm_export.CONTEXT, "@graph": docs}


@pytest.mark.parametrize("index", range(len(SAMPLES)), ids=[s["reference"] for s in SAMPLES])
def test_every_sample_credential_exports_conforming_documents(index: int) -> None:
    cred = sample_credential(index)
    field = _unmappable(cred)
    if field is not None:
        with pytest.raises(ExportInvalid) as err:
            qualification_document(sample_record(credential=cred))
        assert err.value.where == field
        pytest.skip(f"{cred.reference}: the vocabulary table cannot map its {field}")
    docs: list[dict[str, Any]] = []
    for record in _variants(cred):
        docs.append(qualification_document(record))
        docs.append(issued_sample(record, issued_at=ISSUED))
    assert elm_problems(_together(docs)) == []


def test_each_document_conforms_on_its_own() -> None:
    record = sample_record()
    assert elm_problems(qualification_document(record)) == []
    assert elm_problems(issued_sample(record, issued_at=ISSUED)) == []


# --------------------------------------------------------------------------- the validator


def test_the_official_sealed_sample_conforms() -> None:
    sealed = json.loads((FORMATS / "Sample-MC-Annex1-signed.jsonld").read_text("utf-8"))
    assert set(sealed) == {"payload", "signatures"}
    assert elm_problems(sealed) == []


def test_the_official_unsealed_sample_fails_with_the_two_known_results() -> None:
    draft = json.loads((FORMATS / "Sample-MC-Annex1-unsigned.jsonld").read_text("utf-8"))
    problems = elm_problems(draft)
    assert len(problems) == 2, problems
    assert any("cred:issued" in p and "Less than 1" in p for p in problems)
    assert any("IssuerNodeShape" in p and "elm:eidasLegalIdentifier" in p for p in problems)


def _official_payload() -> dict[str, Any]:
    sealed = json.loads((FORMATS / "Sample-MC-Annex1-signed.jsonld").read_text("utf-8"))
    payload: dict[str, Any] = json.loads(sealed["payload"])
    return payload


def test_an_unknown_key_in_the_official_sample_is_found() -> None:
    doc = _official_payload()
    doc["credentialSubject"]["hasClaim"]["specifiedBy"]["ectsCredits"] = 5
    problems = elm_problems(doc)
    assert problems == [
        "$.credentialSubject.hasClaim.specifiedBy.ectsCredits: the key 'ectsCredits' is not a "
        "term of the document's @context, so JSON-LD drops it (misspelt, or a property ELM "
        "does not have)"
    ]


def test_a_document_nested_too_deeply_is_refused_in_words() -> None:
    doc: dict[str, Any] = {"@context": "http://data.europa.eu/snb/model/context/edc-ap"}
    node = doc
    for _ in range(10_000):
        node["additionalNote"] = {}
        node = node["additionalNote"]
    assert elm_problems(doc) == ["$: the document is nested too deeply to be read"]


def test_a_qualification_without_title_fails() -> None:
    doc = qualification_document(sample_record())
    del doc["title"]
    problems = elm_problems(doc)
    assert any("#qualification (elm:Qualification), dc:title: Less than 1" in p for p in problems)


def _every_node(doc: Any, node_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(doc, dict):
        if doc.get("id") == node_id:
            found.append(doc)
        for value in doc.values():
            found.extend(_every_node(value, node_id))
    elif isinstance(doc, list):
        for item in doc:
            found.extend(_every_node(item, node_id))
    return found


def test_an_eqf_level_in_the_wrong_scheme_fails() -> None:
    doc = qualification_document(sample_record())
    nodes = _every_node(doc, "http://data.europa.eu/snb/eqf/7")
    assert len(nodes) == 2  # the Qualification's level and the accreditation's limit
    for node in nodes:
        node["inScheme"] = {"id": "http://data.europa.eu/snb/isced-f/25831c2"}
    problems = elm_problems(doc)
    assert any("elm:EQFLevel" in p and "eqf/25831c2" in p for p in problems), problems
    assert any("elm:limitEQFLevel" in p for p in problems), problems


def test_an_isced_concept_as_eqf_level_fails() -> None:
    doc = qualification_document(sample_record())
    doc["eqfLevel"] = copy.deepcopy(doc["thematicArea"][0])
    problems = elm_problems(doc)
    assert any("elm:EQFLevel" in p and "eqf/25831c2" in p for p in problems), problems


def test_an_unknown_key_fails_with_its_path() -> None:
    doc = qualification_document(sample_record())
    doc["creditPoint"]["points"] = doc["creditPoint"].pop("point")
    problems = elm_problems(doc)
    assert any(p.startswith("$.creditPoint.points: the key 'points'") for p in problems), problems
    assert any("elm:point: Less than 1" in p for p in problems)


def test_an_unknown_type_fails() -> None:
    doc = qualification_document(sample_record())
    doc["type"] = "Qualifikation"
    assert any(p.startswith("$.type: 'Qualifikation'") for p in elm_problems(doc))


def test_an_unknown_context_is_refused_without_the_network() -> None:
    doc = _official_payload()
    doc["@context"] = ["https://example.org/elsewhere.jsonld"]
    problems = elm_problems(doc)
    assert len(problems) == 1
    assert "'https://example.org/elsewhere.jsonld' is not one of the contexts" in problems[0]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([1, 2], "$: an ELM document is a JSON object, not list"),
        ({"title": {"en": "x"}}, "$: no @context"),
        ({"payload": "{not json", "signatures": []}, "$.payload: not JSON"),
        ({"payload": 5, "signatures": []}, "$.payload: a sealed credential's payload"),
    ],
)
def test_what_is_not_an_elm_document_is_refused_in_words(doc: Any, expected: str) -> None:
    problems = elm_problems(doc)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_a_sealed_payload_is_validated() -> None:
    doc = qualification_document(sample_record())
    del doc["title"]
    sealed = {"payload": json.dumps(doc), "signatures": [{"protected": "x", "signature": "y"}]}
    assert any("dc:title" in p for p in elm_problems(sealed))


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("outcome", [Outcome.REJECTED, Outcome.REVISION_REQUESTED])
def test_a_decision_that_does_not_approve_has_no_qualification(outcome: Outcome) -> None:
    record = sample_record(outcome=outcome)
    with pytest.raises(ExportInvalid) as err:
        qualification_document(record)
    assert err.value.where == "outcome"
    assert outcome.label in err.value.reason
    with pytest.raises(ExportInvalid) as err:
        issued_sample(record, issued_at=ISSUED)
    assert err.value.where == "outcome"


def test_the_issued_sample_needs_the_providers_legal_identifier() -> None:
    provider = dataclasses.replace(PROVIDERS["CUNI"], legal_identifier="")
    record = sample_record(provider=provider)
    qualification_document(record)  # the specification itself needs none
    with pytest.raises(ExportInvalid) as err:
        issued_sample(record, issued_at=ISSUED)
    assert err.value.where == "institutions.CUNI.legal_identifier"
    assert "eIDAS legal identifier" in err.value.reason


def test_an_unmapped_value_is_refused_naming_its_field() -> None:
    record = sample_record(credential=sample_credential(0, supervision="supervised_no_id"))
    with pytest.raises(ExportInvalid) as err:
        qualification_document(record)
    assert err.value.where == "supervision"


@pytest.mark.parametrize("day", [date(2026, 9, 30), date(2029, 10, 1)])
def test_the_sample_is_issued_within_the_approvals_validity(day: date) -> None:
    with pytest.raises(ExportInvalid) as err:
        issued_sample(sample_record(), issued_at=datetime(day.year, day.month, day.day, tzinfo=UTC))
    assert err.value.where == "issued_at"
    assert "outside the approval's validity (2026-10-01 to 2029-09-30)" in err.value.reason


# --------------------------------------------------------------------------- the values


def _ids(nodes: Any) -> list[str]:
    return [n["id"] for n in (nodes if isinstance(nodes, list) else [nodes])]


def test_the_qualification_carries_the_credentials_values() -> None:
    record = sample_record()
    cred = record.credential
    q = qualification_document(record)
    assert q["type"] == "Qualification"
    assert q["title"] == {"en": cred.title}
    assert q["identifier"] == {
        "id": q["id"] + "-reference",
        "type": "Identifier",
        "schemeName": REFERENCE_SCHEME,
        "notation": cred.reference,
    }
    assert q["creditPoint"]["point"] == "4"
    assert q["creditPoint"]["framework"]["id"].endswith("/education-credit/6fcec5c5af")
    assert q["volumeOfLearning"] == "PT110H"
    assert q["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/7"
    assert _ids(q["thematicArea"]) == ["http://data.europa.eu/snb/isced-f/0411"]
    assert _ids(q["language"]) == [
        "http://publications.europa.eu/resource/authority/language/ENG",
        "http://publications.europa.eu/resource/authority/language/CES",
    ]
    assert _ids(q["mode"]) == ["http://data.europa.eu/snb/learning-assessment/e92d221e4d"]
    outcomes = q["learningOutcome"]
    assert [o["title"]["en"] for o in outcomes] == cred.learning_outcomes
    for outcome in outcomes:
        assert _ids(outcome["relatedESCOSkill"]) == cred.esco_skills
    assert q["entryRequirement"]["noteLiteral"]["en"] == cred.prerequisites
    assert q["provenBy"][0]["description"]["en"] == cred.assessment_type
    assert q["isPartialQualification"] is False
    body = q["awardingOpportunity"][0]["awardingBody"][0]
    assert body["legalName"] == {"en": cred.awarding_body}
    assert body["location"]["address"]["countryCode"]["id"].endswith("/country/CZE")
    notes = dict(filter(None, (parse_note(n["noteLiteral"]["en"]) for n in q["additionalNote"])))
    assert notes["provider"] == "CUNI"
    assert notes["date_of_issuing"] == "2026-06-30"
    assert notes["supervision"] == "Supervised onsite with identity verification"
    assert notes["stackable_towards"] == cred.stackable_towards
    assert notes["contact_email"] == cred.contact_email


def test_the_accreditation_carries_the_decision() -> None:
    record = sample_record(
        outcome=Outcome.APPROVED_WITH_CONDITIONS, conditions=("Publish the grading scale",)
    )
    acc = qualification_document(record)["accreditation"][0]
    assert acc["type"] == "Accreditation"
    assert acc["id"] == record.page_url
    assert acc["dcType"]["id"] == "http://data.europa.eu/snb/accreditation/820101cba6"
    assert acc["accreditingAgent"]["legalName"] == {"en": record.qa_office.name}
    assert acc["decision"]["id"] == (
        "https://data.deqar.eu/decision/positive_with_conditions_or_restrictions"
    )
    assert acc["dateIssued"] == "2026-10-01T09:30:00Z"
    assert acc["expiryDate"] == acc["reviewDate"] == "2029-09-30T23:59:59Z"
    assert acc["report"]["contentURL"] == record.report_url
    assert acc["landingPage"]["contentURL"] == record.page_url
    assert acc["limitQualification"] == {"id": elm_export.qualification_id(record)}
    assert _ids(acc["limitField"]) == ["http://data.europa.eu/snb/isced-f/0411"]
    assert _ids(acc["limitEQFLevel"]) == ["http://data.europa.eu/snb/eqf/7"]
    assert acc["identifier"]["notation"] == record.report_id
    texts = [n["noteLiteral"]["en"] for n in acc["additionalNote"]]
    assert "Condition: Publish the grading scale" in texts
    assert "status" not in acc


def test_an_expired_approval_says_so() -> None:
    record = sample_record(as_of=date(2030, 1, 1))
    assert record.expired
    acc = qualification_document(record)["accreditation"][0]
    assert acc["status"] == "expired"
    texts = [n["noteLiteral"]["en"] for n in acc["additionalNote"]]
    assert "Expired: the approval was valid until 2029-09-30." in texts


def test_competences_without_an_eu_concept_are_stated_in_words() -> None:
    cred = sample_credential(0, digcomp=["DigComp-1.3", "DigComp-3.1"])
    record = sample_record(credential=cred)
    q = qualification_document(record)
    for outcome in q["learningOutcome"]:
        assert _ids(outcome["relatedSkill"]) == ["http://data.europa.eu/snb/dcf/u69o196gu6"]
    words = competences_in_words(record)
    assert words == [
        "DigComp 2.2 competence 1.3 Managing data, information and digital content",
        "GreenComp competence 2.1 Systems thinking",
        "GreenComp competence 4.2 Collective action",
    ]
    texts = [n["noteLiteral"]["en"] for n in q["additionalNote"]]
    for w in words:
        assert f"{w}: no EU concept id is known; stated in words" in texts
        assert w in q["learningOutcomeSummary"]["noteLiteral"]["en"]


def test_the_issued_sample_is_the_providers_credential_for_a_fictitious_learner() -> None:
    record = sample_record()
    doc = issued_sample(record, issued_at=ISSUED)
    assert doc["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert doc["issued"] == doc["validFrom"] == "2026-11-02T10:00:00Z"
    assert doc["credentialSchema"] == {
        "id": "http://data.europa.eu/snb/model/ap/edc-generic-full",
        "type": "ShaclValidator2017",
    }
    assert doc["issuer"]["eIDASIdentifier"]["notation"] == "CZ00216208"
    subject = doc["credentialSubject"]
    assert "fictitious" in subject["fullName"]["en"]
    claim = subject["hasClaim"][0]
    assert claim["type"] == "LearningAchievement"
    spec = claim["specifiedBy"]
    assert spec == {k: v for k, v in qualification_document(record).items() if k != "@context"}
    assert spec["accreditation"][0]["id"] == record.page_url
    assessment = claim["provenBy"][0]
    assert assessment["idVerification"]["id"].endswith("/supervision-verification/70be69aaf9")
    assert issued_sample(record, issued_at=ISSUED) == doc  # the same record gives the same file
