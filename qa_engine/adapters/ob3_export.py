"""Open Badges 3.0: the approved micro-credential as an `Achievement`, and the unsigned
`AchievementCredential` a provider would issue to a learner for it (VCDM 2.0).

Pure translation of a `DecisionRecord`; `badge_validate.ob3_problems` checks the result against the
vendored 1EdTech schema and the JSON-LD contexts. A refused decision has no Achievement.

ECTS credits are stated in the description and as an alignment to the ECTS credit system, never
as `creditsAvailable`: the specification defines that field as credit *hours*.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from qa_engine.domain.credential import CHOICE_LABELS, Credential
from qa_engine.domain.decision_record import DecisionRecord, ExportInvalid, Organisation
from qa_engine.domain.standards import DIGCOMP, GREENCOMP

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
    "ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}

EQF_CONCEPT = "http://data.europa.eu/snb/eqf/"
ISCED_F_CONCEPT = "http://data.europa.eu/snb/isced-f/"
# the ECTS concept of the EU "education credit" vocabulary (as the official EDC samples use it)
ECTS_CONCEPT = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
ECTS_NAME = "European Credit Transfer and Accumulation System"
# The competence frameworks have no EU concept ids for their competences: the alignment names the
# competence by its code and links the framework's publication (JRC, by DOI).
DIGCOMP_FRAMEWORK = ("DigComp 2.2", "https://doi.org/10.2760/115376")
GREENCOMP_FRAMEWORK = ("GreenComp", "https://doi.org/10.2760/13286")
ESCO_FRAMEWORK = "ESCO (European Skills, Competences, Qualifications and Occupations)"

SAMPLE_LEARNER = "Sample Learner"


def ects_text(ects: Decimal) -> str:
    """'4 ECTS credits (European Credit Transfer and Accumulation System)'."""
    return f"{ects.normalize():f} ECTS credit{'' if ects == 1 else 's'} ({ECTS_NAME})"


def _require_approval(record: DecisionRecord) -> None:
    if not record.approving:
        raise ExportInvalid(
            "outcome",
            f"the decision was '{record.outcome.label}': only an approved micro-credential has an"
            " Open Badges achievement; this decision is published as its DEQAR record alone",
        )


def profile(org: Organisation, *, base_url: str) -> dict[str, Any]:
    """An OB 3.0 `Profile` of an institution: id (its homepage, else its URL on the engine), name,
    url, email, address and its identifiers."""
    out: dict[str, Any] = {
        "id": org.homepage or f"{base_url}/institutions/{org.code}",
        "type": ["Profile"],
        "name": org.name,
    }
    if org.homepage:
        out["url"] = org.homepage
    if org.email:
        out["email"] = org.email
    if org.country or org.city:
        address: dict[str, Any] = {"type": ["Address"]}
        if org.country:
            address["addressCountryCode"] = org.country
        if org.city:
            address["addressLocality"] = org.city
        out["address"] = address
    identifiers = [
        (org.legal_identifier, "ext:eIDASLegalIdentifier"),
        (org.deqar_id, "ext:DEQARInstitutionId"),
        (org.eter_id, "ext:ETERId"),
    ]
    entries = [
        {"type": "IdentifierEntry", "identifier": value, "identifierType": kind}
        for value, kind in identifiers
        if value
    ]
    if entries:
        out["otherIdentifier"] = entries
    return out


def _alignments(cred: Credential) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "type": ["Alignment"],
            "targetName": f"EQF level {cred.eqf_level}",
            "targetFramework": "European Qualifications Framework (EQF)",
            "targetCode": str(cred.eqf_level),
            "targetUrl": f"{EQF_CONCEPT}{cred.eqf_level}",
        },
        {
            "type": ["Alignment"],
            "targetName": f"ISCED-F 2013 field {cred.isced_f}",
            "targetFramework": "ISCED Fields of Education and Training 2013 (ISCED-F)",
            "targetCode": cred.isced_f,
            "targetUrl": f"{ISCED_F_CONCEPT}{cred.isced_f}",
        },
        {
            "type": ["Alignment"],
            "targetName": ects_text(cred.ects),
            "targetDescription": "Notional workload of the micro-credential in ECTS credits",
            "targetFramework": ECTS_NAME,
            "targetCode": f"{cred.ects.normalize():f}",
            "targetUrl": ECTS_CONCEPT,
        },
    ]
    for uri in cred.esco_skills:
        kind = uri.split("/")[-2]  # skill, knowledge or competence
        out.append(
            {
                "type": ["Alignment"],
                "targetName": f"ESCO {kind} concept {uri.rsplit('/', 1)[-1]}",
                "targetFramework": ESCO_FRAMEWORK,
                "targetType": "ceasn:Competency",
                "targetUrl": uri,
            }
        )
    for refs, table, (framework, url) in (
        (cred.digcomp, DIGCOMP, DIGCOMP_FRAMEWORK),
        (cred.greencomp, GREENCOMP, GREENCOMP_FRAMEWORK),
    ):
        for ref in refs:
            out.append(
                {
                    "type": ["Alignment"],
                    "targetName": table[ref],
                    "targetFramework": framework,
                    "targetCode": ref.split("-", 1)[1],
                    "targetType": "ceasn:Competency",
                    "targetUrl": url,
                }
            )
    return out


def _criteria(cred: Credential) -> str:
    lines = ["Achieve the learning outcomes:", ""]
    lines += [f"- {outcome}" for outcome in cred.learning_outcomes]
    lines += ["", f"Assessment: {cred.assessment_type}"]
    if cred.supervision:
        lines.append(f"Supervision and identity verification: {CHOICE_LABELS[cred.supervision]}")
    if cred.grading:
        lines.append(f"Grading: {cred.grading}")
    return "\n".join(lines)


def decision_sentences(record: DecisionRecord) -> list[str]:
    """The QA decision in words: who decided what, when, for how long; conditions, expiry,
    a later decision and public notes."""
    qa = record.qa_office.name
    said = [
        f"Quality assured by the {qa}: {record.outcome.label} on {record.valid_from:%Y-%m-%d}"
        f" (decision {record.report_id}, {record.page_url})"
        + (f", valid until {record.valid_until:%Y-%m-%d}." if record.valid_until else ".")
    ]
    if record.conditions:
        said.append("Conditions: " + "; ".join(c.rstrip(" .") for c in record.conditions) + ".")
    if record.expired:
        said.append(
            f"The approval expired on {record.valid_until:%Y-%m-%d}: this describes the"
            " micro-credential as it was approved; its re-review is due."
        )
    if record.superseded_by:
        said.append(f"Superseded by the later decision {record.superseded_by}.")
    said += list(record.notes)
    return said


def achievement(record: DecisionRecord) -> dict[str, Any]:
    """The approved micro-credential as an OB 3.0 `Achievement` (type MicroCredential)."""
    _require_approval(record)
    cred = record.credential
    mode = CHOICE_LABELS[cred.participation_form].lower()
    description = " ".join(
        [
            f"A micro-credential of {cred.awarding_body}: {ects_text(cred.ects)},"
            f" EQF level {cred.eqf_level}, {mode}.",
            *decision_sentences(record),
        ]
    )
    out: dict[str, Any] = {
        "id": f"{record.export_url('ob3')}#achievement",
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": cred.title,
        "description": description,
        "criteria": {"narrative": _criteria(cred)},
        "alignment": _alignments(cred),
        "fieldOfStudy": f"ISCED-F 2013 field {cred.isced_f}",
        "inLanguage": cred.languages[0],
        "creator": profile(record.provider, base_url=record.base_url),
        "humanCode": cred.reference,
        "version": str(record.credential_version),
    }
    return out


def _utc(when: datetime, field: str) -> str:
    if when.tzinfo is None:
        raise ExportInvalid(field, "the time has no time zone; give an aware UTC time")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def credential_id(record: DecisionRecord, learner_name: str) -> str:
    """urn:uuid of the sample credential: the same report and learner give the same id."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record.page_url}#{learner_name}"))


