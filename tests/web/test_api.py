"""The JSON API route by route, through a whole review cycle, with bearer tokens."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from qa_engine.adapters.credential_io import write_credentials_xlsx
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.statuses import (
    AssignmentStatus,
    ReportStatus,
    ReviewStatus,
    SelfAssessmentStatus,
)
from qa_engine.services import cases as case_service
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.helpers import SAMPLES, full_review, full_self_assessment
from tests.web.support import bearer, token_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def api_credential(raw: dict) -> dict:
    data = parse_credential(raw).canonical()
    out = {k: v for k, v in data.items() if v is not None}
    out["ects"] = float(out["ects"])
    return out


@pytest.fixture
def h(p):
    """Write tokens (as headers) for the people of tests.helpers.people()."""
    return {name: bearer(token_for(name)) for name in p}


def _rubric(case_id):
    with session_scope() as s:
        return case_service.rubric_of(s, case_repo.get_case(s, case_id))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cycle(request):
    """The client, people and their tokens, on SQLite and on PostgreSQL."""
    from fastapi.testclient import TestClient

    from qa_engine.web.app import create_app
    from tests.helpers import people

    request.getfixturevalue("web_env" if request.param == "sqlite" else "pg_web_env")
    with session_scope() as s:
        p = people(s)
    with TestClient(create_app()) as client:
        yield client, p, {name: bearer(token_for(name)) for name in p}


def test_a_whole_cycle_through_the_api(cycle):
    client, p, h = cycle
    # --- provider: credential, new version, stale update
    body = api_credential(SAMPLES[0])
    r = client.post("/api/v1/credentials", json=body, headers=h["prov.cuni"])
    assert r.status_code == 201 and r.json()["outcome"] == "created", r.text
    cred_id = r.json()["credential_id"]
    assert (
        client.post("/api/v1/credentials", json=body, headers=h["prov.cuni"]).json()["outcome"]
        == "unchanged"
    )
    r = client.get(f"/api/v1/credentials/{cred_id}", headers=h["prov.cuni"])
    assert (
        r.status_code == 200
        and r.headers["ETag"] == '"1"'
        and r.json()["data"]["title"] == body["title"]
    )
    changed = {**body, "title": body["title"] + " (2026 edition)"}
    r = client.put(
        f"/api/v1/credentials/{cred_id}",
        json={**changed, "expected_version": 1},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 200 and r.json() == {
        "credential_id": cred_id,
        "version": 2,
        "outcome": "new_version",
    }
    r = client.put(
        f"/api/v1/credentials/{cred_id}",
        json={**changed, "expected_version": 1},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 409 and r.json()["error"] == "stale_update"
    r = client.put(
        f"/api/v1/credentials/{cred_id}",
        json={**changed, "reference": "OTHER-1"},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 422
    r = client.post("/api/v1/credentials", json={**body, "ects": "5"}, headers=h["prov.cuni"])
    assert r.status_code == 422, "strict types: a number as text is refused"
    listing = client.get("/api/v1/credentials?limit=1", headers=h["prov.cuni"]).json()
    assert (
        listing["total"] == 1
        and listing["limit"] == 1
        and listing["items"][0]["current_version"] == 2
    )
    assert client.get("/api/v1/credentials", headers=h["prov.uw"]).json()["total"] == 0

    # --- open the case; screening runs in the background task
    r = client.post("/api/v1/cases", json={"credential_id": cred_id}, headers=h["prov.cuni"])
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = client.get(f"/api/v1/cases/{case_id}", headers=h["prov.cuni"])
    assert r.json()["state"] == CaseState.SELF_ASSESSMENT and r.json()["credential"][
        "title"
    ].endswith("(2026 edition)")
    assert r.json()["my_assignment_id"] is None
    page = client.get("/api/v1/cases?state=self_assessment", headers=h["officer"]).json()
    assert [c["id"] for c in page["items"]] == [case_id] and page["total"] == 1
    assert client.get("/api/v1/cases?state=nonsense", headers=h["officer"]).status_code == 422

    # --- self-assessment: draft, strict scores, stale version, submit
    rubric = _rubric(case_id)
    entries = full_self_assessment(rubric)
    assert (
        client.get(f"/api/v1/cases/{case_id}/self-assessment", headers=h["prov.cuni"]).json()[
            "status"
        ]
        == "not_started"
    )
    first = rubric.reviewer_criteria[0].id
    r = client.put(
        f"/api/v1/cases/{case_id}/self-assessment",
        json={"entries": {first: entries[first]}, "summary": "draft"},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 422, "a draft write says which version it started from"
    r = client.put(
        f"/api/v1/cases/{case_id}/self-assessment",
        json={"entries": {first: entries[first]}, "summary": "draft", "version": 0},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 200 and r.json()["status"] == SelfAssessmentStatus.DRAFT
    version = r.json()["version"]
    for bad in (True, "3", 3.0):
        r = client.put(
            f"/api/v1/cases/{case_id}/self-assessment",
            json={"entries": {first: {**entries[first], "score": bad}}, "version": version},
            headers=h["prov.cuni"],
        )
        assert r.status_code == 422, (bad, r.text)
    r = client.put(
        f"/api/v1/cases/{case_id}/self-assessment",
        json={"entries": {first: {"score": 9}}, "version": version},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 422 and any(first in d for d in r.json()["details"])
    r = client.post(
        f"/api/v1/cases/{case_id}/self-assessment/submit",
        json={"entries": {first: entries[first]}, "version": version},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 422 and len(r.json()["details"]) > 10, (
        "every missing criterion is named"
    )
    r = client.put(
        f"/api/v1/cases/{case_id}/self-assessment",
        json={"entries": entries, "version": version + 5},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 409 and r.json()["error"] == "stale_update"
    r = client.put(
        f"/api/v1/cases/{case_id}/self-assessment",
        json={"entries": entries, "version": 0},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 409, "version 0 (no draft yet) while a draft exists is stale"
    r = client.put(
        f"/api/v1/cases/{case_id}/self-assessment",
        json={"entries": entries, "version": version},
        headers={**h["prov.cuni"], "If-Match": '"99"'},
    )
    assert r.status_code == 409, "If-Match is honoured"
    assert client.get(f"/api/v1/cases/{case_id}/self-assessment", headers=h["prov.cuni"]).json()[
        "entries"
    ].keys() == {first}, "no refused write changed the draft"
    current = client.get(f"/api/v1/cases/{case_id}/self-assessment", headers=h["prov.cuni"])
    r = client.post(
        f"/api/v1/cases/{case_id}/self-assessment/submit",
        json={"entries": entries, "summary": "Our summary", "version": current.json()["version"]},
        headers={**h["prov.cuni"], "If-Match": current.headers["ETag"]},
    )
    assert r.status_code == 200 and r.json()["status"] == SelfAssessmentStatus.SUBMITTED
    assert (
        client.get(f"/api/v1/cases/{case_id}", headers=h["officer"]).json()["state"]
        == CaseState.ASSIGNMENT
    )

    # --- officer: proposals with reasons, blocked reviewers, assign
    r = client.get(f"/api/v1/cases/{case_id}/proposals", headers=h["officer"])
    prop = r.json()
    assert (
        prop["needed"] == 2
        and len(prop["proposals"]) == 2
        and all(x["reasons"] for x in prop["proposals"])
    )
    assert any(
        "same institution as the provider" in "; ".join(b["reasons"]) for b in prop["blocked"]
    )
    cuni_reviewer = p["rev.cuni"].user_id
    r = client.post(
        f"/api/v1/cases/{case_id}/assignments",
        json={"reviewer_ids": [cuni_reviewer]},
        headers=h["officer"],
    )
    assert r.status_code == 409 and r.json()["error"] == "conflict_of_interest"
    ids = [x["reviewer_id"] for x in prop["proposals"]]
    r = client.post(
        f"/api/v1/cases/{case_id}/assignments",
        json={"reviewer_ids": ids, "reason": "experts"},
        headers=h["officer"],
    )
    assert r.status_code == 201 and len(r.json()) == 2
    assert (
        client.get(f"/api/v1/cases/{case_id}", headers=h["officer"]).json()["state"]
        == CaseState.PEER_REVIEW
    )
    names = {v.user_id: k for k, v in p.items()}
    first_rev, second_rev = names[ids[0]], names[ids[1]]

    # --- reviewers: invitations, accept, drafts, reviews visible only after one's own
    mine = client.get("/api/v1/assignments", headers=h[first_rev]).json()["items"]
    assert [a["status"] for a in mine] == [AssignmentStatus.INVITED] and mine[0][
        "case_id"
    ] == case_id
    asg1 = mine[0]["id"]
    asg2 = client.get("/api/v1/assignments", headers=h[second_rev]).json()["items"][0]["id"]
    for who, asg in ((first_rev, asg1), (second_rev, asg2)):
        r = client.post(f"/api/v1/assignments/{asg}/respond", json={"accept": True}, headers=h[who])
        assert r.status_code == 200 and r.json()["status"] == AssignmentStatus.ACCEPTED
    assert (
        client.get(f"/api/v1/cases/{case_id}", headers=h[first_rev]).json()["my_assignment_id"]
        == asg1
    )
    review = full_review(rubric, 3)
    r = client.put(
        f"/api/v1/assignments/{asg1}/review",
        json={"entries": review, "recommendation": "approved", "version": 0},
        headers=h[first_rev],
    )
    assert (
        r.status_code == 200
        and r.json()["status"] == ReviewStatus.DRAFT
        and r.headers["ETag"] == f'"{r.json()["version"]}"'
    )
    r = client.put(
        f"/api/v1/assignments/{asg1}/review",
        json={"entries": {first: {"score": "3"}}, "version": 1},
        headers=h[first_rev],
    )
    assert r.status_code == 422
    r = client.put(
        f"/api/v1/assignments/{asg1}/review",
        json={"entries": review, "recommendation": "maybe", "version": 1},
        headers=h[first_rev],
    )
    assert r.status_code == 422
    r = client.put(
        f"/api/v1/assignments/{asg1}/review",
        json={"entries": {first: {"score": 1}}, "version": 0},
        headers=h[first_rev],
    )
    assert r.status_code == 409 and r.json()["error"] == "stale_update", "a stale first save"
    r = client.post(
        f"/api/v1/assignments/{asg1}/review/submit",
        json={"entries": review, "recommendation": "approved", "version": 1},
        headers={**h[first_rev], "If-Match": '"2"'},
    )
    assert r.status_code == 409, "an If-Match that disagrees with the body version"
    r = client.post(
        f"/api/v1/assignments/{asg1}/review/submit",
        json={
            "entries": review,
            "recommendation": "approved",
            "overall_comment": "Solid.",
            "version": 1,
        },
        headers=h[first_rev],
    )
    assert r.status_code == 200 and r.json()["status"] == ReviewStatus.SUBMITTED
    seen = client.get(f"/api/v1/cases/{case_id}/reviews", headers=h[second_rev]).json()["items"]
    assert seen == [], "the second reviewer sees nothing before writing their own"
    seen = client.get(f"/api/v1/cases/{case_id}/reviews", headers=h[first_rev]).json()["items"]
    assert [v["mine"] for v in seen] == [True] and seen[0]["reviewer"] is None
    assert (
        client.get(f"/api/v1/cases/{case_id}/reviews", headers=h["prov.cuni"]).json()["items"] == []
    )

    # --- the second review comes through the offline sheet
    r = client.get(f"/api/v1/assignments/{asg2}/review-sheet", headers=h[second_rev])
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["Review"]
    for row in ws.iter_rows(min_row=5):
        key = row[0].value
        if key in review:
            row[2].value = 4 if rubric.criterion(key).criterion.kind == "scale" else "yes"
            row[3].value = "Convincing evidence."
        elif key == "recommendation":
            row[2].value = "approved"
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        f"/api/v1/assignments/{asg2}/review-sheet",
        data={"submit": "true"},
        files={"file": ("filled.xlsx", buf.getvalue(), XLSX)},
        headers=h[second_rev],
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == ReviewStatus.SUBMITTED and set(r.json()["scores"].values()) <= {
        1,
        4,
    }

    # --- consolidation ran in the background; the approver decides
    assert (
        client.get(f"/api/v1/cases/{case_id}", headers=h["approver"]).json()["state"]
        == CaseState.APPROVAL
    )
    cons = client.get(f"/api/v1/cases/{case_id}/consolidation", headers=h["approver"]).json()
    assert cons["reviewers"] == 2 and cons["overall"] > 0.5 and cons["recommended_outcome"]
    assert all(len(c["scores"]) == 2 for c in cons["criteria"])
    assert "within one level" in cons["agreement_summary"]
    assert cons["agreement"] is not None or cons["agreement_label"].startswith("not computable")
    assert (
        client.get(f"/api/v1/cases/{case_id}/consolidation", headers=h["prov.cuni"]).status_code
        == 403
    )
    case_version = client.get(f"/api/v1/cases/{case_id}", headers=h["approver"]).json()["version"]
    r = client.post(
        f"/api/v1/cases/{case_id}/decision",
        json={"outcome": "approved", "rationale": "short", "version": case_version},
        headers=h["approver"],
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/cases/{case_id}/decision",
        json={
            "outcome": "approved",
            "rationale": "Meets every standard we checked.",
            "version": case_version - 1,
        },
        headers=h["approver"],
    )
    assert r.status_code == 409 and r.json()["error"] == "stale_update", "decided on another case"
    r = client.post(
        f"/api/v1/cases/{case_id}/decision",
        json={
            "outcome": "approved",
            "rationale": "Meets every standard we checked.",
            "version": case_version,
        },
        headers=h["approver"],
    )
    assert r.status_code == 201 and r.json()["valid_until"]

    # --- reporting ran: the case is closed, its reports download and verify
    case = client.get(f"/api/v1/cases/{case_id}", headers=h["prov.cuni"]).json()
    assert case["state"] == CaseState.CLOSED and case["outcome"] == "approved"
    reports = client.get(f"/api/v1/cases/{case_id}/reports", headers=h["prov.cuni"]).json()["items"]
    # the signed report, its workbook, and (an approval) the four interop exports
    assert {r["kind"] for r in reports} == {"pdf", "xlsx", "elm", "edc", "ob3", "deqar"} and all(
        r["status"] == ReportStatus.GENERATED for r in reports
    )
    pdf = next(r for r in reports if r["kind"] == "pdf")
    got = client.get(pdf["download"], headers=h["prov.cuni"])
    assert (
        got.status_code == 200
        and got.content.startswith(b"%PDF")
        and got.headers["content-type"] == "application/pdf"
    )
    xlsx = client.get(
        next(r for r in reports if r["kind"] == "xlsx")["download"], headers=h["prov.cuni"]
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    verdict = client.post(
        "/api/v1/reports/verify", files={"file": ("r.pdf", got.content, "application/pdf")}
    ).json()
    assert verdict["ok"] and verdict["status"] == "valid" and verdict["registered"] is True
    assert verdict["report_id"] == pdf["report_id"]
    assert (
        verdict["verdict"].startswith("Valid — issued by ")
        and pdf["report_id"] in (verdict["verdict"])
    )
    tampered = got.content + b"\n% appended after signing\n"
    verdict = client.post(
        "/api/v1/reports/verify", files={"file": ("r.pdf", tampered, "application/pdf")}
    ).json()
    assert not verdict["ok"] and verdict["status"] == "modified"
    assert verdict["verdict"] == "Modified after signing"
    released = client.get(f"/api/v1/cases/{case_id}/reviews", headers=h["prov.cuni"]).json()[
        "items"
    ]
    assert len(released) == 2 and all(v["reviewer"] is None for v in released)

    # --- history and dashboard
    hist = client.get(f"/api/v1/cases/{case_id}/history", headers=h["prov.cuni"]).json()["items"]
    actions = [e["action"] for e in hist]
    assert "case.closed" in actions and "review.submitted" in actions
    assert {e["who"] for e in hist} <= {
        "you",
        "the engine",
        "the QA office",
        "a reviewer",
        "an approver",
    }, "roles, no names, for the provider"
    assert {"a reviewer", "an approver", "the QA office"} <= {e["who"] for e in hist}
    staff_hist = client.get(f"/api/v1/cases/{case_id}/history", headers=h["officer"]).json()[
        "items"
    ]
    assert any(e["who"] == first_rev for e in staff_hist)
    dash = client.get("/api/v1/dashboard", headers=h["leader"]).json()
    cuni = next(i for i in dash["institutions"] if i["code"] == "CUNI")
    assert (
        cuni["by_state"][CaseState.CLOSED] == 1
        and cuni["by_outcome"]["approved"] == 1
        and dash["total"] == 1
    )
    assert "rev." not in json.dumps(dash)


def _case_in_assignment(client, h, index: int, provider: str) -> int:
    r = client.post("/api/v1/credentials", json=api_credential(SAMPLES[index]), headers=h[provider])
    case_id = client.post(
        "/api/v1/cases", json={"credential_id": r.json()["credential_id"]}, headers=h[provider]
    ).json()["id"]
    entries = full_self_assessment(_rubric(case_id))
    r = client.post(
        f"/api/v1/cases/{case_id}/self-assessment/submit",
        json={"entries": entries, "version": 0},
        headers=h[provider],
    )
    assert r.status_code == 200, r.text
    return case_id


def test_batch_assignment_decline_with_conflict_reassign_remind(client, p, h):
    a = _case_in_assignment(client, h, 0, "prov.cuni")
    b = _case_in_assignment(client, h, 3, "prov.upa")
    r = client.post("/api/v1/assignments/auto", json={"case_ids": [a, b]}, headers=h["officer"])
    assert r.status_code == 200
    plans = r.json()["plans"]
    assert [x["case_id"] for x in plans] == [a, b] and all(len(x["invited"]) == 2 for x in plans)
    assert (
        client.post(
            "/api/v1/assignments/auto", json={"case_ids": []}, headers=h["officer"]
        ).status_code
        == 422
    )
    names = {v.user_id: k for k, v in p.items()}
    invited = plans[0]["invited"][0]
    who = names[invited["reviewer_id"]]
    asg = next(
        x
        for x in client.get("/api/v1/assignments", headers=h[who]).json()["items"]
        if x["case_id"] == a
    )
    r = client.post(
        f"/api/v1/assignments/{asg['id']}/respond",
        json={"accept": False, "conflict": True, "reason": ""},
        headers=h[who],
    )
    assert r.status_code == 422, "a reason is required to decline"
    r = client.post(
        f"/api/v1/assignments/{asg['id']}/respond",
        json={"accept": False, "conflict": True, "reason": "I co-taught this course."},
        headers=h[who],
    )
    assert r.status_code == 200 and r.json()["status"] == AssignmentStatus.DECLINED
    # the replacement need is visible to the officer; the declined reviewer is blocked for this case
    prop = client.get(f"/api/v1/cases/{a}/proposals", headers=h["officer"]).json()
    assert prop["needed"] == 1
    blocked = {b["reviewer_id"]: b["reasons"] for b in prop["blocked"]}
    assert any("conflict" in x or "declined" in x for x in blocked[invited["reviewer_id"]])
    r = client.post(
        f"/api/v1/cases/{a}/assignments",
        json={"reviewer_ids": [invited["reviewer_id"]]},
        headers=h["officer"],
    )
    assert r.status_code == 409
    # reassign the other (still open) invitation and remind the new reviewer
    other = plans[0]["invited"][1]
    other_asg = next(
        x
        for x in client.get("/api/v1/assignments", headers=h[names[other["reviewer_id"]]]).json()[
            "items"
        ]
        if x["case_id"] == a
    )
    new_id = prop["proposals"][0]["reviewer_id"]
    r = client.post(
        f"/api/v1/assignments/{other_asg['id']}/reassign",
        json={"reviewer_id": new_id, "reason": "faster"},
        headers=h["officer"],
    )
    assert r.status_code == 200, r.text
    new_asg = r.json()
    r = client.post(f"/api/v1/assignments/{new_asg['id']}/remind", headers=h["officer"])
    assert r.status_code == 200 and r.json()["reminders_sent"] == 1


def test_withdraw_and_resubmit(client, p, h):
    a = _case_in_assignment(client, h, 0, "prov.cuni")
    r = client.post(
        f"/api/v1/cases/{a}/withdraw",
        json={"reason": "Course cancelled", "version": 1},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 409 and r.json()["error"] == "stale_update"
    version = client.get(f"/api/v1/cases/{a}", headers=h["prov.cuni"]).json()["version"]
    r = client.post(
        f"/api/v1/cases/{a}/withdraw",
        json={"reason": "Course cancelled", "version": version},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 200 and r.json()["state"] == CaseState.WITHDRAWN
    # a case returned by screening goes through screening again with the newest version
    r = client.post("/api/v1/credentials", json=api_credential(SAMPLES[3]), headers=h["prov.upa"])
    b = client.post(
        "/api/v1/cases", json={"credential_id": r.json()["credential_id"]}, headers=h["prov.upa"]
    ).json()["id"]
    with session_scope() as s:  # as if screening had found a problem
        case = case_repo.get_case(s, b)
        case.state, case.screening_problems = (
            CaseState.RETURNED,
            ["EU-A1.6: learning outcomes missing"],
        )
    r = client.post(f"/api/v1/cases/{b}/resubmit", headers=h["prov.upa"])
    assert r.status_code == 200
    assert (
        client.get(f"/api/v1/cases/{b}", headers=h["prov.upa"]).json()["state"]
        == CaseState.SELF_ASSESSMENT
    )


def test_import_file_all_or_nothing_with_errors_per_cell(client, p, h, tmp_path):
    good = [parse_credential(SAMPLES[i]) for i in (0, 7)]
    path = write_credentials_xlsx(tmp_path / "call.xlsx", good)
    wb = load_workbook(path)
    wb["Credentials"]["J3"] = "lots"  # ECTS of the second row
    broken = io.BytesIO()
    wb.save(broken)
    r = client.post(
        "/api/v1/credentials/import",
        files={"file": ("call.xlsx", broken.getvalue(), XLSX)},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 422 and r.json()["error"] == "validation_failed"
    assert any(d.startswith("Credentials!J3: ECTS") for d in r.json()["details"]), r.json()[
        "details"
    ]
    assert client.get("/api/v1/credentials", headers=h["prov.cuni"]).json()["total"] == 0, (
        "nothing half-imported"
    )
    r = client.post(
        "/api/v1/credentials/import",
        data={"open_cases": "true"},
        files={"file": ("call.xlsx", path.read_bytes(), XLSX)},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["created"]) == 2 and len(r.json()["opened_cases"]) == 2
    states = {
        c["state"] for c in client.get("/api/v1/cases", headers=h["prov.cuni"]).json()["items"]
    }
    assert states == {CaseState.SELF_ASSESSMENT}
    r = client.post(
        "/api/v1/credentials/import",
        files={"file": ("call.json", json.dumps([SAMPLES[3]]).encode(), "application/json")},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 403, "a provider imports only their own institution's credentials"
    r = client.post(
        "/api/v1/credentials/import",
        files={"file": ("call.csv", b"a,b", "text/csv")},
        headers=h["prov.cuni"],
    )
    assert r.status_code == 422


def test_me_pagination_and_read_only_tokens(client, p, h):
    me = client.get("/api/v1/me", headers=h["prov.cuni"]).json()
    assert me["username"] == "prov.cuni" and me["institution"] == "CUNI" and me["auth"] == "token"
    for i in (0, 7):
        client.post("/api/v1/credentials", json=api_credential(SAMPLES[i]), headers=h["prov.cuni"])
    page1 = client.get("/api/v1/credentials?offset=0&limit=1", headers=h["officer"]).json()
    page2 = client.get("/api/v1/credentials?offset=1&limit=1", headers=h["officer"]).json()
    assert (
        page1["total"] == page2["total"] == 2 and page1["items"][0]["id"] != page2["items"][0]["id"]
    )
    assert client.get("/api/v1/credentials?limit=0", headers=h["officer"]).status_code == 422
    assert client.get("/api/v1/credentials?limit=100000", headers=h["officer"]).status_code == 422
    read = bearer(token_for("prov.cuni", scope="read"))
    assert client.get("/api/v1/credentials", headers=read).status_code == 200
    r = client.post("/api/v1/credentials", json=api_credential(SAMPLES[0]), headers=read)
    assert r.status_code == 403 and "read-only" in r.json()["message"]
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer qat_nonsense"}).status_code
        == 401
    )
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_openapi_documents_strict_models_and_errors(client):
    schema = client.get("/openapi.json").json()
    sa = schema["components"]["schemas"]["SelfEntryIn"]
    assert sa["additionalProperties"] is False
    score_types = {t.get("type") for t in sa["properties"]["score"]["anyOf"]}
    assert score_types == {"integer", "boolean", "null"}
    op = schema["paths"]["/api/v1/cases/{case_id}"]["get"]
    assert {"401", "403", "404"} <= set(op["responses"])
    assert schema["paths"]["/api/v1/reports/verify"]["post"]["security"] == []
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
