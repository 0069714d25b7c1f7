"""Credentials: submit one (form or JSON), store it with one version per changed content, read them
as the actor may (a page of them, one with its versions), and what a person may submit them for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from qa_engine.domain.clock import now
from qa_engine.domain.credential import Credential as CredentialData
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.errors import Forbidden, NotFound, ValidationFailed, check_version
from qa_engine.domain.i18n import N_
from qa_engine.domain.institutions import provider_code
from qa_engine.domain.outcomes import decision_summary
from qa_engine.domain.roles import Actor, Role
from qa_engine.services import access, audit
from qa_engine.services.rows import get_or_raise, saved_id
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import Case, Credential, CredentialVersion, Decision, Institution


@dataclass(frozen=True)
class SavedCredential:
    credential_id: int
    version: int
    outcome: str  # created, new_version or unchanged


def submit_credential(
    *,
    session: Session,
    actor: Actor,
    raw: Mapping[str, Any],
    credential_id: int | None = None,
    expected_version: int | None = None,
    source: str = "",
) -> SavedCredential:
    """Validate a credential as typed (every problem named by field) and store it, or a new version
    of it.

    With `credential_id` it is a new version of that credential: its provider and reference stay,
    and the edit must say which version it started from (`expected_version`); a stale one is
    refused."""
    if credential_id is None:
        access.require_credential_writer(actor)
    else:
        existing = get_credential_or_raise(
            session=session, actor=actor, credential_id=credential_id
        )
        access.require_credential_writer(actor, action="change credentials")
        if expected_version is None:
            raise ValidationFailed(
                N_(
                    "say which version of credential %(id)s you edited (it is now version "
                    "%(version)s): reload it and edit again"
                ),
                id=existing.id,
                version=existing.current_version,
            )
        check_version(f"credential {existing.id}", existing.current_version, expected_version)
        code = get_or_raise(session, Institution, existing.institution_id, what="institution").code
        named = str(raw.get("provider") or "").strip()
        provider = provider_code(named) or named.upper()
        reference = str(raw.get("reference") or "").strip()
        if provider != code or reference != existing.reference:
            raise ValidationFailed(
                N_(
                    "the provider and the reference of a credential cannot change; "
                    "submit a new credential instead"
                ),
                details=[f"provider: {code}", f"reference: {existing.reference}"],
            )
    known = set(repo.institution_codes(session))
    data = parse_credential(dict(raw), known_providers=known or None)
    version, outcome = save_credential(session=session, actor=actor, data=data, source=source)
    return SavedCredential(version.credential_id, version.number, outcome)


def save_credential(
    *, session: Session, actor: Actor, data: CredentialData, source: str = ""
) -> tuple[CredentialVersion, str]:
    """Create the credential or add a version when its content changed; return (version, what
    happened)."""
    institution = repo.get_institution_by_code(session, data.provider)
    if institution is None:
        raise ValidationFailed(
            N_("unknown provider institution %(code)s"), code=repr(data.provider)
        )
    institution_id = saved_id(institution)
    _check_may_write(actor, institution_id)
    credential = repo.get_credential_by_reference(session, institution_id, data.reference)
    if credential is None:
        credential = Credential(
            institution_id=institution_id, reference=data.reference, title=data.title
        )
        session.add(credential)
        session.flush()
        outcome = "created"
        number = 1
    else:
        latest = repo.get_credential_version(session, saved_id(credential))
        if latest is not None and latest.content_hash == data.content_hash:
            return latest, "unchanged"
        number = (latest.number if latest else 0) + 1
        outcome = "new_version"
    credential_id = saved_id(credential)
    version = CredentialVersion(
        credential_id=credential_id,
        number=number,
        data=data.canonical(),
        content_hash=data.content_hash,
        source=source[:300],
        created_by_id=actor.user_id,
    )
    credential.current_version = number
    credential.title = data.title
    credential.updated_at = now()
    session.add(version)
    session.add(credential)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"credential.{outcome}",
        subject_type="credential",
        subject_id=credential_id,
        payload={
            "reference": data.reference,
            "provider": data.provider,
            "version": number,
            "hash": data.content_hash,
            "source": source[:300],
        },
    )
    return version, outcome


def get_credential_or_raise(*, session: Session, actor: Actor, credential_id: int) -> Credential:
    credential = repo.get_credential(session, credential_id)
    if credential is None or not _may_read(actor, credential.institution_id):
        raise NotFound(N_("no credential %(id)s"), id=credential_id)
    return credential


def credential_data(version: CredentialVersion) -> CredentialData:
    return CredentialData.model_validate(version.data)


def _may_read(actor: Actor, institution_id: int) -> bool:
    if actor.has(Role.QA_OFFICER, Role.ADMIN, Role.APPROVER):
        return True
    return Role.PROVIDER in actor.roles and actor.institution_id == institution_id


def _check_may_write(actor: Actor, institution_id: int) -> None:
    if access.may_write_credential(actor, institution_id):
        return
    raise Forbidden(N_("a provider may submit credentials only for their own institution"))


# --------------------------------------------------------------------------- reading


def summary_of(decision: Decision) -> str:
    """A decision in its provider's words: outcome, conditions, what to do next."""
    until = decision.valid_until.date() if decision.valid_until else None
    return decision_summary(decision.outcome, decision.conditions or [], until)


