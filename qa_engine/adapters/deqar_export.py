"""Placeholder: replaced by the real module at merge."""

from __future__ import annotations

from typing import Any

from qa_engine.domain.decision_record import DecisionRecord


def report_record(record: DecisionRecord) -> dict[str, Any]:
    return {
        "agency": record.qa_office.deqar_id,
        "local_identifier": record.report_id,
        "decision": 1 if record.approving else 3,
        "valid_from": record.valid_from.isoformat(),
        "report_files": [{"original_location": record.report_url, "report_language": ["en"]}],
    }
