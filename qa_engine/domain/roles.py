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


_PLURALS = {
    Role.PROVIDER: "providers",
    Role.QA_OFFICER: "QA officers",
    Role.REVIEWER: "reviewers",
    Role.APPROVER: "approvers",
    Role.LEADERSHIP: "members of the leadership",
    Role.ADMIN: "admins",
}

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


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def refusal(held: frozenset[Role], allowed: tuple[Role, ...], action: str) -> str:
    """A refusal worded for who asked: "reviewers do not submit credentials; providers and the QA
    office do". `action` is a verb phrase ("submit credentials"). The QA office stands for QA
    officers and admins together; admins are named when they alone may."""
    asked = [_PLURALS[r] for r in Role if r in held] or ["accounts without a role"]
    who = [r for r in Role if r in allowed]
    if Role.QA_OFFICER in who and Role.ADMIN in who:
        who.remove(Role.ADMIN)
    words = ["the QA office" if r == Role.QA_OFFICER else _PLURALS[r] for r in who]
    verb = "does" if words == ["the QA office"] else "do"
    return f"{_and(asked)} do not {action}; {_and(words)} {verb}"


SYSTEM = Actor(user_id=None, username="qa-engine", roles=frozenset(Role))
