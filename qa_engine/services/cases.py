"""Open, screen, resubmit, revise and withdraw cases; read them as the actor may."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from qa_engine.domain.case_states import CaseState, require_state, state_name
from qa_engine.domain.credential import Credential as CredentialData
from qa_engine.domain.credential import CredentialInvalid, element_report, parse_credential
from qa_engine.domain.credential_diff import ElementChange, diff_credentials
from qa_engine.domain.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    check_version,
)
from qa_engine.domain.i18n import N_, Np_
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import SYSTEM, Actor, Role
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.standards import EU_ELEMENTS, EU_OPTIONAL_ELEMENTS
from qa_engine.domain.statuses import LIVE_ASSIGNMENT, OPEN_ASSIGNMENT, AssignmentStatus
from qa_engine.services import access, audit, notifications, rubric_lifecycle
from qa_engine.services import rubrics as rubric_service
from qa_engine.services.context import now, transition, workflow_settings
from qa_engine.services.credentials import save_credential
from qa_engine.services.rows import saved_id
from qa_engine.store import audit_repo, case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import Case, CaseRound, Credential, CredentialVersion

DEFAULT_RUBRIC = "4eu-mici"


def open_case(
    *,
    session: Session,
    actor: Actor,
    credential_id: int,
    rubric_id: str = DEFAULT_RUBRIC,
    previous_case_id: int | None = None,
) -> Case:
    """Open a QA case for the credential's current version against a rubric version (both
    frozen)."""
    credential = session.execute(
        select(Credential).where(col(Credential.id) == credential_id).with_for_update()
    ).scalar_one_or_none()
    own = (
        credential is not None
        and Role.PROVIDER in actor.roles
        and actor.institution_id == credential.institution_id
    )
    if credential is None or not (own or actor.has(*access.STAFF)):
        raise NotFound(N_("no credential %(id)s"), id=credential_id)
    if not (own or actor.has(Role.QA_OFFICER, Role.ADMIN)):
        raise Forbidden(N_("only the provider's institution or a QA officer may open a case"))
    existing = case_repo.open_case_for_credential(session, credential_id)
    if existing is not None:
        raise Conflict(
            N_("credential %(id)s already has an open case (%(case)s, %(state)s)"),
            id=credential_id,
            case=existing.id,
            state=state_name(existing.state),
        )
    version = repo.get_credential_version(session, credential_id)
    if version is None:
        raise NotFound(N_("credential %(id)s has no stored version"), id=credential_id)
    # the active published version, or the installed file; the case keeps it whatever comes later
    rubric, snap = rubric_lifecycle.for_new_case(session=session, rubric_id=rubric_id, actor=actor)
    case = Case(
        credential_id=credential_id,
        credential_version_id=saved_id(version),
        rubric_snapshot_id=saved_id(snap),
        institution_id=credential.institution_id,
        state=CaseState.SUBMITTED.value,
        previous_case_id=previous_case_id,
        opened_by_id=actor.user_id,
        opened_at=now(),
        state_since=now(),
    )
    session.add(case)
    session.flush()
    record_round(session, case)
    audit.record(
        session,
        actor=actor,
        action="case.opened",
        subject_type="case",
        subject_id=saved_id(case),
        payload={
            "credential_id": credential_id,
            "credential_version": version.number,
            "credential_hash": version.content_hash,
            "rubric": f"{rubric.id}@{rubric.version}",
            "rubric_hash": snap.content_hash,
            "previous_case_id": previous_case_id,
        },
    )
    return case


def rubric_of(session: Session, case: Case) -> Rubric:
    return rubric_service.rubric_of_snapshot(session, case.rubric_snapshot_id)[0]


def rubric_and_hash_of(session: Session, case: Case) -> tuple[Rubric, str]:
    return rubric_service.rubric_of_snapshot(session, case.rubric_snapshot_id)


def credential_version_of(session: Session, case: Case) -> CredentialVersion:
    """The credential version the case's current round reviews."""
    version = session.get(CredentialVersion, case.credential_version_id)
    if version is None:
        raise NotFound(
            N_("credential version %(version)s of case %(case)s not found"),
            version=case.credential_version_id,
            case=case.id,
        )
    return version


