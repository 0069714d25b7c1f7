"""Import a batch of credentials, all or nothing, and open their review cases if asked: the one set
of rules behind the upload page, the API, `qa-engine credentials import` and the intake flow. The
file itself is read by `qa_engine.adapters.credential_io`; this module takes the validated
credentials.

A new version of a credential whose case is open is not what that case reviews: the case keeps the
version it froze until the provider submits a revision into it. So an import that would store one
is refused (`ConfirmationNeeded`, 409) unless it is confirmed, or names that case (`case_id`): then
the new version is submitted into the case as the revised credential of its new round."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from qa_engine.domain.credential import Credential as CredentialData
from qa_engine.domain.errors import ConfirmationNeeded, ValidationFailed
from qa_engine.domain.i18n import N_, Message
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
    revised_case: int | None = None  # the case the import submitted its revision into

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
    confirm: bool = False,
    case_id: int | None = None,
) -> ImportResult:
    """Store every credential of a validated batch; with `open_cases`, open a case for each that has
    none; with `case_id`, submit the case's credential from the batch into it as its revision.

    A new version of a credential with another open case needs `confirm`. The caller's transaction
    makes it all or nothing."""
    access.require_credential_writer(actor, action=ACTION)
    if not confirm:
        held = [
            msg for data in items if (msg := _held_by_open_case(session, data, case_id)) is not None
        ]
        if held:
            raise ConfirmationNeeded(
                N_(
                    "this import would store a new version of a credential that an open case is"
                    " reviewing; the case would go on reviewing its own version. Name the case to"
                    " submit the file as its revised credential, or confirm to store it anyway"
                ),
                details=held,
            )
    created: list[str] = []
    new_versions: list[str] = []
    unchanged: list[str] = []
    outcomes = {"created": created, "new_version": new_versions, "unchanged": unchanged}
    case_credential = (
        access.case_for(session, actor, case_id).credential_id if case_id is not None else None
    )
    revised: int | None = None
    seen: set[tuple[str, str]] = set()
    stored: list[int] = []
    for data in items:
        key = (data.provider, data.reference)
        if key in seen:
            if source:
                raise ValidationFailed(
                    N_("credential %(credential)s appears twice in %(source)s"),
                    credential=f"{data.provider}/{data.reference}",
                    source=source,
                )
            raise ValidationFailed(
                N_("credential %(credential)s appears twice in the batch"),
                credential=f"{data.provider}/{data.reference}",
            )
        seen.add(key)
        version, outcome = save_credential(session=session, actor=actor, data=data, source=source)
        outcomes[outcome].append(f"{data.provider}/{data.reference}")
        stored.append(version.credential_id)
        if case_id is not None and version.credential_id == case_credential:
            case_service.submit_revision(
                session=session,
                actor=actor,
                case_id=case_id,
                credential_version_id=saved_id(version),
                source=source,
            )
            revised = case_id
    if case_id is not None and revised is None:
        if source:
            raise ValidationFailed(
                N_(
                    "%(source)s does not hold the credential of case %(case)s"
                    " (credential %(credential)s); nothing was imported"
                ),
                source=source,
                case=case_id,
                credential=case_credential,
            )
        raise ValidationFailed(
            N_(
                "the file does not hold the credential of case %(case)s"
                " (credential %(credential)s); nothing was imported"
            ),
            case=case_id,
            credential=case_credential,
        )
    opened: list[int] = []
    if open_cases:
        for credential_id in stored:
            if case_repo.open_case_for_credential(session, credential_id) is None:
                case = case_service.open_case(
                    session=session, actor=actor, credential_id=credential_id, rubric_id=rubric_id
                )
                opened.append(saved_id(case))
    return ImportResult(created, new_versions, unchanged, opened, revised)


def _held_by_open_case(
    session: Session, data: CredentialData, case_id: int | None
) -> Message | None:
    """Why storing this content would change a credential under review, or None when it would
    not (a new credential, the same content, or the case the import names)."""
    institution = repo.get_institution_by_code(session, data.provider)
    if institution is None:
        return None
    credential = repo.get_credential_by_reference(session, saved_id(institution), data.reference)
    if credential is None:
        return None
    latest = repo.get_credential_version(session, saved_id(credential))
    if latest is None or latest.content_hash == data.content_hash:
        return None
    case = case_repo.open_case_for_credential(session, saved_id(credential))
    if case is None or case.id == case_id:
        return None
    reviewed = case_service.credential_version_of(session, case)
    params: dict[str, object] = {
        "credential": f"{data.provider}/{data.reference}",
        "case": case.id,
        "state": case.state.replace("_", " "),
        "round": case.round,
        "reviewed": reviewed.number,
        "latest": latest.number,
    }
    older = repo.credential_version_with_hash(session, saved_id(credential), data.content_hash)
    if older is not None:
        return Message(
            N_(
                "%(credential)s: case %(case)s (%(state)s, round %(round)s) reviews version"
                " %(reviewed)s; the newest is version %(latest)s; this file holds version"
                " %(older)s again and would undo the changes made since then"
            ),
            params={**params, "older": older.number},
        )
    return Message(
        N_(
            "%(credential)s: case %(case)s (%(state)s, round %(round)s) reviews version"
            " %(reviewed)s; the newest is version %(latest)s"
        ),
        params=params,
    )
