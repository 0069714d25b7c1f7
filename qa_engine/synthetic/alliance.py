"""A seeded synthetic alliance created through the services: staff of the eight institutions,
reviewers with expertise and load limits, plausible credentials, cases.

Every draw comes from a generator keyed by the seed and by *what* is drawn (an institution and
a reviewer's number, a credential's number), never by database ids or call order: the same seed
gives the same people and credentials on SQLite and PostgreSQL, and asking for more reviewers or
credentials keeps the first ones unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlmodel import Session

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.errors import Conflict
from qa_engine.domain.roles import SYSTEM, Actor, Role
from qa_engine.services import cases as case_service
from qa_engine.services import credentials as credential_service
from qa_engine.services.institutions import seed_institutions
from qa_engine.services.rows import get_or_raise, saved_id
from qa_engine.services.users import add_user
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import Credential
from qa_engine.synthetic.credentials import CredentialFactory
from qa_engine.synthetic.people import person_name, reviewer_profile
from qa_engine.synthetic.tables import MEMBERS, Member

if TYPE_CHECKING:
    from qa_engine.synthetic.behaviour import Behaviour, Rates, Timing
    from qa_engine.synthetic.pace import EnginePace


def keyed_rng(*parts: object) -> np.random.Generator:
    """A generator determined by its key alone (e.g. seed, 'reviewer', 'CUNI', 3)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


@dataclass(frozen=True)
class PersonSpec:
    """One account the alliance needs, before it exists."""

    username: str
    full_name: str
    email: str
    role: Role
    institution: str | None = None
    expertise_fields: tuple[str, ...] = ()
    expertise_skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    max_open_reviews: int = 4


@dataclass
class Staff:
    """The actors of the alliance, for calling services on their behalf."""

    officers: list[Actor] = field(default_factory=list)
    approvers: list[Actor] = field(default_factory=list)
    leadership: list[Actor] = field(default_factory=list)
    admins: list[Actor] = field(default_factory=list)
    providers: dict[str, Actor] = field(default_factory=dict)  # by institution code
    reviewers: dict[int, Actor] = field(default_factory=dict)  # by user id
    created: int = 0  # accounts created by this call (the others already existed)

    @property
    def officer(self) -> Actor:
        return self.officers[0]

    @property
    def approver(self) -> Actor:
        return self.approvers[0]

    @property
    def leader(self) -> Actor:
        return self.leadership[0]

    @property
    def everyone(self) -> list[Actor]:
        return [
            *self.officers,
            *self.approvers,
            *self.leadership,
            *self.admins,
            *self.providers.values(),
            *self.reviewers.values(),
        ]

    def by_username(self, username: str) -> Actor | None:
        return next((a for a in self.everyone if a.username == username), None)

    def actor(self, user_id: int) -> Actor | None:
        return self.reviewers.get(user_id) or next(
            (a for a in self.everyone if a.user_id == user_id), None
        )

    def provider_for(self, institution_id: int) -> Actor:
        found = next(
            (a for a in self.providers.values() if a.institution_id == institution_id), None
        )
        if found is None:
            raise LookupError(
                f"no provider of institution {institution_id} among the synthetic staff"
            )
        return found


