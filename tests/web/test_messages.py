"""Messages that say what happened and what comes next: the same due date wherever a review's due
date is shown; why an extra reviewer is needed; what a provider must do after a decision."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from qa_engine.adapters.mail import render as render_mail
from qa_engine.adapters.translations import format_date
from qa_engine.cli.main import app as cli_app
from qa_engine.config import packaged
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import cases as case_service
from qa_engine.services import decisions, reviews
from qa_engine.services.context import now, set_clock
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from tests.helpers import drive, full_review, to_state
from tests.web.support import csrf_of, signed_in

MAIL = packaged("qa_engine.reports", "mail")


def _mail(note) -> str:
    subject, body = render_mail(
        note.template, {"base_url": "https://qa.example.eu", **note.context}, templates_dir=MAIL
    )
    return subject + "\n" + body


@pytest.fixture
def clock():
    yield set_clock
    set_clock(None)


def test_the_due_date_of_the_invitation_is_the_due_date_after_accepting(client, p, clock):
    with session_scope() as s:
        case_id = to_state(s, p, "invited")
        invited = case_repo.assignments_of(s, case_id)
        people = [
            (a.id, repo.get_user(s, a.reviewer_id).username, a.due_at.date().isoformat())
            for a in invited
        ]
        mails = {
            a.id: _mail(case_repo.get_notification_by_key(s, f"invitation:{a.id}")) for a in invited
        }
    (web_id, web_user, due), (cli_id, cli_user, cli_due) = people
    assert f"your review is\ndue on {due}." in mails[web_id]
    assert f"due on {cli_due}." in mails[cli_id]
    # the reviewer answers two days later: the date does not move (the pages write it in the
    # reader's language: "Jan 1, 2027" in English)
    clock(now() + timedelta(days=2))
    shown = format_date(date.fromisoformat(due), "en")
    signed_in(client, web_user)
    page = client.get("/invitations")
    assert f"if you accept, your review is due {shown}." in page.text
    r = client.post(
        f"/assignments/{web_id}/respond",
        data={"answer": "accept", "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 200, r.text[-1000:]
    assert f"Thank you: you review case {case_id}, due {shown}." in r.text
    assert re.search(rf"your review is due {shown}\b", r.text), "the review page says the same"
    assert f"{shown} (due in" in client.get("/invitations").text
    out = CliRunner().invoke(
        cli_app, ["review", "respond", str(cli_id), "--accept", "--as", cli_user]
    )
    assert out.exit_code == 0, out.output
    assert f"your review of case {case_id} is due {cli_due}" in " ".join(out.output.split())
    listed = CliRunner().invoke(cli_app, ["cases", "show", str(case_id)])
    assert cli_due in listed.output and due in listed.output
    with session_scope() as s:
        after = {a.id: a for a in case_repo.assignments_of(s, case_id)}
        assert after[web_id].status == after[cli_id].status == AssignmentStatus.ACCEPTED
        assert after[web_id].due_at.date().isoformat() == due
        assert after[cli_id].due_at.date().isoformat() == cli_due


def test_the_officer_sees_why_an_extra_reviewer_is_needed(client, p):
    with session_scope() as s:
        case_id = to_state(s, p, "peer_review")
        case = case_repo.get_case(s, case_id)
        rubric = case_service.rubric_of(s, case)
        for asg, stackable in zip(case_repo.assignments_of(s, case_id), (True, False), strict=True):
            entries = full_review(rubric, 3)
            entries["dg-stackable"]["score"] = stackable
            actor = next(v for v in p.values() if v.user_id == asg.reviewer_id)
            reviews.save_review(
                session=s,
                actor=actor,
                assignment_id=asg.id,
                entries=entries,
                recommendation="approved",
                submit=True,
            )
        drive(s, case_id)
    signed_in(client, "officer")
    reason = (
        "An extra reviewer: the reviewers disagree on dg-stackable “Stackable towards at least "
        "one degree or credential” (yes, no)."
    )
    for address in (f"/cases/{case_id}", f"/cases/{case_id}/assignment"):
        page = client.get(address)
        assert page.status_code == 200
        assert f"<li>{reason}</li>" in page.text, address
        assert "must be replaced" not in page.text


CONDITIONS = [
    "Publish the assessment criteria",
    "Name the external examiner",
    "Report the completion rate",
]


def test_the_provider_sees_the_outcome_its_conditions_and_what_to_do(client, p):
    with session_scope() as s:
        case_id = to_state(s, p, "approval")
        decisions.decide(
            session=s,
            actor=p["approver"],
            case_id=case_id,
            outcome="approved_with_conditions",
            rationale="Sound, with three gaps.",
            conditions=CONDITIONS,
        )
        drive(s, case_id)
        case = case_repo.get_case(s, case_id)
        assert case.state == "closed"
        until = case_repo.get_decision(s, case_id, 1).valid_until.date().isoformat()
        provider = next(
            v.username
            for v in p.values()
            if v.institution_id == case.institution_id and v.username.startswith("prov.")
        )
    said = (
        "Approved with 3 conditions: Publish the assessment criteria; Name the external examiner; "
        f"Report the completion rate — meet them within the time they state; the approval is "
        f"valid until {until}."
    )
    signed_in(client, provider)
    home = client.get("/")
    assert "Nothing waits for you" not in home.text
    assert said in home.text and f'href="/cases/{case_id}"' in home.text
    listing = client.get("/credentials")
    assert f'<a href="/cases/{case_id}">case {case_id}</a>: {said}' in listing.text
    assert "<td>—</td>" not in listing.text
    assert said in client.get(f"/cases/{case_id}").text
