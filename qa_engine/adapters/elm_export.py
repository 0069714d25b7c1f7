"""The ELM v3 (European Learning Model, as used by Europass Digital Credentials) export of an
approved credential version and its QA decision: pure translation, a `DecisionRecord` in, a
JSON-LD dict out. `elm_validate.elm_problems` checks the result against the official EDC shapes.

- `qualification_document(record)`: the credential as an ELM `Qualification`, with the QA
  decision as its `Accreditation`.
- `issued_sample(record, issued_at=…)`: a sample `EuropeanDigitalCredential` for a fictitious
  learner, built from that Qualification as the provider would issue it, to show that the
  specification is issuable.

How the engine's elements are written (property names as in the official EDC micro-credential
sample):

- title -> `title`; ECTS -> `creditPoint` (framework: the ECTS concept, point as a string);
  workload -> `volumeOfLearning` (ISO 8601, PT110H); EQF level -> `eqfLevel`; ISCED-F field ->
  `thematicArea` (the term the EDC context maps to `elm:ISCEDFCode`); languages -> `language`;
  form of participation -> `mode`; prerequisites -> `entryRequirement`; type of assessment ->
  `provenBy` (a LearningAssessmentSpecification whose description is the assessment text);
  awarding body -> `awardingOpportunity`/`awardingBody`, the provider as an Organisation whose
  `legalName` is the credential's awarding body (the provider's English name as `altLabel`
  when it differs) and whose address's `countryCode` is the credential's country;
  `isPartialQualification` false.
- Node ids are deterministic IRIs under the public decision page (`record.page_url`, which is
  also the Accreditation's id), and the issued sample's under a UUID derived from the record
  and the issue time, so the same input always gives the same document.
- Each learning outcome is one `LearningOutcome`. The engine aligns ESCO skills and DigComp /
  GreenComp competences with the micro-credential as a whole, not with single outcomes, so the
  alignments are repeated on every outcome (`relatedESCOSkill`, and `relatedSkill` with the
  Digital Competence Framework concept where the vocabulary table knows one) and the
  `learningOutcomeSummary` says so.
- A DigComp competence without a known EU concept id, and every GreenComp competence (EU
  Vocabularies has no GreenComp scheme), is never given an invented concept: it is stated in
  words as an `additionalNote` ("DigComp 2.2 competence 1.3 Managing data, information and
  digital content: no EU concept id is known; stated in words") and listed by
  `competences_in_words(record)`.
- Supervision and identity verification: ELM places `idVerification` only on the issued claim
  (LearningAssessment), so the issued sample carries the concept there; the specification carries
  it as a note (on the Qualification, through `elm_terms`, and on the assessment specification).
  The value is still mapped to its concept, so an unmapped value is refused.
- Elements without an ELM property (the provider's code for the credential, learner
  identification, quality assurance, date of issuing, region, grading, stackability, stackable
  towards, further information, supervision, QF-EHEA cycle, contact) travel as `elm_terms`
  says: the `identifier` with `REFERENCE_SCHEME` and "LABEL: value" `additionalNote`s. Closed
  values are written in the words of `choice_label`. Stackability stays a note: the engine holds
  only free text about what the credential stacks towards, which is no Qualification to link
  with `isPartOf`/`entitlesTo`.
- The QA decision is an `Accreditation` (type: programme quality assurance) whose accrediting
  agent is the alliance's QA office, `dateIssued` the decision time, `expiryDate` and
  `reviewDate` the end of the approval's validity (23:59:59 UTC of `valid_until`), `report` the
  signed PDF, `landingPage` the public decision page, limited to the Qualification, its ISCED-F
  field and EQF level; conditions, the approver and an expiry are `additionalNote`s. Its
  `decision`: the shapes ask for a concept of the DEQAR controlled list, and EU Vocabularies'
  accreditation-decision scheme has no concept id known here; the export writes the concept
  DEQAR itself writes into the EU accreditation database
  (`https://data.deqar.eu/decision/positive`, `…/positive_with_conditions_or_restrictions`),
  with its label and without a scheme (the shapes check none). An expired approval still
  exports, with `status` "expired" and a note.
- Free texts are written under the language tag `en`: the engine keeps one text per element,
  written in the alliance's working language.
- The document's `@context` is the W3C VC v1 context and the EDC context, as in the EDC samples:
  the EDC context alone does not alias `id` and `type`, so JSON-LD would drop them.

A refused or revision-requested decision has no Qualification (`ExportInvalid` on "outcome"); a
value the EU vocabulary table cannot map is an `ExportInvalid` naming the field; the issued
sample needs the provider's eIDAS legal identifier (`institutions.CODE.legal_identifier`).
"""