class SyntheticAlliance:
    """The eight institutions with seeded staff, reviewers and credentials.

    alliance = SyntheticAlliance(seed=7)
    staff = alliance.staff(session, reviewers_per_institution=3)
    credential_ids = alliance.credentials(session, 12)
    case_ids = alliance.open_cases(session, credential_ids)
    """

    def __init__(self, seed: int = 42, *, codes: Sequence[str] | None = None) -> None:
        self.seed = int(seed)
        self.members = [MEMBERS[c] for c in (codes or list(MEMBERS))]
        self.factory = CredentialFactory(self.rng("esco-pool"))

    def rng(self, *parts: object) -> np.random.Generator:
        return keyed_rng(self.seed, *parts)

    # ------------------------------------------------------------------ people

    def people(
        self,
        *,
        reviewers_per_institution: int = 3,
        max_open_reviews: int | None = None,
        officers: int = 2,
        approvers: int = 2,
    ) -> list[PersonSpec]:
        """Everyone the alliance needs (no database): QA officers, approvers, leadership, an admin,
        a provider per institution and `reviewers_per_institution` reviewers per institution."""
        out: list[PersonSpec] = []
        taken: set[str] = set()

        def staff_member(username: str, role: Role, label: str, k: int) -> None:
            rng = self.rng("staff", role.value, k)
            member = self.members[int(rng.integers(len(self.members)))]
            name = person_name(rng, member.locale, titled=0.6 if role == Role.APPROVER else 0.0)
            out.append(
                PersonSpec(username, f"{name.full} ({label})", f"{name.handle}@qa.example.eu", role)
            )
            taken.add(username)

        for k in range(officers):
            staff_member(
                "officer" if k == 0 else f"officer{k + 1}", Role.QA_OFFICER, "4EU+ QA office", k
            )
        for k in range(approvers):
            staff_member(
                "approver" if k == 0 else f"approver{k + 1}",
                Role.APPROVER,
                "QA board chair" if k == 0 else "QA board",
                k,
            )
        staff_member("leader", Role.LEADERSHIP, "4EU+ steering committee", 0)
        staff_member("admin", Role.ADMIN, "4EU+ IT services", 0)
        for m in self.members:
            username = f"provider.{m.code.lower()}"
            out.append(
                PersonSpec(
                    username,
                    f"Micro-credential team, {m.local_name}",
                    f"{username}@{m.domain}",
                    Role.PROVIDER,
                    m.code,
                )
            )
            taken.add(username)
        for m in self.members:
            for i in range(reviewers_per_institution):
                rng = self.rng("reviewer", m.code, i)
                profile = reviewer_profile(rng, m)
                name = profile.name
                handle = name.handle
                for _ in range(20):  # a namesake already in the alliance: draw another person
                    if handle not in taken:
                        break
                    name = person_name(rng, m.locale)
                    handle = name.handle
                n = 2
                while (
                    handle in taken
                ):  # pools exhausted (hundreds of reviewers): number the namesakes
                    handle = f"{name.handle}{n}"
                    n += 1
                taken.add(handle)
                out.append(
                    PersonSpec(
                        handle,
                        name.full,
                        f"{handle}@{m.domain}",
                        Role.REVIEWER,
                        m.code,
                        tuple(profile.expertise_fields),
                        tuple(profile.expertise_skills),
                        tuple(profile.languages),
                        max_open_reviews
                        if max_open_reviews is not None
                        else profile.max_open_reviews,
                    )
                )
        return out

    def staff(
        self,
        session: Session,
        *,
        reviewers_per_institution: int = 3,
        max_open_reviews: int | None = None,
        officers: int = 2,
        approvers: int = 2,
    ) -> Staff:
        """Create the people of `people()` through the users service (an account that already exists
        with the same role is reused, so running twice changes nothing); return their actors."""
        seed_institutions(session=session)
        out = Staff()
        for spec in self.people(
            reviewers_per_institution=reviewers_per_institution,
            max_open_reviews=max_open_reviews,
            officers=officers,
            approvers=approvers,
        ):
            user = repo.get_user_by_username(session, spec.username)
            if user is None:
                user = add_user(
                    session=session,
                    actor=SYSTEM,
                    username=spec.username,
                    full_name=spec.full_name,
                    email=spec.email,
                    roles=[spec.role],
                    institution_code=spec.institution,
                    max_open_reviews=spec.max_open_reviews,
                    expertise_fields=spec.expertise_fields,
                    expertise_skills=spec.expertise_skills,
                    languages=spec.languages,
                )
                out.created += 1
            actor = repo.actor_for(session, user)
            if spec.role not in actor.roles:
                raise Conflict(
                    f"user {spec.username} already exists without the role {spec.role.value}; "
                    "use another database or seed"
                )
            bucket = {
                Role.QA_OFFICER: out.officers,
                Role.APPROVER: out.approvers,
                Role.LEADERSHIP: out.leadership,
                Role.ADMIN: out.admins,
            }.get(spec.role)
            if bucket is not None:
                bucket.append(actor)
            elif spec.role == Role.PROVIDER:
                out.providers[spec.institution or ""] = actor
            else:
                out.reviewers[saved_id(user)] = actor
        return out

    # ------------------------------------------------------------------ credentials

    def reference(self, index: int) -> str:
        return f"{self._member_of(index).code}-MC-S{self.seed}-{index + 1:04d}"

    def credential_data(self, index: int) -> dict[str, Any]:
        """The raw fields of credential number `index` (no database)."""
        member = self._member_of(index)
        return self.factory.data(
            self.rng("credential", index, "content"), member, self.reference(index)
        )

    def credentials(self, session: Session, n: int, *, start: int = 0) -> list[int]:
        """Save credentials number start … start+n-1 through the credentials service; return their
        ids (one already saved with the same content is left as it is)."""
        return [cid for cid, _ in self.save_credentials(session, range(start, start + n))]

    def save_credentials(self, session: Session, indices: Iterable[int]) -> list[tuple[int, str]]:
        """Like `credentials`, with what happened to each: created, new_version or unchanged."""
        seed_institutions(session=session)
        out: list[tuple[int, str]] = []
        for index in indices:
            data = parse_credential(self.credential_data(index))
            version, outcome = credential_service.save_credential(
                session=session,
                actor=SYSTEM,
                data=data,
                source=f"synthetic alliance, seed {self.seed}",
            )
            out.append((version.credential_id, outcome))
        return out

    def _member_of(self, index: int) -> Member:
        return self.members[
            int(self.rng("credential", index, "institution").integers(len(self.members)))
        ]

    # ------------------------------------------------------------------ cases

    def open_cases(
        self,
        session: Session,
        credential_ids: Iterable[int],
        *,
        staff: Staff | None = None,
        rubric_id: str | None = None,
    ) -> list[int]:
        """Open a case per credential, by its institution's provider when `staff` is given (else
        the engine); return the case ids. Screening is the engine's next automated step (or
        `screen`)."""
        ids = []
        for cid in credential_ids:
            credential = get_or_raise(session, Credential, cid, what="credential")
            actor = staff.provider_for(credential.institution_id) if staff else SYSTEM
            case = case_service.open_case(
                session=session,
                actor=actor,
                credential_id=cid,
                rubric_id=rubric_id or case_service.DEFAULT_RUBRIC,
            )
            ids.append(saved_id(case))
        return ids

    @staticmethod
    def screen(session: Session, case_ids: Iterable[int]) -> dict[int, str]:
        """Run the automated screening of submitted cases now (what the flows do next); case →
        state."""
        out: dict[int, str] = {}
        for cid in case_ids:
            case = case_repo.get_case(session, cid)
            if case is not None and case.state in (CaseState.SUBMITTED, CaseState.SCREENING):
                case = case_service.screen_case(session=session, case_id=cid)
            out[cid] = case.state if case else "missing"
        return out

    # ------------------------------------------------------------------ behaviour

    def pace(self) -> EnginePace:
        """How long the engine's automated work takes on a simulated clock (`clock.set_pace`)."""
        from qa_engine.synthetic.pace import EnginePace

        return EnginePace(self.seed)

    def behaviour(
        self,
        staff: Staff,
        *,
        rates: Rates | None = None,
        plans: Mapping[int, str] | None = None,
        manage_clock: bool = False,
        timing: Timing | None = None,
    ) -> Behaviour:
        """The simulated people of this alliance (see `qa_engine.synthetic.behaviour`)."""
        from qa_engine.synthetic.behaviour import Behaviour

        return Behaviour(
            self, staff, rates=rates, plans=plans, manage_clock=manage_clock, timing=timing
        )