def achievement_credential(
    record: DecisionRecord, *, issued_at: datetime, learner_name: str = SAMPLE_LEARNER
) -> dict[str, Any]:
    """The unsigned OB 3.0 `AchievementCredential` a provider would issue for the approved
    micro-credential to one (fictitious) learner: the proof that the specification is issuable."""
    ach = achievement(record)
    if not learner_name.strip():
        raise ExportInvalid("learner_name", "give the sample learner a name")
    issued = _utc(issued_at, "issued_at")
    out: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_id(record, learner_name),
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": record.credential.title,
        "description": (
            f"Sample credential for a fictitious learner ({learner_name}), showing that the"
            f" micro-credential approved in decision {record.report_id} can be issued as an"
            " Open Badge. It awards nothing to anyone."
        ),
        "issuer": profile(record.provider, base_url=record.base_url),
        "validFrom": issued,
        "awardedDate": issued,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": learner_name,
                    "identityType": "name",
                    "hashed": False,
                }
            ],
            "achievement": ach,
        },
        "credentialSchema": [dict(OB_SCHEMA)],
    }
    if record.valid_until is not None:
        # the credential is issued under the approval, so it is valid while the approval is
        out["validUntil"] = f"{record.valid_until:%Y-%m-%d}T23:59:59Z"
    return out
