"""Queries for institutions, users, credentials and rubric snapshots."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from qa_engine.domain.roles import Actor, Role
from qa_engine.store.models import (
    Credential,
    CredentialVersion,
    Institution,
    RubricSnapshot,
    User,
    UserRole,
)

# --------------------------------------------------------------------------- institutions


def get_institution_by_code(session: Session, code: str) -> Institution | None:
    return session.exec(select(Institution).where(Institution.code == code.upper())).one_or_none()


def list_institutions(session: Session) -> list[Institution]:
    return list(session.exec(select(Institution).order_by(col(Institution.code))))


def institution_country(session: Session, institution_id: int) -> str | None:
    return session.exec(
        select(Institution.country).where(col(Institution.id) == institution_id)
    ).one_or_none()


def institution_codes(session: Session) -> dict[str, int]:
    rows = session.exec(select(col(Institution.id), Institution.code))
    return {code: iid for iid, code in rows if iid is not None}


# --------------------------------------------------------------------------- users


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).one_or_none()


def roles_of(session: Session, user_id: int) -> frozenset[Role]:
    rows = session.exec(select(UserRole.role).where(UserRole.user_id == user_id))
    return frozenset(Role(r) for r in rows)


def set_roles(session: Session, user_id: int, roles: Sequence[Role]) -> None:
    existing = roles_of(session, user_id)
    for role in set(roles) - existing:
        session.add(UserRole(user_id=user_id, role=role.value))
    for row in session.exec(select(UserRole).where(UserRole.user_id == user_id)):
        if Role(row.role) not in roles:
            session.delete(row)
    session.flush()


def actor_for(session: Session, user: User) -> Actor:
    if user.id is None:
        raise ValueError(f"user {user.username} is not stored yet: flush it before acting for it")
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=roles_of(session, user.id),
        institution_id=user.institution_id,
    )


def users_with_role(session: Session, role: Role, *, active_only: bool = True) -> list[User]:
    q = (
        select(User)
        .join(UserRole, col(UserRole.user_id) == User.id)
        .where(UserRole.role == role.value)
    )
    if active_only:
        q = q.where(col(User.active).is_(True))
    return list(session.exec(q.order_by(col(User.id))))


def users_with_institution_codes(
    session: Session, *, username: str | None = None
) -> list[tuple[User, str | None]]:
    """Every user (or the one named) with the code of their institution, by username."""
    q = select(User, col(Institution.code)).outerjoin(
        Institution, col(Institution.id) == User.institution_id
    )
    if username is not None:
        q = q.where(User.username == username)
    return [(u, code) for u, code in session.exec(q.order_by(col(User.username))).all()]


def roles_by_user(
    session: Session, user_ids: Sequence[int] | None = None
) -> dict[int, frozenset[Role]]:
    """The roles of many users in one query (of everyone when `user_ids` is None)."""
    q = select(UserRole.user_id, UserRole.role)
    if user_ids is not None:
        q = q.where(col(UserRole.user_id).in_(list(user_ids)))
    found: dict[int, set[Role]] = {}
    for user_id, role in session.exec(q):
        found.setdefault(user_id, set()).add(Role(role))
    return {k: frozenset(v) for k, v in found.items()}


# --------------------------------------------------------------------------- credentials


def get_credential(session: Session, credential_id: int) -> Credential | None:
    return session.get(Credential, credential_id)


def get_credential_by_reference(
    session: Session, institution_id: int, reference: str
) -> Credential | None:
    return session.exec(
        select(Credential).where(
            Credential.institution_id == institution_id, Credential.reference == reference
        )
    ).one_or_none()


def get_credential_version(
    session: Session, credential_id: int, number: int | None = None
) -> CredentialVersion | None:
    q = select(CredentialVersion).where(CredentialVersion.credential_id == credential_id)
    if number is None:
        q = q.order_by(col(CredentialVersion.number).desc()).limit(1)
    else:
        q = q.where(CredentialVersion.number == number)
    return session.exec(q).one_or_none()


def credential_version_with_hash(
    session: Session, credential_id: int, content_hash: str
) -> CredentialVersion | None:
    """The newest version of a credential with exactly this content, if any."""
    q = select(CredentialVersion).where(
        CredentialVersion.credential_id == credential_id,
        CredentialVersion.content_hash == content_hash,
    )
    return session.exec(q.order_by(col(CredentialVersion.number).desc()).limit(1)).first()


def credential_versions(session: Session, credential_id: int) -> list[CredentialVersion]:
    """Every version of a credential, oldest first."""
    q = select(CredentialVersion).where(CredentialVersion.credential_id == credential_id)
    return list(session.exec(q.order_by(col(CredentialVersion.number))))


def list_credentials(
    session: Session,
    *,
    institution_id: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[tuple[Credential, Institution]]:
    q = select(Credential, Institution).join(
        Institution, col(Institution.id) == Credential.institution_id
    )
    if institution_id is not None:
        q = q.where(Credential.institution_id == institution_id)
    q = q.order_by(col(Institution.code), col(Credential.reference)).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [(c, i) for c, i in session.exec(q).all()]


def count_credentials(session: Session, *, institution_id: int | None = None) -> int:
    q = select(func.count(col(Credential.id)))
    if institution_id is not None:
        q = q.where(Credential.institution_id == institution_id)
    return int(session.exec(q).one())


# --------------------------------------------------------------------------- rubric snapshots


def get_rubric_snapshot(session: Session, rubric_id: str, version: str) -> RubricSnapshot | None:
    return session.exec(
        select(RubricSnapshot).where(
            RubricSnapshot.rubric_id == rubric_id, RubricSnapshot.version == version
        )
    ).one_or_none()


def get_rubric_snapshot_by_pk(session: Session, snapshot_id: int) -> RubricSnapshot | None:
    return session.get(RubricSnapshot, snapshot_id)


def rubric_snapshot_hash(session: Session, snapshot_id: int) -> str | None:
    """The content hash of a snapshot, without loading its content."""
    return session.exec(
        select(RubricSnapshot.content_hash).where(RubricSnapshot.id == snapshot_id)
    ).one_or_none()


def list_rubric_snapshots(session: Session) -> list[RubricSnapshot]:
    return list(
        session.exec(
            select(RubricSnapshot).order_by(col(RubricSnapshot.rubric_id), col(RubricSnapshot.id))
        )
    )
