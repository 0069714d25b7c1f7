"""Placeholder: replaced by the real module at merge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qa_engine.domain.decision_record import DecisionRecord, ExportInvalid


def qualification_document(record: DecisionRecord) -> dict[str, Any]:
    if not record.approving:
        raise ExportInvalid("outcome", "only an approval has an ELM Qualification")
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": f"urn:epass:qualification:{record.report_id}",
        "type": "Qualification",
        "title": {"en": [record.credential.title]},
        "accreditation": {"type": "Accreditation", "landingPage": record.page_url},
    }


def issued_sample(record: DecisionRecord, *, issued_at: datetime) -> dict[str, Any]:
    if not record.approving:
        raise ExportInvalid("outcome", "only an approval has an ELM Qualification")
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "issuanceDate": issued_at.isoformat(),
        "credentialSubject": {"id": "urn:sample:learner"},
    }
