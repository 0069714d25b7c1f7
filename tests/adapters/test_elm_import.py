"""ELM v3 (Europass) import: the official micro-credential sample (bare, sealed, the sealed one's
payload), a Qualification written with the shared notes and identifier, and bad input refused
before it becomes objects, every problem named by JSON path."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from qa_engine.adapters import elm_terms
from qa_engine.adapters.credential_io import ImportInvalid, read_credentials_file
from qa_engine.adapters.elm_import import (
    ELM_CONTEXT,
    W3C_CONTEXTS,
    duration_hours,
    is_elm_file,
    parse_elm,
    read_elm,
)
from qa_engine.adapters.eu_vocabularies import concept
from qa_engine.domain.credential import Credential, parse_credential
from qa_engine.domain.errors import FileTooLarge, ValidationFailed
from qa_engine.domain.limits import MAX_ELM_BYTES

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"
UNSIGNED = FORMATS / "Sample-MC-Annex1-unsigned.jsonld"
SIGNED = FORMATS / "Sample-MC-Annex1-signed.jsonld"
CERT_OF_PARTICIPATION = FORMATS / "Sample-CertOfPart-unsigned.jsonld"
Q = "$.credentialSubject.hasClaim.specifiedBy"
# what the engine needs and the official sample does not carry
SUPPLIED = {
    "reference": "MC-DIGI-1",
    "provider": "CUNI",
    "learner_identification": "Full name and date of birth",
    "date_of_issuing": "2026-01-15",
    "quality_assurance": "Internal QA of the university",
    "contact_email": "mc@cuni.cz",
}
SAMPLE_ESCO = [
    "http://data.europa.eu/esco/skill/ccdf3597-5c80-410f-896d-e1bdfa223de9",
    "http://data.europa.eu/esco/skill/80f308e6-0e09-404a-80cd-ec5f50f6f304",
    "http://data.europa.eu/esco/skill/326809fc-238d-40c2-881e-40042f7f2f0d",
    "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a",
]


def problems_of(exc: pytest.ExceptionInfo[ImportInvalid]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def assert_sample_values(cred: Credential) -> None:
    assert cred.title == "Digital micro-credential creation"
    assert cred.ects == Decimal("2.0")
    assert cred.workload_hours == 60
    assert cred.eqf_level == 6
    assert cred.learning_outcomes == [
        "Communication, collaboration and creativity",
        "Developing digital content",
    ]
    assert cred.esco_skills == SAMPLE_ESCO
    assert cred.digcomp == ["DigComp-3.1"]
    assert cred.languages == ["en"]
    assert cred.participation_form == "blended"
    assert cred.isced_f == "0688"
    assert cred.country == "IE"
    assert cred.awarding_body == "University of Zed"
    assert cred.assessment_type == "Digital artefact assessment"
    assert cred.supervision == "unsupervised_no_id"
    assert cred.prerequisites is not None and "EU Login" in cred.prerequisites
    assert cred.grading is not None and cred.grading.startswith("The learner will have passed")
    assert cred.reference == "MC-DIGI-1" and cred.provider == "CUNI"


def test_the_official_sample_reads_with_what_it_lacks_supplied():
    read = read_elm(UNSIGNED, max_bytes=10**7, known_providers={"CUNI"}, supplied=SUPPLIED)
    assert_sample_values(read.credential)
    notes = "\n".join(read.notes)
    assert f"the Qualification at {Q} ('Digital micro-credential creation') was read" in notes
    # the sample's second DigComp concept is not one the table knows: said, not guessed
    assert "http://data.europa.eu/snb/dcf/3ol5wi3605 is not a DigComp 2.2 competence" in notes
    assert "the most specific, 0688, was read (003 not)" in notes
    assert "texts read in English (en)" in notes
    assert "seal" not in notes


def test_what_the_official_sample_lacks_is_named_by_path_with_what_to_add():
    with pytest.raises(ImportInvalid) as exc:
        read_elm(UNSIGNED, max_bytes=10**7, known_providers={"CUNI"})
    problems = problems_of(exc)
    assert problems[0] == (
        f"{Q}.identifier: Reference is missing: add an identifier with schemeName "
        '"Provider\'s credential code" and the code as its notation, or give it when importing '
        '(--set, or "Values the file lacks" on the upload page): reference=VALUE'
    )
    assert (
        "$.credentialSubject.hasClaim.awardedBy.awardingBody.legalName: Provider institution: "
        "the awarding body 'University of Zed' is not one of the alliance's institutions"
    ) in "\n".join(problems)
    missing = {
        "learner_identification": "Learner identification",
        "date_of_issuing": "Date of issuing",
        "quality_assurance": "Type of quality assurance",
        "contact_email": "Contact e-mail",
    }
    for field, label in missing.items():
        assert any(
            p.startswith(f"{Q}.additionalNote: ")
            and f'"{label}: …"' in p
            and p.endswith(f'(--set, or "Values the file lacks" on the upload page): {field}=VALUE')
            for p in problems
        ), (field, problems)
    assert len(problems) == 6
    assert "nothing was imported" in exc.value.message


def test_the_sealed_sample_is_read_from_its_payload_and_says_the_seal_was_not_checked():
    read = read_elm(SIGNED, max_bytes=10**7, supplied=SUPPLIED)
    assert_sample_values(read.credential)
    assert any(
        "its seal was not checked here (`qa-engine exports verify FILE` checks it)" in n
        for n in read.notes
    )
    with pytest.raises(ImportInvalid) as exc:
        read_elm(SIGNED, max_bytes=10**7)
    assert problems_of(exc)[0].startswith(f"$.payload:{Q}.identifier: Reference is missing")


def test_the_sealed_samples_payload_on_its_own(tmp_path):
    payload = json.loads(SIGNED.read_text("utf-8"))["payload"]
    path = tmp_path / "payload.jsonld"
    path.write_text(payload, "utf-8")
    read = read_elm(path, max_bytes=10**7, supplied=SUPPLIED)
    assert_sample_values(read.credential)
    assert not any("seal" in n for n in read.notes)


def test_a_credential_without_a_qualification_says_what_it_holds():
    with pytest.raises(ImportInvalid) as exc:
        read_elm(CERT_OF_PARTICIPATION, max_bytes=10**7, supplied=SUPPLIED)
    assert problems_of(exc) == [
        "$.credentialSubject.hasClaim: no Qualification found: the credential holds "
        "LearningActivity at $.credentialSubject.hasClaim specified by "
        "LearningActivitySpecification; only a Qualification describes a micro-credential"
    ]


# --------------------------------------------------------------------------- a Qualification
# written with the shared table: every element without an ELM property comes back


def full_credential() -> Credential:
    return parse_credential(
        {
            "reference": "UW-MC-7/2026",
            "provider": "UW",
            "title": "Open science data management",
            "learner_identification": "Full name, date of birth\nand student number",
            "country": "PL",
            "region": "Mazowieckie",
            "awarding_body": "Uniwersytet Warszawski",
            "date_of_issuing": "2026-10-01",
            "learning_outcomes": "Plan data management for a project\nPublish FAIR data sets",
            "ects": "4",
            "workload_hours": 110,
            "eqf_level": 7,
            "qf_ehea_cycle": "second",
            "assessment_type": "Portfolio of data management plans",
            "participation_form": "online",
            "quality_assurance": "The university's internal QA system",
            "prerequisites": "A first degree in any field",
            "supervision": "supervised_online_with_id",
            "grading": "Pass / fail",
            "stackability": "stackable",
            "stackable_towards": "Master's programme in data science",
            "further_information": "Runs every winter semester",
            "isced_f": "0542",
            "languages": "pl, en",
            "esco_skills": SAMPLE_ESCO[3],
            "digcomp": "3.1",
            "contact_email": "mc@uw.edu.pl",
            "contact_name": "Łucja Żółkiewska",
        }
    )


def _concept(kind: str, value: str | int) -> dict[str, Any]:
    return concept(kind, value, field=kind).as_jsonld()


def qualification_of(cred: Credential) -> dict[str, Any]:
    """A bare Qualification as the shared tables say the export writes it."""
    noted = [f for f in elm_terms.NOTE_LABELS if f != "provider" and getattr(cred, f) is not None]
    return {
        "@context": [W3C_CONTEXTS[0], ELM_CONTEXT],
        "id": "urn:epass:qualification:1",
        "type": "Qualification",
        "identifier": [
            {"id": "urn:x:1", "type": "Identifier", "schemeName": "Other", "notation": "X-1"},
            {
                "id": "urn:x:2",
                "type": "Identifier",
                "schemeName": elm_terms.REFERENCE_SCHEME,
                "notation": cred.reference,
            },
        ],
        "title": {"pl": "Zarządzanie danymi", "en": cred.title},
        "additionalNote": [
            {
                "id": f"urn:note:{i}",
                "type": "Note",
                "noteLiteral": {"en": elm_terms.note_text(f, str(getattr(cred, f)))},
            }
            for i, f in enumerate(noted)
        ]
        + [{"id": "urn:note:x", "type": "Note", "noteLiteral": {"en": "Any other note"}}],
        "creditPoint": {
            "id": "urn:cp:1",
            "type": "CreditPoint",
            "framework": _concept("credit_system", "ECTS"),
            "point": str(cred.ects),
        },
        "volumeOfLearning": f"PT{cred.workload_hours}H",
        "eqfLevel": _concept("eqf", cred.eqf_level),
        "learningOutcome": [
            {
                "id": f"urn:lo:{i}",
                "type": "LearningOutcome",
                "title": {"en": text},
                "relatedESCOSkill": [{"id": uri, "type": "Concept"} for uri in cred.esco_skills]
                if i == 0
                else [],
                "relatedSkill": [_concept("digcomp", c) for c in cred.digcomp] if i == 0 else [],
            }
            for i, text in enumerate(cred.learning_outcomes)
        ],
        "entryRequirement": {
            "id": "urn:note:e",
            "type": "Note",
            "noteLiteral": {"en": cred.prerequisites},
        },
        "mode": _concept("mode", cred.participation_form),
        "provenBy": {
            "id": "urn:las:1",
            "type": "LearningAssessmentSpecification",
            "title": {"en": cred.assessment_type},
        },
        "thematicArea": _concept("isced_f", cred.isced_f),
        "language": [_concept("language", lang) for lang in cred.languages],
        "awardingOpportunity": {
            "id": "urn:ao:1",
            "type": "AwardingOpportunity",
            "awardingBody": {
                "id": "urn:org:1",
                "type": "Organisation",
                "legalName": {"pl": cred.awarding_body, "en": "University of Warsaw"},
                "location": {
                    "id": "urn:loc:1",
                    "type": "Location",
                    "address": {
                        "id": "urn:addr:1",
                        "type": "Address",
                        "countryCode": _concept("country", cred.country),
                    },
                },
            },
        },
    }


def write(tmp_path: Path, doc: Any, name: str = "mc.jsonld") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return path


def test_a_qualification_with_the_shared_notes_and_identifier_gives_every_element_back(tmp_path):
    cred = full_credential()
    doc = qualification_of(cred)
    doc["awardingOpportunity"]["awardingBody"]["legalName"] = {"pl": cred.awarding_body}
    read = read_elm(write(tmp_path, doc), max_bytes=10**7, known_providers={"UW"})
    assert read.credential.canonical() == cred.canonical()
    # the provider was read from the awarding body's name in Polish
    assert "read in Polish (pl), the file having no English for it: awarding body" in read.notes


def test_english_is_preferred_and_a_provider_note_wins(tmp_path):
    cred = full_credential()
    doc = qualification_of(cred)
    read = read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert read.credential.title == cred.title
    assert read.credential.awarding_body == "University of Warsaw"
    assert read.notes[-1] == "texts read in English (en)"


def test_texts_in_another_language_are_said_once_per_language(tmp_path):
    doc = qualification_of(full_credential())
    doc["title"] = {"de": "Forschungsdatenmanagement"}
    for outcome in doc["learningOutcome"]:
        outcome["title"] = {"de": outcome["title"]["en"]}
    read = read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert read.credential.title == "Forschungsdatenmanagement"
    assert read.notes[-1] == (
        "read in German (de), the file having no English for it: title, learning outcome (2 times)"
    )


def test_a_value_given_with_set_is_checked_and_named_as_such(tmp_path):
    doc = qualification_of(full_credential())
    with pytest.raises(ImportInvalid) as exc:
        read_elm(write(tmp_path, doc), max_bytes=10**7, supplied={"ects": "lots"})
    assert problems_of(exc) == ["--set ects: ECTS: 'lots' is not a number"]


def test_set_replaces_a_value_of_the_file_and_says_so(tmp_path):
    doc = qualification_of(full_credential())
    read = read_elm(write(tmp_path, doc), max_bytes=10**7, supplied={"reference": "NEW-1"})
    assert read.credential.reference == "NEW-1"
    assert "reference: --set replaced the file's value at $.identifier[1].notation" in read.notes
    with pytest.raises(ValidationFailed, match="--set colour=…: no such credential field"):
        read_elm(write(tmp_path, doc), max_bytes=10**7, supplied={"colour": "red"})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["creditPoint"].update(framework={"id": "http://example.org/credits"}),
            "$.creditPoint.framework: credit points in the framework http://example.org/credits;"
            " the engine records ECTS credits",
        ),
        (
            lambda d: d["creditPoint"].update(point="75"),
            "$.creditPoint.point: ECTS: ECTS 75 is more than a year of study (60)",
        ),
        (
            lambda d: d.update(volumeOfLearning="P3D"),
            "$.volumeOfLearning: 'P3D' counts days, weeks, months or years",
        ),
        (
            lambda d: d.update(eqfLevel={"id": "http://data.europa.eu/snb/eqf/9"}),
            "$.eqfLevel.id: http://data.europa.eu/snb/eqf/9 is not a EQF level concept",
        ),
        (
            lambda d: d["learningOutcome"][1].update(title={"en": "Too short"}),
            "$.learningOutcome[1].title.en: Learning outcomes: outcome 'Too short' is too short",
        ),
        (
            lambda d: d["learningOutcome"][0]["relatedESCOSkill"].append({"id": "esco:x"}),
            "$.learningOutcome[0].relatedESCOSkill[1].id: ESCO skills: not ESCO concept URIs",
        ),
        (
            lambda d: d.update(language={"id": "http://example.org/klingon"}),
            "$.language.id: http://example.org/klingon is not a language concept",
        ),
        (
            lambda d: d.pop("identifier"),
            "$.identifier: Reference is missing: add an identifier with schemeName",
        ),
        (
            lambda d: d.pop("eqfLevel"),
            "$.eqfLevel: EQF level is missing: add the EQF level concept",
        ),
    ],
    ids=[
        "other-credit-framework",
        "too-many-ects",
        "days",
        "unknown-eqf",
        "short-outcome",
        "bad-esco-uri",
        "unknown-language",
        "no-identifier",
        "no-eqf",
    ],
)
def test_a_problem_is_named_by_its_json_path(tmp_path, change, expected):
    doc = qualification_of(full_credential())
    change(doc)
    with pytest.raises(ImportInvalid) as exc:
        read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert any(p.startswith(expected) for p in problems_of(exc)), problems_of(exc)


def test_several_qualifications_the_first_is_read_and_the_others_named(tmp_path):
    cred = full_credential()
    q1 = qualification_of(cred)
    q2 = qualification_of(cred.model_copy(update={"title": "A second one"}))
    for q in (q1, q2):
        q.pop("@context")
    doc = {
        "@context": [W3C_CONTEXTS[0], ELM_CONTEXT],
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialSubject": {
            "hasClaim": [
                {"type": "LearningAchievement", "specifiedBy": q1},
                {"type": "LearningAchievement", "specifiedBy": q2},
            ]
        },
    }
    read = read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert read.credential.title == cred.title
    assert read.notes[0] == (
        "the credential holds 2 Qualifications: the first, at "
        "$.credentialSubject.hasClaim[0].specifiedBy ('Open science data management'), was "
        "read; not read: $.credentialSubject.hasClaim[1].specifiedBy ('A second one')"
    )


def test_a_qualification_given_by_its_id_in_the_claim_is_found(tmp_path):
    q = qualification_of(full_credential())
    q.pop("@context")
    doc = {
        "@context": [W3C_CONTEXTS[0], ELM_CONTEXT],
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialSubject": {
            "hasClaim": {"type": "LearningAchievement", "specifiedBy": q["id"]},
        },
        "evidence": {"type": "Evidence", "about": q},
    }
    read = read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert read.credential.reference == "UW-MC-7/2026"
    # it is named, and its problems placed, where it is in the file
    assert read.notes[0].startswith("the Qualification at $.evidence.about (")
    doc["evidence"]["about"]["creditPoint"]["point"] = "75"
    with pytest.raises(ImportInvalid) as exc:
        read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert problems_of(exc)[0].startswith("$.evidence.about.creditPoint.point: ECTS: ECTS 75")


def test_a_description_is_further_information_unless_the_engines_notes_say_it(tmp_path):
    cred = full_credential()
    doc = qualification_of(cred)
    doc["description"] = {"en": "A summary of the other elements"}
    read = read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert read.credential.further_information == cred.further_information
    assert any(n.startswith("$.description: not read as further information") for n in read.notes)
    doc["additionalNote"] = [
        n for n in doc["additionalNote"] if "Provider" in n["noteLiteral"]["en"]
    ]
    doc.pop("identifier")
    supplied = {f: str(getattr(cred, f)) for f in ("reference", "learner_identification")}
    supplied |= {f: str(getattr(cred, f)) for f in ("quality_assurance", "date_of_issuing")}
    supplied["contact_email"] = cred.contact_email
    read = read_elm(write(tmp_path, doc), max_bytes=10**7, supplied=supplied)
    assert read.credential.further_information == "A summary of the other elements"


def test_competences_stated_in_words_are_read_back(tmp_path):
    doc = qualification_of(full_credential())
    doc["additionalNote"] += [
        {
            "type": "Note",
            "noteLiteral": {
                "en": "DigComp 2.2 competence 1.3 Managing data, information and digital "
                "content: no EU concept id is known; stated in words"
            },
        },
        {
            "type": "Note",
            "noteLiteral": {
                "en": "GreenComp competence 2.1 Systems thinking: no EU concept id is known; "
                "stated in words"
            },
        },
    ]
    cred = read_elm(write(tmp_path, doc), max_bytes=10**7).credential
    assert cred.digcomp == ["DigComp-3.1", "DigComp-1.3"]
    assert cred.greencomp == ["GreenComp-2.1"]


def test_supervision_with_identification_in_a_credential_is_not_guessed(tmp_path):
    q = qualification_of(full_credential())
    q.pop("@context")
    q["additionalNote"] = [
        n for n in q["additionalNote"] if "Supervision" not in n["noteLiteral"]["en"]
    ]
    q.pop("provenBy")
    doc = {
        "@context": [W3C_CONTEXTS[0], ELM_CONTEXT],
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialSubject": {
            "hasClaim": {
                "type": "LearningAchievement",
                "specifiedBy": q,
                "provenBy": {
                    "type": "LearningAssessment",
                    "idVerification": _concept("supervision", "supervised_onsite_with_id"),
                    "specifiedBy": {
                        "type": "LearningAssessmentSpecification",
                        "title": {"en": "Written exam"},
                    },
                },
            }
        },
    }
    read = read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert read.credential.supervision is None
    assert read.credential.assessment_type == "Written exam"
    assert any("does not say whether online or on site" in n for n in read.notes)


# --------------------------------------------------------------------------- bad input


def test_not_json_is_refused_by_line_and_column(tmp_path):
    path = tmp_path / "mc.jsonld"
    path.write_text('{"@context": [\n  "x",\n  oops]}', "utf-8")
    with pytest.raises(ImportInvalid) as exc:
        read_elm(path, max_bytes=10**7)
    assert problems_of(exc) == ["line 3 column 3: not valid JSON: Expecting value"]


def test_json_that_is_not_json_ld_is_refused(tmp_path):
    with pytest.raises(ImportInvalid) as exc:
        read_elm(write(tmp_path, {"type": "Qualification", "title": {"en": "x"}}), max_bytes=10**7)
    assert problems_of(exc)[0].startswith("$: not JSON-LD: no @context")


def test_an_unknown_context_is_named_and_never_fetched(tmp_path):
    doc = qualification_of(full_credential())
    doc["@context"] = [ELM_CONTEXT, "https://evil.example/context.jsonld"]
    doc["learningOutcome"][0]["@context"] = {"title": "http://example.org/title"}
    with pytest.raises(ImportInvalid) as exc:
        read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert problems_of(exc) == [
        "$.@context[1]: unknown context 'https://evil.example/context.jsonld'; only the ELM "
        f"context {ELM_CONTEXT} and the W3C credentials contexts ({', '.join(W3C_CONTEXTS)}) "
        "are read, and no context is fetched",
        "$.learningOutcome[0].@context: an embedded context definition; only the ELM context "
        f"{ELM_CONTEXT} and the W3C credentials contexts are read",
    ]
    doc["@context"] = W3C_CONTEXTS[0]
    doc["learningOutcome"][0].pop("@context")
    with pytest.raises(ImportInvalid) as exc:
        read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert problems_of(exc) == [
        f"$.@context: not an ELM file: its @context does not name the ELM context {ELM_CONTEXT}"
    ]


def test_a_far_too_large_file_is_refused_with_both_sizes(tmp_path):
    path = tmp_path / "huge.jsonld"
    path.write_bytes(b" " * (3 * 1024 * 1024))
    with pytest.raises(FileTooLarge) as exc:
        read_elm(path, max_bytes=20 * 1024 * 1024)
    assert exc.value.message == "huge.jsonld: the file is 3 MB; the limit is 2 MB."
    assert MAX_ELM_BYTES == 2 * 1024 * 1024


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_ten_thousand_levels_are_refused_by_the_depth_limit(tmp_path, opening):
    closing = "]" if opening == "[" else "}"
    path = tmp_path / "deep.jsonld"
    path.write_text(opening * 10_000 + "1" + closing * 10_000, "utf-8")
    with pytest.raises(ImportInvalid) as exc:
        read_elm(path, max_bytes=10**7)
    (problem,) = problems_of(exc)
    column = 41 * len(opening) - len(opening) + 1  # where the 41st opening bracket is
    assert problem.startswith(f"line 1 column {column}: nested more than 40 levels deep")


def test_a_deep_payload_in_a_sealed_envelope_is_refused_with_its_place(tmp_path):
    doc = {"payload": "[" * 10_000 + "]" * 10_000, "signatures": []}
    with pytest.raises(ImportInvalid) as exc:
        read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert problems_of(exc)[0].startswith(
        "$.payload: line 1 column 41: nested more than 40 levels deep"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "$: the file is empty"),
        (b"\xff\xfe{}", "$: not UTF-8 text (byte 0)"),
        (
            b'[{"@context": "http://data.europa.eu/snb/model/context/edc-ap"}]',
            "$: expected a JSON-LD object",
        ),
        (b'{"@context": 1, "@context": 2}', "$.@context: the key '@context' appears twice"),
    ],
    ids=["empty", "not-utf8", "a-list", "duplicate-key"],
)
def test_other_unusable_files(tmp_path, content, expected):
    path = tmp_path / "x.jsonld"
    path.write_bytes(content)
    with pytest.raises(ImportInvalid) as exc:
        read_elm(path, max_bytes=10**7)
    assert problems_of(exc)[0].startswith(expected), problems_of(exc)


def test_an_envelope_whose_payload_is_not_text_is_not_json_ld(tmp_path):
    with pytest.raises(ImportInvalid) as exc:
        read_elm(write(tmp_path, {"payload": {"a": 1}, "signatures": []}), max_bytes=10**7)
    assert problems_of(exc)[0].startswith("$: not JSON-LD: no @context")


def test_an_object_that_is_neither_qualification_nor_credential(tmp_path):
    doc = {"@context": ELM_CONTEXT, "type": "LearningOpportunity"}
    with pytest.raises(ImportInvalid) as exc:
        read_elm(write(tmp_path, doc), max_bytes=10**7)
    assert problems_of(exc)[0].startswith(
        "$.type: no Qualification found: the file is LearningOpportunity"
    )


# --------------------------------------------------------------------------- routing, durations


def test_which_files_are_read_as_elm(tmp_path):
    doc = qualification_of(full_credential())
    assert is_elm_file(write(tmp_path, doc, "a.jsonld"))
    assert is_elm_file(write(tmp_path, doc, "b.json"))
    assert is_elm_file(write(tmp_path, {"payload": json.dumps(doc), "signatures": []}, "c.json"))
    assert not is_elm_file(write(tmp_path, [{"reference": "X"}], "d.json"))
    # the engine's own JSON that merely mentions the word is not taken for JSON-LD
    assert not is_elm_file(write(tmp_path, [{"grading": 'see "@context" below'}], "e.json"))
    # the generic reader sends them to the ELM reader
    (cred,) = read_credentials_file(
        write(tmp_path, doc, "b.json"), max_bytes=10**7, max_unzipped_bytes=10**8
    )
    assert cred.reference == "UW-MC-7/2026"


@pytest.mark.parametrize(
    ("text", "hours"), [("PT60H", 60), ("PT90M", 1.5), ("P0DT2H60M", 3), ("PT3600S", 1)]
)
def test_durations_in_hours(text, hours):
    if hours != int(hours):
        with pytest.raises(ValueError, match="not a whole number of hours"):
            duration_hours(text)
    else:
        assert duration_hours(text) == hours


@pytest.mark.parametrize("text", ["P", "PT", "60H", "P1M", "PTH"])
def test_durations_refused(text):
    with pytest.raises(ValueError):
        duration_hours(text)


def test_parse_elm_refuses_bytes_over_the_limit_too():
    with pytest.raises(FileTooLarge):
        parse_elm(b" " * (MAX_ELM_BYTES + 1), name="x.jsonld")
