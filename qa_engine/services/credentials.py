"""Store credentials, one version per changed content."""

from __future__ import annotations

from sqlmodel import Session

from qa_engine.domain.credential import Credential as CredentialData
from qa_engine.domain.errors import Forbidden, NotFound, ValidationFailed
from qa_engine.domain.roles import Actor, Role
from qa_engine.services import audit
from qa_engine.store import repositories as repo
from qa_engine.store.models import Credential, CredentialVersion
from qa_engine.store.types import utcnow


def save_credential(*, session: Session, actor: Actor, data: CredentialData, source: str = "") -> tuple[CredentialVersion, str]:
    """Create the credential or add a version when its content changed; return (version, what happened)."""
    institution = repo.get_institution_by_code(session, data.provider)
    if institution is None:
        raise ValidationFailed(f"unknown provider institution '{data.provider}'")
    _check_may_write(actor, institution.id)
    credential = repo.get_credential_by_reference(session, institution.id, data.reference)
    if credential is None:
        credential = Credential(institution_id=institution.id, reference=data.reference, title=data.title)
        session.add(credential)
        session.flush()
        outcome = "created"
        number = 1
    else:
        latest = repo.get_credential_version(session, credential.id)
        if latest is not None and latest.content_hash == data.content_hash:
            return latest, "unchanged"
        number = (latest.number if latest else 0) + 1
        outcome = "new_version"
    version = CredentialVersion(credential_id=credential.id, number=number, data=data.canonical(),
                                content_hash=data.content_hash, source=source[:300],
                                created_by_id=actor.user_id)
    credential.current_version = number
    credential.title = data.title
    credential.updated_at = utcnow()
    session.add(version)
    session.add(credential)
    session.flush()
    audit.record(session, actor=actor, action=f"credential.{outcome}", subject_type="credential",
                 subject_id=credential.id,
                 payload={"reference": data.reference, "provider": data.provider, "version": number,
                          "hash": data.content_hash, "source": source[:300]})
    return version, outcome


def get_credential_or_raise(*, session: Session, actor: Actor, credential_id: int) -> Credential:
    credential = repo.get_credential(session, credential_id)
    if credential is None or not _may_read(actor, credential.institution_id):
        raise NotFound(f"no credential {credential_id}")
    return credential


def credential_data(version: CredentialVersion) -> CredentialData:
    return CredentialData.model_validate(version.data)


def _may_read(actor: Actor, institution_id: int) -> bool:
    if actor.has(Role.QA_OFFICER, Role.ADMIN, Role.APPROVER):
        return True
    return Role.PROVIDER in actor.roles and actor.institution_id == institution_id


def _check_may_write(actor: Actor, institution_id: int) -> None:
    if actor.has(Role.QA_OFFICER, Role.ADMIN):
        return
    if Role.PROVIDER in actor.roles and actor.institution_id == institution_id:
        return
    raise Forbidden("a provider may submit credentials only for their own institution")
