"""Decision records for the interop tests that need no database: the shipped sample credentials,
decided by a fictitious approver on behalf of the alliance's QA office."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from qa_engine.config import packaged
from qa_engine.domain.credential import Credential, parse_credential
from qa_engine.domain.decision_record import DecisionRecord, Organisation
from qa_engine.domain.outcomes import Outcome

QA_OFFICE = Organisation(
    code="4EU+QA",
    name="4EU+ Alliance Quality Assurance Office",
    country="CZ",
    city="Prague",
    homepage="https://4euplus.eu/quality",
    email="qa@4euplus.eu",
    legal_identifier="CZ00216208",
    deqar_id="99",
)

PROVIDERS = {
    "CUNI": Organisation(
        code="CUNI",
        name="Charles University",
        local_name="Univerzita Karlova",
        country="CZ",
        city="Prague",
        homepage="https://cuni.cz",
        email="info@cuni.cz",
        legal_identifier="CZ00216208",
        deqar_id="DEQARINST0011",
        eter_id="CZ0001",
    ),
}


def sample_credential(index: int = 0, **over: object) -> Credential:
    raw = json.loads(packaged("qa_engine.samples", "credentials.json").read_text("utf-8"))[index]
    raw.update(over)
    return parse_credential(raw)


def sample_record(
    *,
    outcome: Outcome = Outcome.APPROVED,
    credential: Credential | None = None,
    conditions: tuple[str, ...] = (),
    valid_until: date | None = date(2029, 9, 30),
    as_of: date | None = None,
    **over: object,
) -> DecisionRecord:
    cred = credential or sample_credential()
    fields: dict[str, object] = dict(
        report_id="QA-2026-000042-R1",
        case_id=42,
        round=1,
        credential_id=7,
        credential_version=1,
        credential=cred,
        rubric_id="4eu-mici",
        rubric_version="1.0.0",
        outcome=outcome,
        rationale="Meets every standard; learning outcomes and assessment are well aligned.",
        conditions=conditions,
        decided_at=datetime(2026, 10, 1, 9, 30, tzinfo=UTC),
        decided_by="Anna Nowak",
        valid_until=valid_until
        if outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS)
        else None,
        provider=PROVIDERS.get(cred.provider, PROVIDERS["CUNI"]),
        qa_office=QA_OFFICE,
        base_url="https://qa.4euplus.eu",
        report_sha256="0" * 64,
        deqar_activity_id="42",
        as_of=as_of,
    )
    fields.update(over)
    return DecisionRecord(**fields)  # type: ignore[arg-type]
