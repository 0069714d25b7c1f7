"""Placeholder: replaced by the real module at merge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qa_engine.domain.decision_record import DecisionRecord, ExportInvalid


def achievement(record: DecisionRecord) -> dict[str, Any]:
    if not record.approving:
        raise ExportInvalid("outcome", "only an approval has an Open Badges Achievement")
    return {
        "id": record.export_url("ob3"),
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": record.credential.title,
    }


def achievement_credential(
    record: DecisionRecord, *, issued_at: datetime, learner_name: str = "Sample Learner"
) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "validFrom": issued_at.isoformat(),
        "credentialSubject": {"name": learner_name, "achievement": achievement(record)},
    }
