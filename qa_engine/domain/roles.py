"""Who acts: roles and the actor a service call is made for."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from qa_engine.domain.errors import Forbidden


class Role(StrEnum):
    PROVIDER = "provider"
    QA_OFFICER = "qa_officer"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    LEADERSHIP = "leadership"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role in words, with its article ("a QA officer", "an admin")."""
        return _LABELS[self]


_LABELS = {
    Role.PROVIDER: "a provider",
    Role.QA_OFFICER: "a QA officer",
    Role.REVIEWER: "a reviewer",
    Role.APPROVER: "an approver",
    Role.LEADERSHIP: "a member of the leadership",
    Role.ADMIN: "an admin",
}


@dataclass(frozen=True)
class Actor:
    """The person (or the engine itself) on whose behalf a service runs."""

    user_id: int | None
    username: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    institution_id: int | None = None

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    def has(self, *roles: Role) -> bool:
        return self.is_system or bool(self.roles & set(roles))

    def require(self, *roles: Role, action: str = "do this") -> None:
        if not self.has(*roles):
            wanted = " or ".join(r.label for r in roles)
            raise Forbidden(f"only {wanted} may {action}")


SYSTEM = Actor(user_id=None, username="qa-engine", roles=frozenset(Role))
