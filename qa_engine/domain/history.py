"""A case's history in words: what each audit action did, as the case page and the signed report
say it (a msgid, translated where it is shown)."""

from __future__ import annotations

from qa_engine.domain.i18n import N_

ACTION_TEXT: dict[str, str] = {
    "case.opened": N_("opened the case"),
    "case.screening": N_("started screening"),
    "case.returned": N_("returned the credential to the provider"),
    "case.submitted": N_("resubmitted the credential"),
    "case.revised": N_("submitted the revised credential"),
    "case.self_assessment": N_("opened the self-assessment"),
    "self_assessment.saved": N_("saved a draft of the self-assessment"),
    "self_assessment.submitted": N_("submitted the self-assessment"),
    "case.assignment": N_("moved the case to reviewer assignment"),
    "assignment.invited": N_("invited a reviewer"),
    "assignment.accepted": N_("accepted the invitation"),
    "assignment.declined": N_("declined the invitation"),
    "assignment.replaced": N_("replaced a reviewer"),
    "assignment.expired": N_("replaced an unanswered invitation"),
    "assignment.reminded": N_("reminded a reviewer"),
    "case.peer_review": N_("started peer review"),
    "review.saved": N_("saved a draft review"),
    "review.submitted": N_("submitted a review"),
    "case.consolidation": N_("consolidated the reviews"),
    "consolidation.done": N_("finished the consolidation"),
    "case.approval": N_("sent the case for decision"),
    "case.reporting": N_("decided"),
    "decision.notified": N_("told the provider of the decision"),
    "report.requested": N_("requested a report"),
    "report.generated": N_("generated a report"),
    "report.failed": N_("could not generate an export"),
    "case.closed": N_("closed the case"),
    "case.withdrawn": N_("withdrew the case"),
}

# what the signed report's history keeps: the steps of the procedure, not drafts, reminders or
# the engine's own bookkeeping
REPORT_ACTIONS: frozenset[str] = frozenset(ACTION_TEXT) - {
    "self_assessment.saved",
    "assignment.reminded",
    "review.saved",
    "consolidation.done",
    "decision.notified",
    "report.requested",
    "report.generated",
    "report.failed",
}
