"""Every table of the engine, in one module so that the metadata and Alembic see them all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from qa_engine.store.types import JSONType, UTCDateTime, utcnow


def _ts(**kw: Any):
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


class Institution(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=16)
    name: str = Field(max_length=200)
    local_name: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    country: str = Field(max_length=2)
    membership: str = Field(default="member", max_length=32)
    created_at: datetime = _ts()


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=120)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    institution_id: int | None = Field(default=None, foreign_key="institution.id", index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = True
    max_open_reviews: int = 4
    expertise_fields: list[str] = Field(default_factory=list, sa_type=JSONType)
    expertise_skills: list[str] = Field(default_factory=list, sa_type=JSONType)
    languages: list[str] = Field(default_factory=list, sa_type=JSONType)
    session_epoch: int = 0
    created_at: datetime = _ts()


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(max_length=32, index=True)


class Credential(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("institution_id", "reference"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    reference: str = Field(max_length=64)
    title: str = Field(max_length=400)
    current_version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class CredentialVersion(SQLModel, table=True):
    __tablename__ = "credential_version"
    __table_args__ = (UniqueConstraint("credential_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    credential_id: int = Field(foreign_key="credential.id", index=True)
    number: int
    data: dict = Field(sa_type=JSONType)
    content_hash: str = Field(max_length=64, index=True)
    source: str = Field(default="", max_length=300)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = _ts()


class RubricSnapshot(SQLModel, table=True):
    """A rubric version as it was used: frozen, never changed in place."""

    __tablename__ = "rubric_snapshot"
    __table_args__ = (UniqueConstraint("rubric_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    rubric_id: str = Field(max_length=100, index=True)
    version: str = Field(max_length=40)
    title: str = Field(max_length=300)
    content_hash: str = Field(max_length=64)
    content: dict = Field(sa_type=JSONType)
    created_at: datetime = _ts()


class AuditEvent(SQLModel, table=True):
    """Append-only; `seq` is dense and `hash` chains each event to the one before it."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = _ts()
    actor: str = Field(max_length=120)
    action: str = Field(max_length=80, index=True)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=80, index=True)
    payload: dict = Field(default_factory=dict, sa_type=JSONType)
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)


def version_column() -> Column:
    """A fresh optimistic-lock column (STACK-NOTES: the column object must be shared with mapper args)."""
    return Column("version", Integer, nullable=False, default=1)