def credential_version_for_round(session: Session, case: Case, round_: int) -> CredentialVersion:
    """The credential version one round of the case reviewed (a revision round may review a newer
    one than the round before)."""
    row = case_repo.get_case_round(session, saved_id(case), round_)
    if row is None:
        # a round recorded before rounds had their own version reviewed the case's frozen one
        return credential_version_of(session, case)
    version = session.get(CredentialVersion, row.credential_version_id)
    if version is None:
        raise NotFound(
            N_("credential version %(version)s of case %(case)s not found"),
            version=row.credential_version_id,
            case=case.id,
        )
    return version


@dataclass(frozen=True)
class RoundChanges:
    """What changed in the credential between the round before and this one."""

    round: int
    before: CredentialVersion
    after: CredentialVersion
    changes: list[ElementChange]


def round_changes(session: Session, case: Case, round_: int) -> RoundChanges | None:
    """The changes a revision round reviews against the round before; None in round 1 or when the
    round reviews the same version."""
    if round_ < 2:
        return None
    before = credential_version_for_round(session, case, round_ - 1)
    after = credential_version_for_round(session, case, round_)
    if before.id == after.id:
        return None
    changes = diff_credentials(
        CredentialData.model_validate(before.data), CredentialData.model_validate(after.data)
    )
    return RoundChanges(round_, before, after, changes)


def record_round(session: Session, case: Case) -> None:
    """Record (or correct) the credential version the case's current round reviews."""
    case_id = saved_id(case)
    row = case_repo.get_case_round(session, case_id, case.round)
    if row is None:
        row = CaseRound(case_id=case_id, round=case.round, credential_version_id=0)
    row.credential_version_id = case.credential_version_id
    row.recorded_at = now()
    session.add(row)
    session.flush()


@dataclass(frozen=True)
class ScreeningResult:
    passed: bool
    problems: list[str]
    elements: dict[str, bool]


def screening_checks(
    session: Session, case: Case, version: CredentialVersion | None = None
) -> ScreeningResult:
    """The automated screening: standard elements present and valid, the rubric applicable (of the
    case's current version, or of `version`)."""
    version = version or credential_version_of(session, case)
    rubric = rubric_of(session, case)
    problems: list[str] = []
    elements: dict[str, bool] = {}
    try:
        cred = parse_credential(version.data)
    except CredentialInvalid as exc:
        problems.extend(f"{p.field}: {p.message}" for p in exc.problems)
        cred = None
    if cred is not None:
        wanted = sorted(
            {el for rc in rubric.criteria for el in rc.criterion.elements} | set(EU_ELEMENTS)
        )
        elements = element_report(cred, wanted)
        for rc in rubric.criteria:
            c = rc.criterion
            if c.kind != "elements_check" or c.gate is None:
                continue
            present = sum(1 for el in c.elements if elements.get(el))
            if present < c.gate.min_level:
                missing = [el for el in c.elements if not elements.get(el)]
                names = [
                    f"{el} {(EU_ELEMENTS.get(el) or EU_OPTIONAL_ELEMENTS[el])[0]}" for el in missing
                ]
                problems.append(
                    f"{rc.id}: {present} of {len(c.elements)} standard elements present, "
                    f"{c.gate.min_level} required; missing: {', '.join(names)}"
                )
    if rubric.meta.status == "retired":
        problems.append(
            f"rubric {rubric.id} {rubric.version} is retired; open the case with a current rubric"
        )
    return ScreeningResult(not problems, problems, elements)


