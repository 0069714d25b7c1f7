"""Who acts: roles and the actor a service call is made for."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from qa_engine.domain.errors import Forbidden
from qa_engine.domain.i18n import N_, Message, Np_, one_of


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


# the roles as refusals name them (translated where they are shown)
_PLURALS = {
    Role.PROVIDER: N_("providers"),
    Role.QA_OFFICER: N_("QA officers"),
    Role.REVIEWER: N_("reviewers"),
    Role.APPROVER: N_("approvers"),
    Role.LEADERSHIP: N_("members of the leadership"),
    Role.ADMIN: N_("admins"),
}

_LABELS = {
    Role.PROVIDER: N_("a provider"),
    Role.QA_OFFICER: N_("a QA officer"),
    Role.REVIEWER: N_("a reviewer"),
    Role.APPROVER: N_("an approver"),
    Role.LEADERSHIP: N_("a member of the leadership"),
    Role.ADMIN: N_("an admin"),
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

    def require(self, *roles: Role, action: str = N_("do this")) -> None:
        """Refuse anyone without one of `roles`: `action` is a verb phrase marked for the catalogs
        where it is written (`action=N_("assign reviewers")`), translated in the refusal."""
        if not self.has(*roles):
            raise Forbidden(
                N_("only %(roles)s may %(action)s"),
                roles=one_of([Np_(_LABELS[r]) for r in roles]),
                action=Np_(action),
            )


def refusal(held: frozenset[Role], allowed: tuple[Role, ...], action: str) -> Forbidden:
    """A refusal worded for who asked: "reviewers do not submit credentials; providers and the QA
    office do". `action` is a verb phrase ("submit credentials", marked for the catalogs where it
    is written). The QA office stands for QA officers and admins together; admins are named when
    they alone may."""
    asked: list[Message | str] = [Np_(_PLURALS[r]) for r in Role if r in held] or [
        Np_(N_("accounts without a role"))
    ]
    who = [r for r in Role if r in allowed]
    if Role.QA_OFFICER in who and Role.ADMIN in who:
        who.remove(Role.ADMIN)
    if who == [Role.QA_OFFICER]:  # one office: "does"
        text = N_("%(asked)s do not %(action)s; the QA office does")
        return Forbidden(text, asked=one_of(asked, joiner="and"), action=Np_(action))
    words = [Np_(N_("the QA office")) if r == Role.QA_OFFICER else Np_(_PLURALS[r]) for r in who]
    return Forbidden(
        N_("%(asked)s do not %(action)s; %(allowed)s do"),
        asked=one_of(asked, joiner="and"),
        action=Np_(action),
        allowed=one_of(words, joiner="and"),
    )


SYSTEM = Actor(user_id=None, username="qa-engine", roles=frozenset(Role))
