"""The pages with plain form posts: what each role sees, and forms that show their errors in
place."""

from __future__ import annotations

import io
import re

from markupsafe import escape
from openpyxl import load_workbook

from qa_engine.adapters.credential_io import write_credentials_xlsx
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.scoring import GATE_RULE
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import cases as case_service
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from tests.helpers import SAMPLES, full_self_assessment, to_state
from tests.web.support import csrf_of, signed_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _state(case_id: int) -> str:
    with session_scope() as s:
        return case_repo.get_case(s, case_id).state


def _form_fields(credential: dict) -> dict:
    out = {}
    for key, value in credential.items():
        if value is None:
            continue
        out[key] = "\n".join(value) if isinstance(value, list) else str(value)
    return out


def test_credential_form_create_errors_and_edit(client, p):
    csrf = signed_in(client, "prov.cuni")
    page = client.get("/credentials/new")
    assert page.status_code == 200
    for label in (
        "Learning outcomes",
        "EU-A1.6, mandatory standard element",
        "Supervision and identity verification",
        "ISCED-F field",
        'for="f-ects"',
    ):
        assert label in page.text
    fields = _form_fields(parse_credential(SAMPLES[0]).canonical())
    bad = {**fields, "ects": "lots", "eqf_level": "EQF 42", "csrf_token": csrf}
    r = client.post("/credentials/new", data=bad)
    assert r.status_code == 422
    assert (
        "2 fields to correct" in r.text
        and "&#39;lots&#39; is not a number" in r.text
        and "EQF level must be 1 to 8" in r.text
    )
    assert 'value="CUNI-MC-2026-01"' in r.text, "what was typed is kept"
    r = client.post("/credentials/new", data={**fields, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    view = client.get(r.headers["location"])
    assert "Credential saved." in view.text and fields["title"] in view.text
    cred_id = int(r.headers["location"].rsplit("/", 1)[1])
    edit = client.get(f"/credentials/{cred_id}/edit")
    assert 'name="expected_version" value="1"' in edit.text
    r = client.post(
        f"/credentials/{cred_id}/edit",
        data={
            **fields,
            "title": "A new title for the course",
            "expected_version": "1",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 200 and "Saved as version 2." in r.text
    r = client.post(
        f"/credentials/{cred_id}/edit", data={**fields, "expected_version": "1", "csrf_token": csrf}
    )
    assert r.status_code == 409 and "changed since you loaded it" in r.text
    assert "Your changes are still in the form below" in r.text
    assert 'name="expected_version" value="2"' in r.text, "saving again keeps the person's input"
    assert f'value="{fields["title"]}"' in r.text
    with session_scope() as s:
        assert repo.get_credential(s, cred_id).current_version == 2, "nothing was saved"
    r = client.post(f"/credentials/{cred_id}/open-case", data={"csrf_token": csrf})
    assert r.status_code == 200 and "Screening runs now" in r.text and "self assessment" in r.text


def test_spreadsheet_upload_shows_every_problem_with_its_cell(client, p, tmp_path):
    csrf = signed_in(client, "prov.cuni")
    path = write_credentials_xlsx(
        tmp_path / "c.xlsx", [parse_credential(SAMPLES[i]) for i in (0, 7)]
    )
    wb = load_workbook(path)
    wb["Credentials"]["J2"] = "many"
    wb["Credentials"]["L3"] = 12
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf},
        files={"file": ("c.xlsx", buf.getvalue(), XLSX)},
    )
    assert r.status_code == 422
    assert "<code>Credentials!J2</code>" in r.text and "<code>Credentials!L3</code>" in r.text
    assert "nothing was imported" in r.text
    r = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf, "open_cases": "yes"},
        files={"file": ("c.xlsx", path.read_bytes(), XLSX)},
    )
    assert (
        r.status_code == 200
        and "2 created, 0 new version(s), 0 unchanged; 2 case(s) opened." in r.text
    )
    template = client.get("/credentials/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"


def test_self_assessment_form_from_the_rubric(client, p):
    with session_scope() as s:
        case_id = to_state(s, p, "self_assessment")
        rubric = case_service.rubric_of(s, case_repo.get_case(s, case_id))
    csrf = signed_in(client, "prov.cuni")
    page = client.get(f"/cases/{case_id}/self-assessment")
    assert page.status_code == 200
    assert page.text.count('class="criterion') == len(rubric.reviewer_criteria)
    assert "Arrangements are in place, documented and meet the expectation in full." in page.text
    assert 'for="s-esg-1.1-3"' in page.text and 'name="narrative.esg-1.1"' in page.text
    assert "Evidence asked for" in page.text
    # a draft with one criterion
    r = client.post(
        f"/cases/{case_id}/self-assessment",
        data={
            "csrf_token": csrf,
            "action": "save",
            "score.esg-1.1": "3",
            "narrative.esg-1.1": "We do.",
            "evidence.esg-1.1": "https://example.eu/a\nhttps://example.eu/b",
        },
    )
    assert r.status_code == 200 and "Draft saved." in r.text and "https://example.eu/b" in r.text
    version = re.search(r'name="version" value="(\d+)"', r.text).group(1)
    # submitting an incomplete one names every criterion that needs work, keeping what was typed
    r = client.post(
        f"/cases/{case_id}/self-assessment",
        data={
            "csrf_token": csrf,
            "action": "submit",
            "version": version,
            "score.esg-1.1": "3",
            "narrative.esg-1.1": "We do.",
            "score.esg-1.2": "9",
        },
    )
    assert r.status_code == 422
    assert (
        "9 is not a level of the scale" in r.text
        and 'href="#c-esg-1.3"' in r.text
        and "We do." in r.text
    )
    data = {"csrf_token": csrf, "action": "submit", "version": version, "summary": "All done."}
    for cid, entry in full_self_assessment(rubric).items():
        if "score" in entry:
            data[f"score.{cid}"] = (
                ("yes" if entry["score"] else "no")
                if isinstance(entry["score"], bool)
                else str(entry["score"])
            )
        data[f"narrative.{cid}"] = entry["narrative"]
    r = client.post(f"/cases/{case_id}/self-assessment", data=data)
    assert r.status_code == 200 and "Self-assessment submitted." in r.text
    assert _state(case_id) == CaseState.ASSIGNMENT
    readonly = client.get(f"/cases/{case_id}/self-assessment")
    assert (
        "can no longer be changed" in readonly.text
        and "Submit the self-assessment" not in readonly.text
    )


def test_officer_assignment_pages(client, p):
    with session_scope() as s:
        a = to_state(s, p, "assignment", index=0)
        b = to_state(s, p, "assignment", index=3)
    csrf = signed_in(client, "officer")
    home = client.get("/")
    assert "2 cases waiting for reviewers" in home.text
    page = client.get(f"/cases/{a}/assignment")
    assert page.status_code == 200
    assert (
        "The engine's proposal" in page.text
        and "proposed" in page.text
        and "expert in" in page.text
    )
    assert "same institution as the provider" in page.text, (
        "blocked reviewers and the rule they break"
    )
    r = client.post(f"/cases/{a}/assignment", data={"csrf_token": csrf})
    assert r.status_code == 422 and "choose at least one reviewer" in r.text
    cuni = p["rev.cuni"].user_id
    r = client.post(f"/cases/{a}/assignment", data={"csrf_token": csrf, "reviewer_id": [str(cuni)]})
    assert r.status_code == 409 and "same institution as the provider" in r.text
    proposed = re.findall(r'name="reviewer_id" value="(\d+)" checked', page.text)
    r = client.post(f"/cases/{a}/assignment", data={"csrf_token": csrf, "reviewer_id": proposed})
    assert (
        r.status_code == 200
        and "2 reviewers invited." in r.text
        and _state(a) == CaseState.PEER_REVIEW
    )
    asg = re.search(r'action="/assignments/(\d+)/remind"', r.text).group(1)
    r = client.post(f"/assignments/{asg}/remind", data={"csrf_token": csrf})
    assert "Reminder sent." in r.text
    batch = client.get("/assign")
    assert f"Case {b}" in batch.text and "Reviewer load" in batch.text
    r = client.post("/assign", data={"csrf_token": csrf, "case_id": [str(b)]})
    assert (
        r.status_code == 200
        and "2 invitations sent for 1 case." in r.text
        and _state(b) == CaseState.PEER_REVIEW
    )
    queue = client.get("/cases?state=peer_review")
    assert (
        f"/cases/{a}" in queue.text
        and f"/cases/{b}" in queue.text
        and "peer review (2)" in queue.text
    )


def test_reviewer_pages_invitation_form_and_offline_sheet(client, p):
    with session_scope() as s:
        case_id = to_state(s, p, "invited")
        invited = case_repo.assignments_of(s, case_id, 1, statuses=(AssignmentStatus.INVITED,))
        names = {v.user_id: k for k, v in p.items()}
        first, second = (names[a.reviewer_id] for a in invited)
        asg1, asg2 = (a.id for a in invited)
    csrf = signed_in(client, first)
    home = client.get("/")
    assert "1 invitation to answer" in home.text
    r = client.post(f"/assignments/{asg1}/respond", data={"csrf_token": csrf, "answer": "accept"})
    assert (
        r.status_code == 200
        and "Thank you: you review case" in r.text
        and "Self-assessment" in r.text
    )
    assert "1 review due" in client.get("/").text
    # the form refuses an incomplete submission, naming the criteria
    r = client.post(
        f"/assignments/{asg1}/review",
        data={
            "csrf_token": csrf,
            "action": "submit",
            "score.esg-1.1": "2",
            "comment.esg-1.1": "Partly.",
        },
    )
    assert r.status_code == 422 and "a score is required" in r.text and "Partly." in r.text
    # offline: download, spoil one cell, upload: the cell is named
    sheet = client.get(f"/assignments/{asg1}/review-sheet")
    wb = load_workbook(io.BytesIO(sheet.content))
    ws = wb["Review"]
    for row in ws.iter_rows(min_row=5):
        if row[0].value and row[0].value.startswith(("esg", "eu-p", "dg-", "mici")):
            row[2].value = "yes" if row[0].value == "dg-stackable" else 3
            row[3].value = "Well argued."
        elif row[0].value == "recommendation":
            row[2].value = "approved"
    wb["Review"]["C5"] = 8
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        f"/assignments/{asg1}/review-sheet",
        data={"csrf_token": csrf, "action": "save"},
        files={"file": ("mine.xlsx", buf.getvalue(), XLSX)},
    )
    assert (
        r.status_code == 422 and "<code>Review!C5</code>: 8 is not a level of the scale" in r.text
    )
    wb["Review"]["C5"] = 4
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        f"/assignments/{asg1}/review-sheet",
        data={"csrf_token": csrf, "action": "save"},
        files={"file": ("mine.xlsx", buf.getvalue(), XLSX)},
    )
    assert r.status_code == 200 and "saved as your draft" in r.text and "Well argued." in r.text
    version = re.search(r'name="version" value="(\d+)"', r.text).group(1)
    form = {
        "csrf_token": csrf,
        "action": "submit",
        "version": version,
        "recommendation": "approved",
    }
    for name, value in re.findall(r'name="(score\.[^"]+)" value="([^"]+)" checked', r.text):
        form[name] = value
    for name, value in re.findall(r'name="(comment\.[^"]+)" rows="4" >([^<]*)<', r.text):
        form[name] = value
    r = client.post(f"/assignments/{asg1}/review", data=form)
    assert r.status_code == 200 and "Review submitted." in r.text, r.text[:2000]
    # the second reviewer declines with a conflict
    csrf2 = signed_in(client, second)
    r = client.post(f"/assignments/{asg2}/respond", data={"csrf_token": csrf2, "answer": "decline"})
    assert r.status_code == 422 and "a reason is required to decline" in r.text
    r = client.post(
        f"/assignments/{asg2}/respond",
        data={
            "csrf_token": csrf2,
            "answer": "decline",
            "conflict": "yes",
            "reason": "My former student wrote it.",
        },
    )
    assert r.status_code == 200 and "Your conflict of interest is recorded." in r.text
    assert client.get(f"/cases/{case_id}", follow_redirects=False).status_code == 404, (
        "no longer assigned: gone"
    )


