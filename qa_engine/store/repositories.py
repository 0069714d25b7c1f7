"""Queries for institutions, users, credentials and rubric snapshots."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlmodel import Session

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
    return session.execute(
        select(Institution).where(Institution.code == code.upper())
    ).scalar_one_or_none()


def list_institutions(session: Session) -> list[Institution]:
    return list(session.execute(select(Institution).order_by(Institution.code)).scalars())


def institution_codes(session: Session) -> dict[str, int]:
    return {code: iid for iid, code in session.execute(select(Institution.id, Institution.code))}


# --------------------------------------------------------------------------- users


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def roles_of(session: Session, user_id: int) -> frozenset[Role]:
    rows = session.execute(select(UserRole.role).where(UserRole.user_id == user_id)).scalars()
    return frozenset(Role(r) for r in rows)


def set_roles(session: Session, user_id: int, roles: Sequence[Role]) -> None:
    existing = roles_of(session, user_id)
    for role in set(roles) - existing:
        session.add(UserRole(user_id=user_id, role=role.value))
    for row in session.execute(select(UserRole).where(UserRole.user_id == user_id)).scalars():
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
    q = select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role.value)
    if active_only:
        q = q.where(User.active.is_(True))
    return list(session.execute(q.order_by(User.id)).scalars())


def users_with_institution_codes(
    session: Session, *, username: str | None = None
) -> list[tuple[User, str | None]]:
    """Every user (or the one named) with the code of their institution, by username."""
    q = select(User, Institution.code).outerjoin(Institution, Institution.id == User.institution_id)
    if username is not None:
        q = q.where(User.username == username)
    return [(u, code) for u, code in session.execute(q.order_by(User.username)).all()]


def roles_by_user(
    session: Session, user_ids: Sequence[int] | None = None
) -> dict[int, frozenset[Role]]:
    """The roles of many users in one query (of everyone when `user_ids` is None)."""
    q = select(UserRole.user_id, UserRole.role)
    if user_ids is not None:
        q = q.where(UserRole.user_id.in_(list(user_ids)))
    found: dict[int, set[Role]] = {}
    for user_id, role in session.execute(q):
        found.setdefault(user_id, set()).add(Role(role))
    return {k: frozenset(v) for k, v in found.items()}


# --------------------------------------------------------------------------- credentials


def get_credential(session: Session, credential_id: int) -> Credential | None:
    return session.get(Credential, credential_id)


def get_credential_by_reference(
    session: Session, institution_id: int, reference: str
) -> Credential | None:
    return session.execute(
        select(Credential).where(
            Credential.institution_id == institution_id, Credential.reference == reference
        )
    ).scalar_one_or_none()


def get_credential_version(
    session: Session, credential_id: int, number: int | None = None
) -> CredentialVersion | None:
    q = select(CredentialVersion).where(CredentialVersion.credential_id == credential_id)
    if number is None:
        q = q.order_by(CredentialVersion.number.desc()).limit(1)
    else:
        q = q.where(CredentialVersion.number == number)
    return session.execute(q).scalar_one_or_none()


def credential_versions(session: Session, credential_id: int) -> list[CredentialVersion]:
    """Every version of a credential, oldest first."""
    q = select(CredentialVersion).where(CredentialVersion.credential_id == credential_id)
    return list(session.execute(q.order_by(CredentialVersion.number)).scalars())


def list_credentials(
    session: Session,
    *,
    institution_id: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[tuple[Credential, Institution]]:
    q = select(Credential, Institution).join(
        Institution, Institution.id == Credential.institution_id
    )
    if institution_id is not None:
        q = q.where(Credential.institution_id == institution_id)
    q = q.order_by(Institution.code, Credential.reference).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [(c, i) for c, i in session.execute(q).all()]


def count_credentials(session: Session, *, institution_id: int | None = None) -> int:
    q = select(func.count(Credential.id))
    if institution_id is not None:
        q = q.where(Credential.institution_id == institution_id)
    return int(session.execute(q).scalar_one())


# --------------------------------------------------------------------------- rubric snapshots


def get_rubric_snapshot(session: Session, rubric_id: str, version: str) -> RubricSnapshot | None:
    return session.execute(
        select(RubricSnapshot).where(
            RubricSnapshot.rubric_id == rubric_id, RubricSnapshot.version == version
        )
    ).scalar_one_or_none()


def get_rubric_snapshot_by_pk(session: Session, snapshot_id: int) -> RubricSnapshot | None:
    return session.get(RubricSnapshot, snapshot_id)


def rubric_snapshot_hash(session: Session, snapshot_id: int) -> str | None:
    """The content hash of a snapshot, without loading its content."""
    return session.execute(
        select(RubricSnapshot.content_hash).where(RubricSnapshot.id == snapshot_id)
    ).scalar_one_or_none()


def list_rubric_snapshots(session: Session) -> list[RubricSnapshot]:
    return list(
        session.execute(
            select(RubricSnapshot).order_by(RubricSnapshot.rubric_id, RubricSnapshot.id)
        ).scalars()
    )
