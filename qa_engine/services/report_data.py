"""Build the evaluation report's content from a decided case (the data model; rendering is
elsewhere)."""

from __future__ import annotations

from sqlmodel import Session

from qa_engine.config import get_settings
from qa_engine.domain.consolidation import agreement_messages_of, yes_no_message
from qa_engine.domain.credential import Credential as CredentialData
from qa_engine.domain.history import ACTION_TEXT, REPORT_ACTIONS
from qa_engine.domain.i18n import DEFAULT, N_, Message, Nn_
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.report import (
    APPROVER,
    ENGINE,
    NO_SUMMARY,
    REPORT_TEMPLATE_VERSION,
    YES_NO_LABELS,
    EvaluationReport,
    ReportChanges,
    ReportCredential,
    ReportCriterion,
    ReportEvent,
    ReportPartRow,
    ReportStandardRow,
    outcome_label,
)
from qa_engine.domain.roles import Role
from qa_engine.domain.rubric_i18n import localised
from qa_engine.domain.standards import ESG, EU_ELEMENTS, EU_OPTIONAL_ELEMENTS, EU_PRINCIPLES
from qa_engine.domain.statuses import SelfAssessmentStatus
from qa_engine.services import consolidation as consolidation_service
from qa_engine.services.cases import credential_version_for_round, round_changes, rubric_and_hash_of
from qa_engine.services.context import now
from qa_engine.services.reviews import reviewer_labels
from qa_engine.services.rows import get_or_raise, saved_id
from qa_engine.store import audit_repo, case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import Case, Decision, Institution, User


def _element_text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "—"
    return str(value)


def _actor_label(
    session: Session, username: str, labels_by_user: dict[int, str], name_reviewers: bool
) -> str:
    if username == "qa-engine":
        return ENGINE
    user = repo.get_user_by_username(session, username)
    if user is None:
        return username
    user_id = saved_id(user)
    roles = repo.roles_of(session, user_id)
    if user_id in labels_by_user:
        return user.full_name if name_reviewers else labels_by_user[user_id]
    for role, label in (
        (Role.APPROVER, APPROVER),
        (Role.QA_OFFICER, N_("QA officer")),
        (Role.PROVIDER, N_("Provider")),
        (Role.ADMIN, N_("Administrator")),
    ):
        if role in roles:
            return label
    return ENGINE


