"""Import a batch of credentials, all or nothing, and open their review cases if asked: the one set
of rules behind the upload page, the API, `qa-engine credentials import` and the intake flow. The
file itself is read by `qa_engine.adapters.credential_io`; this module takes the validated
credentials."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from qa_engine.domain.credential import Credential as CredentialData
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.roles import Actor
from qa_engine.services import access
from qa_engine.services import cases as case_service
from qa_engine.services.credentials import save_credential
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo

ACTION = "import credentials"


@dataclass(frozen=True)
class ImportResult:
    """What an import did, by credential (``PROVIDER/reference``), and the cases it opened."""

    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    opened_cases: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.new_versions) + len(self.unchanged)


def known_providers(*, session: Session, actor: Actor) -> set[str] | None:
    """The institution codes a file of credentials may name, for whoever may import one.

    None while no institution is registered: the file is then read without that check, and storing
    names the unknown provider."""
    access.require_credential_writer(actor, action=ACTION)
    return set(repo.institution_codes(session)) or None


def import_credentials(
    *,
    session: Session,
    actor: Actor,
    items: Sequence[CredentialData],
    open_cases: bool,
    rubric_id: str = case_service.DEFAULT_RUBRIC,
    source: str = "",
) -> ImportResult:
    """Store every credential of a validated batch; with `open_cases`, open a case for each that has
    none.

    The caller's transaction makes it all or nothing."""
    access.require_credential_writer(actor, action=ACTION)
    result = ImportResult()
    outcomes = {
        "created": result.created,
        "new_version": result.new_versions,
        "unchanged": result.unchanged,
    }
    seen: set[tuple[str, str]] = set()
    stored: list[int] = []
    for data in items:
        key = (data.provider, data.reference)
        if key in seen:
            raise ValidationFailed(
                f"credential {data.provider}/{data.reference}"
                f" appears twice in {source or 'the batch'}"
            )
        seen.add(key)
        version, outcome = save_credential(session=session, actor=actor, data=data, source=source)
        outcomes[outcome].append(f"{data.provider}/{data.reference}")
        stored.append(version.credential_id)
    if open_cases:
        for credential_id in stored:
            if case_repo.open_case_for_credential(session, credential_id) is None:
                case = case_service.open_case(
                    session=session, actor=actor, credential_id=credential_id, rubric_id=rubric_id
                )
                result.opened_cases.append(saved_id(case))
    return result
