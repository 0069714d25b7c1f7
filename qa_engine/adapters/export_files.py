"""The interop exports of a decision, the adapters' half (the counterpart of `report_files`): make
each export from its decision record, validate it offline against its format before anything is
written, seal it where the format is sealed, and write it beside the decision's reports; the sealed
JSON of the public decision record.

Every call of the sealer (`jose_seal.sealer_from_settings`: the engine's signing key and chain,
as for the reports) is in this module.

- `elm`: `<report id>.json`, the ELM v3 Qualification with its Accreditation, JAdES-sealed;
- `edc`: `<report id>.json`, a sample EuropeanDigitalCredential issued from it, JAdES-sealed;
- `ob3`: `<report id>.jwt`, a sample Open Badges 3.0 AchievementCredential as a VC-JWT;
- `deqar`: `<report id>.json`, the DEQAR-shaped report record (plain JSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from qa_engine.adapters import (
    badge_validate,
    deqar_export,
    elm_export,
    elm_validate,
    jose_seal,
    ob3_export,
)
from qa_engine.adapters.files import write_atomically
from qa_engine.config import Settings, get_settings
from qa_engine.domain.decision_record import DecisionRecord, ExportInvalid
from qa_engine.domain.errors import StorageError, ValidationFailed

EXTENSIONS = {"pdf": "pdf", "elm": "json", "edc": "json", "ob3": "jwt", "deqar": "json"}
MEDIA = {
    "pdf": "application/pdf",
    "elm": "application/jose+json",
    "edc": "application/jose+json",
    "ob3": "application/jwt",
    "deqar": "application/json",
}


def file_name(report_id: str, kind: str) -> str:
    """The file name of one file of a decision (the same on disk and when downloaded)."""
    return f"{report_id}.{EXTENSIONS[kind]}"


def export_path(settings: Settings, case_id: int, report_id: str, kind: str) -> Path:
    return settings.reports_out_dir / f"case-{case_id:06d}" / file_name(report_id, kind)


def _checked(kind: str, doc: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    if problems:
        shown = "; ".join(problems[:5]) + (
            f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        )
        raise ExportInvalid(kind, f"the export fails its format's validation: {shown}")
    return doc


def _json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def export_document(record: DecisionRecord, kind: str, *, at: datetime) -> dict[str, Any]:
    """The unsealed document of one export, validated (`ExportInvalid` naming the problems)."""
    if kind == "elm":
        doc = elm_export.qualification_document(record)
        return _checked(kind, doc, elm_validate.elm_problems(doc))
    if kind == "edc":
        doc = elm_export.issued_sample(record, issued_at=at)
        return _checked(kind, doc, elm_validate.elm_problems(doc))
    if kind == "ob3":
        doc = ob3_export.achievement_credential(record, issued_at=at)
        return _checked(kind, doc, badge_validate.ob3_problems(doc))
    if kind == "deqar":
        doc = deqar_export.report_record(record)
        return _checked(kind, doc, badge_validate.deqar_problems(doc))
    raise ExportInvalid("kind", f"unknown export {kind!r}")


def render_export(
    record: DecisionRecord, kind: str, *, at: datetime, settings: Settings | None = None
) -> bytes:
    """The bytes of one export file: validated, then sealed where its format is (with the engine's
    signing key, as the reports)."""
    doc = export_document(record, kind, at=at)
    if kind == "deqar":
        return _json(doc)
    sealer = jose_seal.sealer_from_settings(settings)
    try:
        if kind == "ob3":
            return sealer.seal_vc_jwt(doc, issued_at=at).encode("ascii") + b"\n"
        return _json(sealer.seal_jades(doc, signing_time=at))
    except StorageError:
        raise  # a timestamp authority or a file that did not answer: the next run tries again
    except ValidationFailed as exc:
        raise ExportInvalid(kind, f"the export cannot be sealed: {exc.message}") from None


@dataclass(frozen=True)
class ExportFiles:
    """Export files as the settings say, beside the reports. The `ExportOutput` that
    `qa_engine.services.exports.generate_export` is given."""

    settings: Settings

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> ExportFiles:
        return cls(settings or get_settings())

    def render(self, record: DecisionRecord, kind: str, *, at: datetime) -> bytes:
        return render_export(record, kind, at=at, settings=self.settings)

    def write(self, *, case_id: int, report_id: str, kind: str, payload: bytes) -> Path:
        """Write the file atomically at its deterministic path; return the path."""
        path = export_path(self.settings, case_id, report_id, kind)
        write_atomically(path, payload, hint="the export is generated again on the next run")
        return path


def record_document(record: DecisionRecord, files: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """The public decision record as JSON: what was decided, when, by whom on behalf of the
    alliance, its validity, and where its files are with their SHA-256 (`files`: kind -> (url,
    sha256))."""
    cred = record.credential
    return {
        "id": record.report_id,
        "url": record.page_url,
        "case": record.case_id,
        "round": record.round,
        "credential": {
            "id": record.credential_id,
            "version": record.credential_version,
            "reference": cred.reference,
            "title": cred.title,
            "provider": {"code": record.provider.code, "name": record.provider.name},
            "ects": str(cred.ects),
            "eqf_level": cred.eqf_level,
        },
        "rubric": {"id": record.rubric_id, "version": record.rubric_version},
        "outcome": record.outcome.value,
        "approving": record.approving,
        "rationale": record.rationale,
        "conditions": list(record.conditions),
        "decided_at": record.decided_at.isoformat(),
        "decided_by": record.decided_by,
        "on_behalf_of": {
            "name": record.qa_office.name,
            "homepage": record.qa_office.homepage or None,
        },
        "valid_from": record.valid_from.isoformat(),
        "valid_until": record.valid_until.isoformat() if record.valid_until else None,
        "as_of": (record.as_of or record.valid_from).isoformat(),
        "expired": record.expired,
        "superseded_by": (
            f"{record.base_url}/decisions/{record.superseded_by}" if record.superseded_by else None
        ),
        "files": {kind: {"url": url, "sha256": sha} for kind, (url, sha) in files.items()},
    }


def sealed_record(document: dict[str, Any], *, at: datetime) -> dict[str, Any]:
    """The record and its compact JWS seal (whose payload is the record itself)."""
    return {"record": document, "jws": seal_record(document, at=at)}


def seal_record(document: dict[str, Any], *, at: datetime) -> str:
    """The compact JWS of the record alone (`application/jose`)."""
    return jose_seal.sealer_from_settings().seal_json(document, signing_time=at)