def build_report(
    session: Session, case: Case, decision: Decision, *, report_id: str, language: str = DEFAULT
) -> EvaluationReport:
    """Everything the signed report says about one decision of one case, the rubric's texts in
    `language` (the rest is translated where the report is rendered, from its `language`)."""
    settings = get_settings()
    rubric, rubric_hash = rubric_and_hash_of(session, case)
    rubric = localised(rubric, language)  # the hash stays the one of the rubric as frozen
    version = credential_version_for_round(session, case, decision.round)
    cred = CredentialData.model_validate(version.data)
    revised = round_changes(session, case, decision.round)
    inst = session.get(Institution, case.institution_id)
    labels = reviewer_labels(session, case)
    result = consolidation_service.compute(session, case, decision.round)
    stats = {s.criterion_id: s for s in result.criteria}
    breakdown = {c.criterion_id: c for c in result.breakdown.criteria}
    sa = case_repo.get_self_assessment(session, saved_id(case), decision.round)
    if sa is not None and sa.status != SelfAssessmentStatus.SUBMITTED:
        sa = None  # a draft is its author's alone
    reviews = case_repo.reviews_of(session, saved_id(case), decision.round, submitted_only=True)
    names = {
        r.reviewer_id: (
            get_or_raise(session, User, r.reviewer_id, what="user").full_name
            if settings.name_reviewers
            else labels[r.reviewer_id]
        )
        for r in reviews
    }

    elements = [
        (eid, title, _element_text(cred.element_value(eid)))
        for eid, (title, _) in EU_ELEMENTS.items()
    ]
    elements += [
        (eid, title, _element_text(cred.element_value(eid)))
        for eid, (title, _) in EU_OPTIONAL_ELEMENTS.items()
    ]
    rc_out = []
    for rc in rubric.criteria:
        c = rc.criterion
        scale = rubric.scale_of(c)
        descriptors = [(lv.value, lv.label, lv.descriptor) for lv in scale.levels] if scale else []
        if c.kind == "yes_no":
            descriptors = list(YES_NO_LABELS)
        entry = (sa.entries.get(rc.id) if sa else None) or {}
        st = stats.get(rc.id)
        bd = breakdown.get(rc.id)
        scores = [
            (names[r.reviewer_id], r.scores.get(rc.id), r.comments.get(rc.id, "")) for r in reviews
        ]
        if c.kind == "elements_check":
            scores = []
        rc_out.append(
            ReportCriterion(
                id=rc.id,
                title=c.title,
                kind=c.kind,
                maps_to=list(c.maps_to) + list(c.elements),
                descriptors=descriptors,
                self_score=entry.get("score"),
                self_narrative=entry.get("narrative", ""),
                scores=scores,
                mean=st.mean if st else (bd.raw if bd else None),
                median=st.median if st else None,
                spread=st.spread if st else None,
                disagreement=bool(st and st.disagreement),
                gate_min=c.gate.min_level if c.gate else None,
                gate_passed=bd.gate_passed if bd else None,
                effective_weight=rc.effective_weight,
                elements_total=len(c.elements) if c.kind == "elements_check" else None,
            )
        )
    by_ref = result.breakdown.by_reference
    esg_rows = [
        ReportStandardRow(
            ref,
            title,
            by_ref[ref].score if ref in by_ref else None,
            list(by_ref[ref].criteria) if ref in by_ref else [],
        )
        for ref, title in ESG.items()
    ]
    eu_rows = [
        ReportStandardRow(
            ref,
            title,
            by_ref[ref].score if ref in by_ref else None,
            list(by_ref[ref].criteria) if ref in by_ref else [],
        )
        for ref, title in EU_PRINCIPLES.items()
    ]
    history = []
    for ev in audit_repo.events_for(session, "case", saved_id(case)):
        if ev.action not in REPORT_ACTIONS:
            continue
        detail: str | Message = ""
        if ev.action == "case.reporting":
            detail = outcome_label(ev.payload.get("outcome", ""))
        elif ev.action == "case.returned":
            problems = len(ev.payload.get("problems", []))
            detail = Nn_("%(num)s problem", "%(num)s problems", problems)
        elif ev.action == "case.revised":
            detail = Message(
                N_("round %(round)s: version %(before)s → %(after)s"),
                params={
                    "round": ev.payload.get("round"),
                    "before": ev.payload.get("previous_version"),
                    "after": ev.payload.get("credential_version"),
                },
            )
        elif "round" in ev.payload and ev.action.startswith("case."):
            detail = Message(N_("round %(round)s"), params={"round": ev.payload["round"]})
        history.append(
            ReportEvent(
                ev.at,
                _actor_label(session, ev.actor, labels, settings.name_reviewers),
                ACTION_TEXT[ev.action],
                detail,
            )
        )
    approver = session.get(User, decision.decided_by_id) if decision.decided_by_id else None
    recommended = result.breakdown.recommended_outcome
    return EvaluationReport(
        report_id=report_id,
        template_version=REPORT_TEMPLATE_VERSION,
        generated_at=now(),
        case_id=saved_id(case),
        round=decision.round,
        credential=ReportCredential(
            reference=cred.reference,
            provider=cred.provider,
            provider_name=inst.name if inst else cred.provider,
            title=cred.title,
            elements=elements,
            learning_outcomes=list(cred.learning_outcomes),
            ects=f"{cred.ects}",
            eqf_level=cred.eqf_level,
            isced_f=cred.isced_f,
            languages=list(cred.languages),
            skills=list(cred.digcomp) + list(cred.greencomp) + list(cred.esco_skills),
        ),
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_hash=rubric_hash,
        self_assessment_summary=(sa.summary if sa else "") or NO_SUMMARY,
        criteria=rc_out,
        overall=result.overall,
        agreement=None if result.agreement is None else max(-1.0, min(1.0, result.agreement)),
        agreement_label=result.agreement_label,
        agreement_summary=result.agreement_summary,
        yes_no_summary=result.yes_no_summary,
        agreement_messages=tuple(agreement_messages_of(result)),
        yes_no_message=yes_no_message(result.yes_no_alike, result.yes_no_compared)
        if result.yes_no_summary
        else None,
        gates_failed=list(result.breakdown.gates_failed),
        recommended_outcome=recommended.value if recommended else "",
        decision_outcome=Outcome(decision.outcome).value,
        decision_rationale=decision.rationale,
        conditions=list(decision.conditions),
        decided_by_label=approver.full_name if approver else APPROVER,
        decided_at=decision.decided_at,
        valid_until=decision.valid_until.date() if decision.valid_until else None,
        esg_rows=esg_rows,
        eu_rows=eu_rows,
        parts=[
            ReportPartRow(key, group.score, group.weight, list(group.criteria))
            for key, group in result.breakdown.by_part.items()
        ],
        history=history,
        verify_url=settings.base_url.rstrip("/") + "/verify",
        credential_version=version.number,
        changes_since=(
            ReportChanges(
                round=decision.round - 1,
                version=revised.before.number,
                changes=list(revised.changes),
            )
            if revised
            else None
        ),
        language=language,
    )