@dataclass(frozen=True)
class CredentialRow:
    credential: Credential
    institution: Institution
    open_case: Case | None
    version: CredentialVersion | None = None  # the current one, when asked for
    decided_case: Case | None = None  # the case of the newest decision on it, if any
    decision: Decision | None = None
    outcome: str = ""  # that decision in words, with what the provider must do next


@dataclass(frozen=True)
class CredentialsPage:
    rows: list[CredentialRow]
    total: int
    may_write: bool  # may submit credentials at all


def credentials_page(
    *,
    session: Session,
    actor: Actor,
    institution: str | None = None,
    offset: int = 0,
    limit: int | None = 50,
    with_versions: bool = False,
) -> CredentialsPage:
    """One page of the credentials this actor may see (a provider: their institution's; QA staff:
    every one, or one institution's), with their open cases (and their current versions when
    asked)."""
    if actor.has(Role.QA_OFFICER, Role.APPROVER, Role.ADMIN):
        inst = None
        if institution:
            found = repo.get_institution_by_code(session, institution)
            if found is None:
                raise ValidationFailed(N_("unknown institution %(code)s"), code=institution)
            inst = found.id
    elif Role.PROVIDER in actor.roles and actor.institution_id is not None:
        inst = actor.institution_id
    else:
        raise Forbidden(N_("only providers and QA staff read credentials"))
    rows = case_repo.credentials_with_open_cases(
        session, institution_id=inst, offset=offset, limit=limit, with_versions=with_versions
    )
    decided = case_repo.latest_decisions(session, credential_ids=[saved_id(r[0]) for r in rows])
    out = []
    for row in rows:
        latest = decided.get(saved_id(row[0]))
        if latest is None:
            out.append(CredentialRow(*row))
            continue
        case, decision = latest
        out.append(CredentialRow(*row, case, decision, summary_of(decision)))
    return CredentialsPage(
        out,
        repo.count_credentials(session, institution_id=inst),
        access.writes_credentials(actor),
    )


@dataclass(frozen=True)
class CredentialDetail:
    credential: Credential
    institution: Institution
    versions: list[CredentialVersion]  # oldest first
    open_case: Case | None
    may_write: bool

    @property
    def data(self) -> dict[str, Any]:
        return self.versions[-1].data if self.versions else {}


def credential_detail(*, session: Session, actor: Actor, credential_id: int) -> CredentialDetail:
    """One credential this actor may read, with its versions and its open case."""
    credential = get_credential_or_raise(session=session, actor=actor, credential_id=credential_id)
    return CredentialDetail(
        credential,
        get_or_raise(session, Institution, credential.institution_id, what="institution"),
        repo.credential_versions(session, credential_id),
        case_repo.open_case_for_credential(session, credential_id),
        access.may_write_credential(actor, credential.institution_id),
    )


def provider_choices(*, session: Session, actor: Actor) -> list[Institution]:
    """The institutions this actor may submit credentials for: every one for the QA office, else
    their own."""
    everything = repo.list_institutions(session)
    if actor.has(Role.QA_OFFICER, Role.ADMIN):
        return everything
    return [i for i in everything if i.id == actor.institution_id]


@dataclass(frozen=True)
class SubmissionForm:
    institutions: list[Institution]  # the provider choices
    own: Institution | None  # the actor's institution: the form's default provider and country


def submission_form(
    *, session: Session, actor: Actor, action: str = "submit credentials"
) -> SubmissionForm:
    """What a person who may submit credentials submits them for."""
    access.require_credential_writer(actor, action=action)
    own = session.get(Institution, actor.institution_id) if actor.institution_id else None
    return SubmissionForm(provider_choices(session=session, actor=actor), own)