from __future__ import annotations

import base64
import io
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from PIL import Image, ImageDraw

from qa_engine.adapters.elm_terms import REFERENCE_SCHEME, note_text
from qa_engine.adapters.eu_vocabularies import Concept, concept, scheme
from qa_engine.domain.credential import Credential, choice_label
from qa_engine.domain.decision_record import DecisionRecord, ExportInvalid, Organisation
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.standards import DIGCOMP, GREENCOMP

CONTEXT: list[str] = [
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
]
CREDENTIAL_SCHEMA = "http://data.europa.eu/snb/model/ap/edc-generic-full"
LANG = "en"
REPORT_ID_SCHEME = "4EU+ QA decision report id"

# The concepts DEQAR writes as an Accreditation's decision when it exports reports to the EU
# accreditation database (EQAR's DEQAR backend: https://data.deqar.eu/decision/<decision with
# underscores>; DEQAR decision 1 positive, 2 positive with conditions or restrictions).
DEQAR_DECISIONS: dict[Outcome, tuple[str, str]] = {
    Outcome.APPROVED: ("https://data.deqar.eu/decision/positive", "positive"),
    Outcome.APPROVED_WITH_CONDITIONS: (
        "https://data.deqar.eu/decision/positive_with_conditions_or_restrictions",
        "positive with conditions or restrictions",
    ),
}

SAMPLE_LEARNER = ("Sample", "Learner (fictitious)")

# the engine fields written as "LABEL: value" notes (elm_terms), in this order
_NOTE_FIELDS: tuple[str, ...] = (
    "learner_identification",
    "quality_assurance",
    "date_of_issuing",
    "region",
    "grading",
    "stackability",
    "stackable_towards",
    "further_information",
    "supervision",
    "qf_ehea_cycle",
    "contact_name",
    "contact_email",
)
_CHOICE_FIELDS = ("stackability", "supervision", "qf_ehea_cycle")


# --------------------------------------------------------------------------- small pieces


def _text(value: str) -> dict[str, str]:
    return {LANG: value}


def _note(node_id: str, text: str) -> dict[str, Any]:
    return {"id": node_id, "type": "Note", "noteLiteral": _text(text)}


def _web(node_id: str, url: str) -> dict[str, Any]:
    return {"id": node_id, "type": "WebResource", "contentURL": url}


def _datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ExportInvalid("decided_at", "the time has no time zone; give it in UTC")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _end_of_day(day: date) -> str:
    return _datetime(datetime.combine(day, time(23, 59, 59), tzinfo=UTC))


def _concept(c: Concept, label: str = "") -> dict[str, Any]:
    out = c.as_jsonld()
    if label and "prefLabel" not in out:
        out["prefLabel"] = _text(label)
    return out