def test_approver_consolidated_view_and_decision(client, p):
    with session_scope() as s:
        case_id = to_state(s, p, "approval", scores=(3, 1))
    csrf = signed_in(client, "approver")
    assert "1 case awaiting your decision" in client.get("/").text
    page = client.get(f"/cases/{case_id}/decision")
    assert page.status_code == 200
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    for text in (
        "Scores side by side",
        "Reviewer A",
        "Reviewer B",
        "Krippendorff",
        "Recommended outcome",
        "Spread",
        "within one level",  # the case's own figures, alpha only second
    ):
        assert text in page.text, text
    assert str(escape(GATE_RULE)) in page.text  # where the gates are shown, their rule
    r = client.post(
        f"/cases/{case_id}/decision",
        data={
            "csrf_token": csrf,
            "outcome": "approved_with_conditions",
            "rationale": "Good, with one gap.",
            "version": version,
        },
    )
    assert (
        r.status_code == 422
        and "needs at least one condition" in r.text
        and "Good, with one gap." in r.text
    )
    r = client.post(
        f"/cases/{case_id}/decision",
        data={
            "csrf_token": csrf,
            "outcome": "approved_with_conditions",
            "rationale": "Good, with one gap.",
            "conditions": "Publish the change log.",
            "version": str(int(version) - 1),
        },
    )
    assert r.status_code == 409 and "changed since you loaded it" in r.text, (
        "a decision on an older view of the case"
    )
    assert "Publish the change log." in r.text, "the approver's text is kept"
    r = client.post(
        f"/cases/{case_id}/decision",
        data={
            "csrf_token": csrf,
            "outcome": "approved_with_conditions",
            "rationale": "Good, with one gap.",
            "conditions": "Publish the change log.",
            "version": version,
        },
    )
    assert r.status_code == 200 and "Decided: approved with conditions." in r.text
    assert (
        _state(case_id) == CaseState.CLOSED
        and "Download PDF" in r.text
        or "Download PDF" in client.get(f"/cases/{case_id}").text
    )