def screen_case(*, session: Session, case_id: int) -> Case:
    """Run screening on a submitted case: on to self-assessment, or back to the provider with every
    problem."""
    case = case_repo.get_case(session, case_id)
    if case is None:
        raise access.not_found(case_id)
    if case.state == CaseState.SUBMITTED.value:
        transition(session, case, CaseState.SCREENING, actor=SYSTEM)
    require_state(case.state, CaseState.SCREENING, action=N_("screen the case"))
    result = screening_checks(session, case)
    version = credential_version_of(session, case)
    if result.passed:
        case.screening_problems = []
        case.due_at = _days_from_now(workflow_settings().deadlines_days.self_assessment)
        transition(
            session,
            case,
            CaseState.SELF_ASSESSMENT,
            actor=SYSTEM,
            payload={"elements_present": sum(result.elements.values())},
        )
    else:
        case.screening_problems = result.problems
        transition(
            session, case, CaseState.RETURNED, actor=SYSTEM, payload={"problems": result.problems}
        )
        attempt = sum(
            1
            for ev in audit_repo.events_for(session, "case", case_id)
            if ev.action == "case.returned"
        )
        notifications.queue(
            session=session,
            key=f"returned:{case.id}:{case.credential_version_id}:{attempt}",
            recipient=version.data.get("contact_email") or "qa-office@4euplus.eu",
            template="returned",
            context={
                "case_id": case.id,
                "credential_title": version.data.get("title", ""),
                "problems": result.problems,
            },
            case_id=case.id,
        )
    return case


def resubmit_case(
    *, session: Session, actor: Actor, case_id: int, expected_version: int | None = None
) -> Case:
    """After a return, freeze the credential's newest version and send the case through screening
    again."""
    case = access.case_for(session, actor, case_id)
    _check_version(case, expected_version)
    if not access.manages_case(actor, case):
        raise Forbidden(N_("only the provider or a QA officer may resubmit a case"))
    require_state(case.state, CaseState.RETURNED, action=N_("resubmit"))
    latest = repo.get_credential_version(session, case.credential_id)
    if latest is None:
        raise NotFound(N_("credential %(id)s has no stored version"), id=case.credential_id)
    previous = case.credential_version_id
    case.credential_version_id = saved_id(latest)
    record_round(session, case)
    transition(
        session,
        case,
        CaseState.SUBMITTED,
        actor=actor,
        payload={"credential_version_id": latest.id, "previous_version_id": previous},
    )
    return case


def submit_revision(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    credential_version_id: int | None = None,
    number: int | None = None,
    data: CredentialData | None = None,
    expected_version: int | None = None,
    source: str = "",
) -> CredentialVersion:
    """After a revision request, make the revised credential the one the new round reviews.

    The revision is a stored version of the case's credential (by `credential_version_id` or by
    its `number`; none given: the newest one) or new content (`data`), stored as a new version
    first. It is
    allowed while the new round waits for the provider's self-assessment, and it must pass the
    same screening as the credential the case opened with."""
    case = access.case_for(session, actor, case_id, for_update=True)
    _check_version(case, expected_version)
    if not access.manages_case(actor, case):
        raise Forbidden(N_("only the provider or a QA officer may submit a revised credential"))
    require_state(case.state, CaseState.SELF_ASSESSMENT, action=N_("submit a revised credential"))
    asked = case_repo.get_decision(session, case_id, case.round - 1) if case.round > 1 else None
    if asked is None or asked.outcome != Outcome.REVISION_REQUESTED:
        raise InvalidTransition(
            N_(
                "cannot submit a revised credential: no revision was requested; round "
                "%(round)s reviews the credential the case was opened with"
            ),
            round=case.round,
        )
    if sum(x is not None for x in (data, credential_version_id, number)) > 1:
        raise ValidationFailed(N_("give either a stored credential version or the revised content"))
    if number is not None:
        by_number = repo.get_credential_version(session, case.credential_id, number)
        if by_number is None:
            raise NotFound(
                N_("the case's credential (%(credential)s) has no version %(number)s"),
                credential=_credential_key(session, case),
                number=number,
            )
        credential_version_id = by_number.id
    if data is not None:
        target = repo.get_credential_by_reference(session, case.institution_id, data.reference)
        provider_id = repo.institution_codes(session).get(data.provider)
        if provider_id != case.institution_id or target is None or target.id != case.credential_id:
            raise ValidationFailed(
                N_("the revised credential must be the case's own (%(credential)s), not %(given)s"),
                credential=_credential_key(session, case),
                given=f"{data.provider}/{data.reference}",
            )
        version, _ = save_credential(session=session, actor=actor, data=data, source=source)
    elif credential_version_id is not None:
        found = session.get(CredentialVersion, credential_version_id)
        if found is None or found.credential_id != case.credential_id:
            raise NotFound(
                N_(
                    "credential version %(version)s is not a version of the case's credential"
                    " (%(credential)s)"
                ),
                version=credential_version_id,
                credential=_credential_key(session, case),
            )
        version = found
    else:
        latest = repo.get_credential_version(session, case.credential_id)
        if latest is None:
            raise NotFound(N_("credential %(id)s has no stored version"), id=case.credential_id)
        version = latest
    current = credential_version_of(session, case)
    if version.id == current.id:
        raise Conflict(
            N_(
                "round %(round)s already reviews version %(number)s of the credential;"
                " store the revised credential as a new version first"
            ),
            round=case.round,
            number=current.number,
        )
    result = screening_checks(session, case, version)
    if not result.passed:
        raise ValidationFailed(
            N_(
                "version %(number)s of the credential does not pass screening; correct it"
                " and submit it again"
            ),
            details=result.problems,
            number=version.number,
        )
    for earlier in range(1, case.round):
        if case_repo.get_case_round(session, case_id, earlier) is None:
            session.add(
                CaseRound(case_id=case_id, round=earlier, credential_version_id=current.id or 0)
            )
    case.credential_version_id = saved_id(version)
    session.add(case)
    record_round(session, case)
    audit.record(
        session,
        actor=actor,
        action="case.revised",
        subject_type="case",
        subject_id=case_id,
        payload={
            "round": case.round,
            "credential_version": version.number,
            "credential_version_id": version.id,
            "credential_hash": version.content_hash,
            "previous_version": current.number,
            "previous_version_id": current.id,
        },
    )
    return version