def _ects(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _base(record: DecisionRecord) -> str:
    return record.page_url


def qualification_id(record: DecisionRecord) -> str:
    return f"{_base(record)}#qualification"


def _competence_words(ref: str) -> str:
    """ "DigComp 2.2 competence 1.3 Managing data, …" / "GreenComp competence 2.1 Systems …"."""
    if ref.startswith("DigComp-"):
        return f"DigComp 2.2 competence {ref.split('-', 1)[1]} {DIGCOMP[ref]}"
    return f"GreenComp competence {ref.split('-', 1)[1]} {GREENCOMP[ref]}"


def _digcomp_concepts(cred: Credential) -> tuple[dict[str, Concept], list[str]]:
    """The DigComp competences the vocabulary table knows (with their concepts), and the
    others."""
    known: dict[str, Concept] = {}
    unknown: list[str] = []
    for ref in cred.digcomp:
        try:
            known[ref] = concept("digcomp", ref, field="digcomp")
        except ExportInvalid:
            unknown.append(ref)
    return known, unknown


def competences_in_words(record: DecisionRecord) -> list[str]:
    """The competences the export states in words because no EU concept id is known for them
    (DigComp competences missing from the vocabulary table, every GreenComp competence)."""
    _known, unknown = _digcomp_concepts(record.credential)
    return [_competence_words(ref) for ref in [*unknown, *record.credential.greencomp]]


# --------------------------------------------------------------------------- organisations


def _organisation(
    record: DecisionRecord,
    org: Organisation,
    *,
    legal_name: str,
    country: str,
    country_field: str,
    with_legal_identifier: bool = False,
) -> dict[str, Any]:
    oid = f"{_base(record)}#organisation-{org.code}"
    if not country:
        raise ExportInvalid(country_field, f"no country is known for {org.name}; add it")
    country_concept = _concept(concept("country", country, field=country_field))
    out: dict[str, Any] = {
        "id": oid,
        "type": "Organisation",
        "legalName": _text(legal_name),
        "location": {
            "id": f"{oid}-location",
            "type": "Location",
            "address": {
                "id": f"{oid}-address",
                "type": "Address",
                "countryCode": country_concept,
            },
        },
    }
    if org.name != legal_name:
        out["altLabel"] = _text(org.name)
    identifiers = [
        {"id": f"{oid}-{kind}", "type": "Identifier", "schemeName": name, "notation": value}
        for kind, name, value in (
            ("code", "4EU+ institution code", org.code),
            ("deqar", "DEQAR", org.deqar_id),
            ("eter", "ETER", org.eter_id),
        )
        if value
    ]
    out["identifier"] = identifiers
    if org.homepage:
        out["homepage"] = _web(f"{oid}-homepage", org.homepage)
    if org.email:
        out["contactPoint"] = {
            "id": f"{oid}-contact",
            "type": "ContactPoint",
            "emailAddress": {"id": f"mailto:{org.email}", "type": "Mailbox"},
        }
    if with_legal_identifier:
        where = f"institutions.{org.code}.legal_identifier"
        if not org.legal_identifier.strip():
            raise ExportInvalid(
                where,
                f"{org.name} has no eIDAS legal identifier in the interop profile; an issued "
                "European Digital Credential needs exactly one",
            )
        spatial_country = org.country or country
        out["eIDASIdentifier"] = {
            "id": f"{oid}-eidas",
            "type": "LegalIdentifier",
            "notation": org.legal_identifier.strip(),
            "spatial": _concept(
                concept("country", spatial_country, field=f"institutions.{org.code}.country")
            ),
        }
    return out


def _provider(record: DecisionRecord, *, with_legal_identifier: bool = False) -> dict[str, Any]:
    cred = record.credential
    return _organisation(
        record,
        record.provider,
        legal_name=cred.awarding_body,
        country=cred.country,
        country_field="country",
        with_legal_identifier=with_legal_identifier,
    )


def _qa_office(record: DecisionRecord) -> dict[str, Any]:
    office = record.qa_office
    return _organisation(
        record,
        office,
        legal_name=office.name,
        country=office.country,
        country_field=f"institutions.{office.code}.country",
    )


# --------------------------------------------------------------------------- the Qualification


def _notes(record: DecisionRecord, qid: str, in_words: list[str]) -> list[dict[str, Any]]:
    cred = record.credential
    texts = [note_text("provider", cred.provider)]
    for field in _NOTE_FIELDS:
        value = getattr(cred, field)
        if value is None or value == "":
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif field in _CHOICE_FIELDS:
            value = choice_label(str(value))
        texts.append(note_text(field, str(value)))
    texts.extend(f"{words}: no EU concept id is known; stated in words" for words in in_words)
    return [_note(f"{qid}-note-{i}", text) for i, text in enumerate(texts, start=1)]


def _outcomes(record: DecisionRecord, qid: str) -> list[dict[str, Any]]:
    cred = record.credential
    esco = [Concept(uri, scheme("esco_skills")).as_jsonld() for uri in cred.esco_skills]
    known, _unknown = _digcomp_concepts(cred)
    skills = [c.as_jsonld() for c in known.values()]
    out = []
    for i, text in enumerate(cred.learning_outcomes, start=1):
        node: dict[str, Any] = {
            "id": f"{qid}-outcome-{i}",
            "type": "LearningOutcome",
            "title": _text(text),
        }
        if esco:
            node["relatedESCOSkill"] = esco
        if skills:
            node["relatedSkill"] = skills
        out.append(node)
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _outcome_summary(record: DecisionRecord, in_words: list[str]) -> str:
    cred = record.credential
    known, _unknown = _digcomp_concepts(cred)
    aligned = []
    if cred.esco_skills:
        aligned.append(_count(len(cred.esco_skills), "ESCO skill"))
    aligned.extend(_competence_words(ref) for ref in known)
    summary = _count(len(cred.learning_outcomes), "learning outcome") + "."
    if aligned:
        summary += (
            " The micro-credential as a whole is aligned with "
            + "; ".join(aligned)
            + "; these alignments are repeated on each learning outcome."
        )
    if in_words:
        summary += " Also aligned with, without an EU concept id: " + "; ".join(in_words) + "."
    return summary


def _assessment_spec(record: DecisionRecord, qid: str) -> dict[str, Any]:
    cred = record.credential
    spec: dict[str, Any] = {
        "id": f"{qid}-assessment",
        "type": "LearningAssessmentSpecification",
        "title": _text("Assessment"),
        "description": _text(cred.assessment_type),
    }
    if cred.supervision:
        spec["additionalNote"] = [
            _note(
                f"{qid}-assessment-note-1",
                note_text("supervision", choice_label(cred.supervision)),
            )
        ]
    return spec


def _eqf(cred: Credential) -> dict[str, Any]:
    return _concept(concept("eqf", cred.eqf_level, field="eqf_level"), f"Level {cred.eqf_level}")


def _isced(cred: Credential) -> dict[str, Any]:
    return _concept(concept("isced_f", cred.isced_f, field="isced_f"))


def _accreditation(record: DecisionRecord, qid: str) -> dict[str, Any]:
    cred = record.credential
    aid = record.page_url
    decision_uri, decision_label = DEQAR_DECISIONS[record.outcome]
    notes = [
        f"Decided by {record.decided_by} on behalf of {record.qa_office.name}, "
        f"{_datetime(record.decided_at)}, on version {record.credential_version} of the "
        f"credential (rubric {record.rubric_id} {record.rubric_version}).",
        *(f"Condition: {c}" for c in record.conditions),
    ]
    if record.expired and record.valid_until is not None:
        notes.append(f"Expired: the approval was valid until {record.valid_until.isoformat()}.")
    if record.superseded_by:
        notes.append(f"Superseded by the decision {record.superseded_by}.")
    acc: dict[str, Any] = {
        "id": aid,
        "type": "Accreditation",
        "dcType": _concept(concept("accreditation_type", "programme", field="accreditation.type")),
        "title": _text(
            f"{record.qa_office.name}: micro-credential quality assurance, {record.outcome.label}"
        ),
        "description": _text(record.rationale),
        "identifier": {
            "id": f"{aid}#identifier",
            "type": "Identifier",
            "schemeName": REPORT_ID_SCHEME,
            "notation": record.report_id,
        },
        "accreditingAgent": _qa_office(record),
        "organisation": {"id": f"{_base(record)}#organisation-{record.provider.code}"},
        "decision": {"id": decision_uri, "type": "Concept", "prefLabel": _text(decision_label)},
        "dateIssued": _datetime(record.decided_at),
        "report": _web(f"{aid}#report", record.report_url),
        "landingPage": _web(f"{aid}#landing-page", record.page_url),
        "limitQualification": {"id": qid},
        "limitField": [_isced(cred)],
        "limitEQFLevel": [_eqf(cred)],
        "additionalNote": [_note(f"{aid}#note-{i}", t) for i, t in enumerate(notes, start=1)],
    }
    if record.valid_until is not None:
        acc["expiryDate"] = _end_of_day(record.valid_until)
        acc["reviewDate"] = _end_of_day(record.valid_until)
    if record.expired:
        acc["status"] = "expired"
    return acc


def _refuse_unless_approving(record: DecisionRecord) -> None:
    if not record.approving:
        raise ExportInvalid(
            "outcome",
            f"the decision {record.report_id} is '{record.outcome.label}', not an approval: a "
            "credential that was not approved has no ELM Qualification (its DEQAR record states "
            "the decision)",
        )


def _qualification(record: DecisionRecord) -> dict[str, Any]:
    _refuse_unless_approving(record)
    cred = record.credential
    qid = qualification_id(record)
    if cred.supervision:
        concept("supervision", cred.supervision, field="supervision")  # refuse what is unmapped
    in_words = competences_in_words(record)
    mode = concept("mode", cred.participation_form, field="participation_form")
    ects = concept("credit_system", "ECTS", field="ects")
    q: dict[str, Any] = {
        "id": qid,
        "type": "Qualification",
        "identifier": {
            "id": f"{qid}-reference",
            "type": "Identifier",
            "schemeName": REFERENCE_SCHEME,
            "notation": cred.reference,
        },
        "title": _text(cred.title),
        "description": _text(
            f"Micro-credential of {record.provider.name}: {_ects(cred.ects)} ECTS credits at "
            f"EQF level {cred.eqf_level}, {choice_label(cred.participation_form).lower()}; "
            f"approved by the {record.qa_office.name} (decision {record.report_id})."
        ),
        "isPartialQualification": False,
        "eqfLevel": _eqf(cred),
        "thematicArea": [_isced(cred)],
        "creditPoint": {
            "id": f"{qid}-credit",
            "type": "CreditPoint",
            "framework": _concept(ects),
            "point": _ects(cred.ects),
        },
        "language": [
            _concept(concept("language", lang, field="languages")) for lang in cred.languages
        ],
        "mode": [_concept(mode)],
        "learningOutcome": _outcomes(record, qid),
        "learningOutcomeSummary": _note(
            f"{qid}-outcome-summary", _outcome_summary(record, in_words)
        ),
        "provenBy": [_assessment_spec(record, qid)],
        "awardingOpportunity": [
            {
                "id": f"{qid}-awarding",
                "type": "AwardingOpportunity",
                "awardingBody": [_provider(record)],
            }
        ],
        "additionalNote": _notes(record, qid, in_words),
        "accreditation": [_accreditation(record, qid)],
    }
    if cred.workload_hours is not None:
        q["volumeOfLearning"] = f"PT{cred.workload_hours}H"
    if cred.prerequisites:
        q["entryRequirement"] = _note(f"{qid}-entry", cred.prerequisites)
    return q


def qualification_document(record: DecisionRecord) -> dict[str, Any]:
    """The approved credential version as an ELM `Qualification` with its QA decision as an
    `Accreditation` (JSON-LD)."""
    return {"@context": list(CONTEXT), **_qualification(record)}


# --------------------------------------------------------------------------- the issued sample


def _display_image(title: str, provider: str, issued: date) -> str:
    """A PNG (base64) of the sample credential's face, clearly marked as a sample."""
    image = Image.new("RGB", (800, 566), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 787, 553), outline=(0, 51, 153), width=4)
    lines = [
        (40, "SAMPLE - NOT A REAL CREDENTIAL"),
        (110, provider),
        (160, "certifies that the fictitious learner"),
        (200, " ".join(SAMPLE_LEARNER)),
        (250, "has completed the micro-credential"),
        (290, title[:90]),
        (360, f"Issued {issued.isoformat()} (sample)"),
    ]
    for y, line in lines:
        draw.text((40, y), line, fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _display(record: DecisionRecord, sid: str, issued_at: datetime) -> dict[str, Any]:
    english = _concept(concept("language", LANG, field="languages"), "English")
    return {
        "id": f"{sid}#display",
        "type": "DisplayParameter",
        "title": _text(f"Sample micro-credential: {record.credential.title}"),
        "description": _text("Sample credential for a fictitious learner; not a real award."),
        "language": [english],
        "primaryLanguage": english,
        "individualDisplay": [
            {
                "id": f"{sid}#display-individual",
                "type": "IndividualDisplay",
                "language": english,
                "displayDetail": [
                    {
                        "id": f"{sid}#display-detail",
                        "type": "DisplayDetail",
                        "page": 1,
                        "image": {
                            "id": f"{sid}#display-image",
                            "type": "MediaObject",
                            "content": _display_image(
                                record.credential.title,
                                record.credential.awarding_body,
                                issued_at.date(),
                            ),
                            "contentType": _concept(
                                concept("file_type", "PNG", field="display.image")
                            ),
                            "contentEncoding": _concept(
                                concept("encoding", "base64", field="display.image")
                            ),
                        },
                    }
                ],
            }
        ],
    }


def issued_sample(record: DecisionRecord, *, issued_at: datetime) -> dict[str, Any]:
    """A sample `EuropeanDigitalCredential` for a fictitious learner, issued by the provider
    from the exported Qualification (with its accreditation), as a provider would issue it."""
    qualification = _qualification(record)
    if issued_at.tzinfo is None:
        raise ExportInvalid("issued_at", "the issue time has no time zone; give it in UTC")
    day = issued_at.astimezone(UTC).date()
    if day < record.valid_from or (record.valid_until is not None and day > record.valid_until):
        until = record.valid_until.isoformat() if record.valid_until else "open"
        raise ExportInvalid(
            "issued_at",
            f"{day.isoformat()} is outside the approval's validity "
            f"({record.valid_from.isoformat()} to {until}); issue the sample within it",
        )
    cred = record.credential
    issuer = _provider(record, with_legal_identifier=True)
    stamp = _datetime(issued_at)
    sid = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record.page_url}#sample/{stamp}"))
    awarding = {
        "id": f"{sid}#awarding",
        "type": "AwardingProcess",
        "awardingBody": [issuer],
        "awardingDate": stamp,
    }
    assessment_spec = qualification["provenBy"][0]
    assessment: dict[str, Any] = {
        "id": f"{sid}#assessment",
        "type": "LearningAssessment",
        "title": _text("Assessment"),
        "grade": _note(f"{sid}#grade", "Passed (sample value for a fictitious learner)"),
        "assessedBy": [issuer],
        "awardedBy": awarding,
        "specifiedBy": {"id": assessment_spec["id"]},
    }
    if cred.supervision:
        assessment["idVerification"] = _concept(
            concept("supervision", cred.supervision, field="supervision")
        )
    given, family = SAMPLE_LEARNER
    return {
        "@context": list(CONTEXT),
        "id": sid,
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": [
            _concept(concept("credential_profile", "generic", field="credentialProfiles"))
        ],
        "credentialSchema": {"id": CREDENTIAL_SCHEMA, "type": "ShaclValidator2017"},
        "issuer": issuer,
        "issued": stamp,
        "validFrom": stamp,
        "displayParameter": _display(record, sid, issued_at),
        "credentialSubject": {
            "id": f"{sid}#learner",
            "type": "Person",
            "givenName": _text(given),
            "familyName": _text(family),
            "fullName": _text(f"{given} {family}"),
            "hasClaim": [
                {
                    "id": f"{sid}#achievement",
                    "type": "LearningAchievement",
                    "title": _text(cred.title),
                    "description": _text(
                        "Sample achievement of a fictitious learner, to show that the "
                        "approved specification can be issued."
                    ),
                    "awardedBy": awarding,
                    "provenBy": [assessment],
                    "specifiedBy": qualification,
                }
            ],
        },
    }
