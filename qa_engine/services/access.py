"""Who may see which case. A case a person may not see does not exist for them (404, same body).

A reviewer reads a case while they are part of its current round (invited, accepted or submitted):
after a revision request the reviewers of the earlier round no longer see the case, unless they are
invited again. Their own reviews stay theirs (`reviews.own_assignment`, "Invitations and reviews").

The role lists below are the rules the routes check first (`web.auth.requires`), before a request
is read further; the services check them again, with the case at hand."""

from __future__ import annotations

from sqlmodel import Session

from qa_engine.domain.errors import NotFound
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Actor, Role
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store.models import Assignment, Case

STAFF = (Role.QA_OFFICER, Role.APPROVER, Role.ADMIN)
OFFICERS = (Role.QA_OFFICER, Role.ADMIN)  # the QA office: assignment, reminders, reassignments
APPROVERS = (Role.APPROVER,)
REVIEWERS = (Role.REVIEWER,)
ADMINS = (Role.ADMIN,)
# who may ever read a case (which one: `may_read_case`); leadership reads the aggregates only
CASE_READERS = (Role.PROVIDER, Role.REVIEWER, Role.QA_OFFICER, Role.APPROVER, Role.ADMIN)
# the provider's institution and the QA office withdraw or resubmit a case (`manages_case`)
CASE_MANAGERS = (Role.PROVIDER, Role.QA_OFFICER, Role.ADMIN)
SELF_ASSESSMENT_WRITERS = (Role.PROVIDER,)
# everyone who reads cases reads the rubric version new cases use; drafts, other versions, the
# comparison and publishing are the QA office's (OFFICERS)
RUBRIC_READERS = CASE_READERS
# providers read their institution's credentials, QA staff every one
CREDENTIAL_READERS = (Role.PROVIDER, *STAFF)
# who may download a case's interop exports: QA officers, approvers and the providers of the case's
# institution (`services.exports.case_export`); anyone reads them on the public decision record
EXPORT_READERS = (Role.PROVIDER, Role.QA_OFFICER, Role.APPROVER)


def not_found(case_id: int | str) -> NotFound:
    return NotFound(N_("case %(id)s not found"), id=case_id)


def may_read_case(session: Session, actor: Actor, case: Case) -> bool:
    if actor.has(*STAFF):
        return True
    if Role.PROVIDER in actor.roles and actor.institution_id == case.institution_id:
        return True
    return current_assignment(session, actor, case) is not None


def current_assignment(session: Session, actor: Actor, case: Case) -> Assignment | None:
    """The reviewer's invitation or assignment in the case's current round (None for anyone
    else)."""
    return round_assignment(session, actor, case, case.round)


def round_assignment(session: Session, actor: Actor, case: Case, round_: int) -> Assignment | None:
    """The reviewer's invitation or assignment (invited, accepted, submitted) in this round."""
    if Role.REVIEWER not in actor.roles or actor.user_id is None:
        return None
    return case_repo.live_assignment_for(session, saved_id(case), actor.user_id, round_)


def get_case_or_raise(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    """The case, whoever asks (the engine's own steps); `NotFound` when there is none."""
    case = case_repo.get_case(session, case_id, for_update=for_update)
    if case is None:
        raise not_found(case_id)
    return case


def case_for(session: Session, actor: Actor, case_id: int, *, for_update: bool = False) -> Case:
    """The case if this actor may read it; otherwise `NotFound`, exactly as for a missing case."""
    case = case_repo.get_case(session, case_id, for_update=for_update)
    if case is None or not may_read_case(session, actor, case):
        raise not_found(case_id)
    return case


def is_provider_of(actor: Actor, case: Case) -> bool:
    return Role.PROVIDER in actor.roles and actor.institution_id == case.institution_id


def manages_case(actor: Actor, case: Case) -> bool:
    """The provider's institution and the QA office withdraw a case, or resubmit it after a
    return."""
    return is_provider_of(actor, case) or actor.has(*OFFICERS)


def sees_reviewer_names(actor: Actor) -> bool:
    return actor.has(*STAFF)


CREDENTIAL_WRITERS = (Role.PROVIDER, Role.QA_OFFICER, Role.ADMIN)


def writes_credentials(actor: Actor) -> bool:
    return actor.has(*CREDENTIAL_WRITERS)


def require_credential_writer(actor: Actor, *, action: str = N_("submit credentials")) -> None:
    """Providers (for their own institution, see `may_write_credential`) and the QA office."""
    actor.require(*CREDENTIAL_WRITERS, action=action)


def may_write_credential(actor: Actor, institution_id: int) -> bool:
    """The QA office writes every credential; a provider those of their own institution."""
    return actor.has(*OFFICERS) or (
        Role.PROVIDER in actor.roles and actor.institution_id == institution_id
    )