def _credential_key(session: Session, case: Case) -> str:
    credential = repo.get_credential(session, case.credential_id)
    if credential is None:
        return f"credential {case.credential_id}"
    codes = {iid: code for code, iid in repo.institution_codes(session).items()}
    return f"{codes.get(credential.institution_id, '?')}/{credential.reference}"


def withdraw_case(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Case:
    """Withdraw an open case; open invitations and reviews end with it."""
    case = access.case_for(session, actor, case_id)
    _check_version(case, expected_version)
    if not access.manages_case(actor, case):
        raise Forbidden(N_("only the provider or a QA officer may withdraw a case"))
    if not reason or not reason.strip():
        raise ValidationFailed(N_("a reason is required to withdraw a case"))
    transition(
        session, case, CaseState.WITHDRAWN, actor=actor, payload={"reason": reason.strip()[:2000]}
    )
    for asg in case_repo.assignments_of(session, case_id, statuses=OPEN_ASSIGNMENT):
        asg.status = AssignmentStatus.WITHDRAWN
        session.add(asg)
    session.flush()
    return case


def _check_version(case: Case, expected: int | None) -> None:
    check_version(Np_(N_("case %(id)s"), id=case.id), case.version, expected)


def list_cases_for(
    *,
    session: Session,
    actor: Actor,
    states: list[str] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Case]:
    """The cases this actor may see."""
    if actor.has(*access.STAFF):
        return case_repo.list_cases(session, states=states, offset=offset, limit=limit)
    rounds: set[tuple[int, int]] = set()  # (case, round) a reviewer is part of
    institution = None
    if Role.PROVIDER in actor.roles and actor.institution_id is not None:
        institution = actor.institution_id
    if Role.REVIEWER in actor.roles and actor.user_id is not None:
        rounds = {
            (a.case_id, a.round)
            for a in case_repo.assignments_of_reviewer(session, actor.user_id, LIVE_ASSIGNMENT)
        }
    out: dict[int, Case] = {}
    if institution is not None:
        for c in case_repo.list_cases(session, states=states, institution_id=institution):
            out[saved_id(c)] = c
    if rounds:
        ids = sorted({case_id for case_id, _ in rounds})
        for c in case_repo.list_cases(session, states=states, case_ids=ids):
            if (saved_id(c), c.round) in rounds:  # the current round only (`access.may_read_case`)
                out[saved_id(c)] = c
    rows = [out[k] for k in sorted(out)]
    return rows[offset : offset + limit if limit is not None else None]


def _days_from_now(days: int) -> datetime:
    return now() + timedelta(days=days)
