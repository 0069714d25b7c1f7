"""The DEQAR-shaped record of a QA decision: a report record of the DEQAR submission API v2 with
the micro-credential as its programme (`deqar_report.schema.json` beside this module describes it,
`badge_validate.deqar_problems` checks it).

Only an EQAR-registered agency can submit to DEQAR: this is the record such an agency would submit
for the alliance's decision. Every identifier comes from the interop profile; a missing one is an
`ExportInvalid` naming the profile key to fill in, never a record with a blank. Codes are written
as strings: the API's status, decision, QF-EHEA level and assessment fields refuse JSON numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qa_engine.domain.decision_record import DecisionRecord, ExportInvalid
from qa_engine.domain.outcomes import Outcome

DATE_FORMAT = "%Y-%m-%d"
STATUS_VOLUNTARY = "2"  # the alliance's review is not part of any national obligatory EQA system

# DEQAR decision ids: 1 positive, 2 positive with conditions or restrictions, 3 negative,
# 4 not applicable. A revision request is not a result of the procedure: the case goes back to the
# provider and the same procedure continues with a new round, so neither a positive nor a negative
# result applies; DEQAR's "not applicable" says exactly that.
DECISIONS: dict[Outcome, str] = {
    Outcome.APPROVED: "1",
    Outcome.APPROVED_WITH_CONDITIONS: "2",
    Outcome.REJECTED: "3",
    Outcome.REVISION_REQUESTED: "4",
}

CYCLE_LEVELS = {"short": "0", "first": "1", "second": "2", "third": "3"}
EQF_LEVELS = {5: "0", 6: "1", 7: "2", 8: "3"}  # QF-EHEA cycle of an EQF level (DEQAR's table)
DEGREE_OUTCOME_NO_FULL_DEGREE = "2"
ASSESSMENT_BASED_CERTIFICATE = "2"

# ISO 639-1 -> ISO 639-2/B, the three-letter form DEQAR's report_language takes ("ger", "fre")
ISO_639_2B = {
    "bg": "bul",
    "cs": "cze",
    "da": "dan",
    "de": "ger",
    "el": "gre",
    "en": "eng",
    "es": "spa",
    "et": "est",
    "fi": "fin",
    "fr": "fre",
    "ga": "gle",
    "hr": "hrv",
    "hu": "hun",
    "is": "ice",
    "it": "ita",
    "lt": "lit",
    "lv": "lav",
    "mt": "mlt",
    "nl": "dut",
    "no": "nor",
    "pl": "pol",
    "pt": "por",
    "ro": "rum",
    "sk": "slo",
    "sl": "slv",
    "sq": "alb",
    "sr": "srp",
    "sv": "swe",
    "tr": "tur",
    "uk": "ukr",
}


def report_language(code: str) -> str:
    """The ISO 639-2/B code of an ISO 639-1 language code."""
    found = ISO_639_2B.get(code.strip().lower())
    if found is None:
        raise ExportInvalid(
            "report_language",
            f"{code!r} is not an ISO 639-1 code of a language the DEQAR export knows"
            f" ({', '.join(sorted(ISO_639_2B))})",
        )
    return found


def _required_id(value: str, key: str, what: str) -> str:
    if not value.strip():
        raise ExportInvalid(
            key,
            f"the interop profile gives no {what}; fill in {key} so that the DEQAR record can"
            " name it",
        )
    return value.strip()


def _institution(record: DecisionRecord) -> dict[str, str]:
    org = record.provider
    # DEQAR links by one identifier, preferring the DEQARINST id, then the ETER id
    if org.deqar_id.strip():
        return {"deqar_id": org.deqar_id.strip()}
    if org.eter_id.strip():
        return {"eter_id": org.eter_id.strip()}
    raise ExportInvalid(
        f"institutions.{org.code}.deqar_id",
        f"the interop profile gives neither a DEQAR id nor an ETER id for {org.name}; fill in"
        f" institutions.{org.code}.deqar_id (DEQARINST…) or institutions.{org.code}.eter_id",
    )


def _qf_ehea_level(record: DecisionRecord) -> str:
    cred = record.credential
    if cred.qf_ehea_cycle:
        return CYCLE_LEVELS[cred.qf_ehea_cycle]
    level = EQF_LEVELS.get(cred.eqf_level)
    if level is None:
        raise ExportInvalid(
            "credential.qf_ehea_cycle",
            f"EQF level {cred.eqf_level} has no QF-EHEA cycle and the credential names none;"
            " DEQAR records micro-credentials at the higher-education levels only (EQF 5 to 8)",
        )
    return level


def _workload(ects: Decimal) -> tuple[int, str | None]:
    """Whole ECTS credits for DEQAR (an integer field), and a note when that rounds."""
    whole = max(1, int(ects.to_integral_value(rounding=ROUND_HALF_UP)))
    if whole == ects:
        return whole, None
    return whole, (
        f"The notional workload is {ects.normalize():f} ECTS credits; DEQAR records whole credits,"
        f" so workload_ects says {whole}."
    )


def _programme(record: DecisionRecord) -> tuple[dict[str, Any], list[str]]:
    cred = record.credential
    if len(cred.title) > 255:
        raise ExportInvalid(
            "credential.title",
            f"DEQAR takes programme names of at most 255 characters; this title has"
            f" {len(cred.title)}: give the credential a shorter title",
        )
    workload, note = _workload(cred.ects)
    programme: dict[str, Any] = {
        "name_primary": cred.title,
        "degree_outcome": DEGREE_OUTCOME_NO_FULL_DEGREE,
        "qf_ehea_level": _qf_ehea_level(record),
        "workload_ects": workload,
        "assessment_certification": ASSESSMENT_BASED_CERTIFICATE,
        "learning_outcome_description": " ".join(
            o if o.endswith(".") else o + "." for o in cred.learning_outcomes
        ),
        "field_study": cred.isced_f,
    }
    if cred.esco_skills:
        programme["learning_outcomes"] = list(cred.esco_skills)
    # DEQAR wants the programme's country only where it differs from the provider's; the
    # credential has no national qualifications framework level, so nqf_level stays out
    if cred.country != record.provider.country:
        programme["countries"] = [cred.country]
    return programme, [note] if note else []


def _summary(record: DecisionRecord) -> str:
    cred = record.credential
    said = (
        f"The {record.qa_office.name} reviewed the micro-credential '{cred.title}'"
        f" ({cred.reference}, version {record.credential_version}) of {record.provider.name}"
        f" against the rubric {record.rubric_id} {record.rubric_version}"
        f" and decided on {record.valid_from:%Y-%m-%d}: {record.outcome.label}"
    )
    if record.valid_until and record.approving:
        said += f", valid until {record.valid_until:%Y-%m-%d}"
    said += "."
    if record.conditions:
        said += " Conditions: " + "; ".join(c.rstrip(" .") for c in record.conditions) + "."
    if record.rationale.strip():
        said += f" Rationale: {record.rationale.strip()}"
    return said


def _comment(record: DecisionRecord, extra: list[str]) -> str:
    said: list[str] = []
    if record.outcome is Outcome.APPROVED_WITH_CONDITIONS and record.conditions:
        n = len(record.conditions)
        said.append(
            f"The approval carries {n} condition{'' if n == 1 else 's'}; the provider must meet"
            f" {'it' if n == 1 else 'them'} within the time stated in the report."
        )
    if record.outcome is Outcome.REVISION_REQUESTED:
        said.append(
            "Revision requested: the provider revises the micro-credential and the review"
            " continues in a new round; a later record gives its result."
        )
    if record.expired and record.valid_until:
        said.append(f"The approval expired on {record.valid_until:%Y-%m-%d}.")
    if record.superseded_by:
        said.append(f"Superseded by the later decision {record.superseded_by}.")
    said += extra
    said += list(record.notes)
    return " ".join(said)


def report_record(record: DecisionRecord) -> dict[str, Any]:
    """The DEQAR submission API v2 report record of one decision."""
    agency = _required_id(record.qa_office.deqar_id, "qa_office.deqar_id", "DEQAR agency id")
    activity = _required_id(
        record.deqar_activity_id, "deqar_activity_id", "DEQAR activity id of the QA procedure"
    )
    institution = _institution(record)
    programme, notes = _programme(record)
    out: dict[str, Any] = {
        "agency": agency,
        "activities": [{"id": activity}],
        "local_identifier": record.report_id,
        "status": STATUS_VOLUNTARY,
        "decision": DECISIONS[record.outcome],
        "summary": _summary(record),
        "valid_from": record.valid_from.strftime(DATE_FORMAT),
        "date_format": DATE_FORMAT,
        "report_links": [{"link": record.page_url, "link_display_name": "Public decision record"}],
        "report_files": [
            {
                "original_location": record.report_url,
                "display_name": "Evaluation report and decision",
                "report_language": [report_language(record.report_language)],
            }
        ],
        "institutions": [institution],
        "programmes": [programme],
    }
    # A refused or returned decision has no validity of its own: valid_to stays out and DEQAR's
    # default (six years after valid_from) only sets when the record is archived.
    if record.approving and record.valid_until is not None:
        out["valid_to"] = record.valid_until.strftime(DATE_FORMAT)
    comment = _comment(record, notes)
    if comment:
        out["other_comment"] = comment
    return out