def test_dashboard_verify_and_report_download_pages(client, p):
    with session_scope() as s:
        case_id = to_state(s, p, "approval")
    from qa_engine.services import decisions
    from tests.web.conftest import direct_kick

    with session_scope() as s:
        decisions.decide(
            session=s,
            actor=p["approver"],
            case_id=case_id,
            outcome="rejected",
            rationale="The learning outcomes are not assessable.",
        )
    direct_kick([case_id])
    with session_scope() as s:
        report = next(r for r in case_repo.reports_of(s, case_id) if r.kind == "pdf")
        inst = repo.get_institution_by_code(s, "CUNI")
        assert case_repo.get_case(s, case_id).institution_id == inst.id
    signed_in(client, "leader")
    dash = client.get("/dashboard")
    assert dash.status_code == 200 and "Outcomes of closed cases by institution" in dash.text
    assert re.search(r"CUNI.*?rejected|rejected.*?CUNI", dash.text, re.S)
    from tests.helpers import REVIEWERS

    # reviewers appear only as anonymous labels (Reviewer 01 …): no username, no name
    assert "rev." not in dash.text
    assert not any(name in dash.text for _, name, *_ in REVIEWERS)
    assert "Reviewer load" in dash.text  # the leadership figures are on the page
    xlsx = client.get("/dashboard/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    signed_in(client, "prov.cuni")
    pdf = client.get(f"/reports/{report.report_id}/download")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    anonymous = type(client)(client.app)
    known = anonymous.get(f"/verify?id={report.report_id}")
    assert "was issued by the engine" in known.text
    assert "has no report with the id" in anonymous.get("/verify?id=QA-1999-000001-R1").text
    r = anonymous.post("/verify", files={"file": ("r.pdf", pdf.content, "application/pdf")})
    assert (
        r.status_code == 200
        and "Valid — issued by" in r.text
        and "yes, exactly this file" in r.text
    )
    r = anonymous.post(
        "/verify", files={"file": ("r.pdf", pdf.content + b"%extra\n", "application/pdf")}
    )
    assert "Modified after signing" in r.text
    signed = client.post(
        "/verify",
        data={"csrf_token": csrf_of(client.get("/verify").text)},
        files={"file": ("r.pdf", pdf.content, "application/pdf")},
    )
    assert signed.status_code == 200 and "Valid" in signed.text


def test_every_form_carries_the_session_csrf_token(client, p):
    with session_scope() as s:
        sa_case = to_state(s, p, "self_assessment", index=0)
        review_case = to_state(s, p, "peer_review", index=3)
        asg = case_repo.assignments_of(s, review_case, 1)[0]
        reviewer = next(k for k, v in p.items() if v.user_id == asg.reviewer_id)
    visits = {
        "prov.cuni": [
            "/",
            "/credentials/new",
            "/credentials/upload",
            f"/cases/{sa_case}",
            f"/cases/{sa_case}/self-assessment",
        ],
        "officer": [f"/cases/{review_case}", f"/cases/{review_case}/assignment", "/assign"],
        reviewer: ["/invitations", f"/assignments/{asg.id}/review"],
    }
    for who, paths in visits.items():
        csrf = signed_in(client, who)
        for path in paths:
            html = client.get(path).text
            forms = re.findall(r'<form method="post".*?</form>', html, re.S)
            assert forms, path
            for form in forms:
                tokens = re.findall(r'name="csrf_token" value="([^"]*)"', form)
                assert tokens == [csrf], (
                    f"{path}: a form without the session's CSRF token:\n{form[:300]}"
                )
