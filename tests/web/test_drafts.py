"""Drafts through the pages: a save that started from another version than the stored one (a
second tab, a sheet downloaded before the draft changed) is refused; the page then shows the
person's input beside the saved draft and lets them keep either. Review sheets are checked like
an import (sheet name, column titles in place, the hidden markers); nothing is saved when
refused."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import cases as case_service
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.helpers import full_review, full_self_assessment, to_state
from tests.web.support import signed_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _version(html: str) -> str:
    m = re.search(r'name="version" value="(\d+)"', html)
    assert m, "the form carries no draft version"
    return m.group(1)


def _form(entries: dict, text_key: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for cid, entry in entries.items():
        score = entry.get("score")
        if score is not None:
            data[f"score.{cid}"] = (
                ("yes" if score else "no") if isinstance(score, bool) else str(score)
            )
        data[f"{text_key}.{cid}"] = entry.get(text_key, "")
    return data


@pytest.fixture
def reviewing(client, p):
    """A reviewer signed in on an accepted assignment: (csrf, assignment id, other assignment id,
    the other reviewer, rubric)."""
    with session_scope() as s:
        case_id = to_state(s, p, "peer_review")
        rubric = case_service.rubric_of(s, case_repo.get_case(s, case_id))
        live = case_repo.assignments_of(s, case_id, 1, statuses=(AssignmentStatus.ACCEPTED,))
        names = {v.user_id: k for k, v in p.items()}
        (first, asg1), (second, asg2) = ((names[a.reviewer_id], a.id) for a in live[:2])
    return signed_in(client, first), asg1, asg2, second, first, rubric


def _stored_review(asg_id: int):
    with session_scope() as s:
        r = case_repo.review_for_assignment(s, asg_id)
        return (
            None if r is None else (r.version, dict(r.scores), dict(r.comments), r.recommendation)
        )


def test_review_form_two_tabs_conflict_shows_both_and_keeps_mine(client, reviewing):
    csrf, asg, _, _, _, rubric = reviewing
    tab1 = client.get(f"/assignments/{asg}/review").text
    tab2 = client.get(f"/assignments/{asg}/review").text
    assert _version(tab1) == _version(tab2) == "0", "no draft yet is version 0"
    full = {cid: {**e, "comment": f"Tab one on {cid}."} for cid, e in full_review(rubric).items()}
    r = client.post(
        f"/assignments/{asg}/review",
        data={
            "csrf_token": csrf,
            "action": "save",
            "version": _version(tab1),
            "recommendation": "approved",
            "overall_comment": "Tab one overall.",
            **_form(full, "comment"),
        },
    )
    assert r.status_code == 200 and "Draft saved." in r.text
    saved = _stored_review(asg)
    one = next(iter(full))
    mine = {
        "csrf_token": csrf,
        "action": "save",
        "version": _version(tab2),
        "score.esg-1.1": "1",
        "comment.esg-1.1": "Tab two typed this.",
        "overall_comment": "Tab two overall.",
    }
    r = client.post(f"/assignments/{asg}/review", data=mine)
    assert r.status_code == 409
    page = r.text
    assert "the draft was saved elsewhere meanwhile" in page
    assert page.count("Tab two typed this.") >= 2, "in the form and in the comparison"
    assert "Tab one on esg-1.1." in page and "Tab one overall." in page, "the saved side"
    assert "Tab two overall." in page
    assert 'id="keep-mine"' in page and 'id="use-saved"' in page
    assert _version(page) == "1", "keep mine re-posts with the stored version"
    assert "data-autosave" not in page, "no autosave overwrites the draft before the choice"
    assert _stored_review(asg) == saved, "the stored draft still holds tab one's input"
    assert saved[2][one] == f"Tab one on {one}."
    # keep mine
    r = client.post(f"/assignments/{asg}/review", data={**mine, "version": _version(page)})
    assert r.status_code == 200 and "Draft saved." in r.text
    version, scores, comments, rec = _stored_review(asg)
    assert (
        version == 2 and scores == {"esg-1.1": 1} and comments == {"esg-1.1": "Tab two typed this."}
    )
    assert rec is None


def test_review_form_without_a_version_is_a_first_save(client, reviewing):
    csrf, asg, _, _, _, _ = reviewing
    data = {"csrf_token": csrf, "action": "save", "comment.esg-1.1": "First."}
    assert client.post(f"/assignments/{asg}/review", data=data).status_code == 200
    r = client.post(f"/assignments/{asg}/review", data={**data, "comment.esg-1.1": "Second."})
    assert r.status_code == 409, "a form that says nothing started from no draft"
    assert _stored_review(asg)[2] == {"esg-1.1": "First."}


def test_self_assessment_two_tabs_conflict_then_use_the_saved_draft(client, p):
    with session_scope() as s:
        case_id = to_state(s, p, "self_assessment")
        rubric = case_service.rubric_of(s, case_repo.get_case(s, case_id))
    csrf = signed_in(client, "prov.cuni")
    url = f"/cases/{case_id}/self-assessment"
    tab1, tab2 = client.get(url).text, client.get(url).text
    assert _version(tab1) == _version(tab2) == "0"
    full = full_self_assessment(rubric)
    r = client.post(
        url,
        data={
            "csrf_token": csrf,
            "action": "save",
            "version": "0",
            "summary": "Tab one summary.",
            **_form(full, "narrative"),
        },
    )
    assert r.status_code == 200 and "Draft saved." in r.text
    r = client.post(
        url,
        data={
            "csrf_token": csrf,
            "action": "save",
            "version": "0",
            "narrative.esg-1.1": "Tab two narrative.",
            "summary": "Tab two summary.",
        },
    )
    assert r.status_code == 409
    assert "Tab two narrative." in r.text and "Tab two summary." in r.text
    assert full["esg-1.1"]["narrative"] in r.text and "Tab one summary." in r.text
    assert _version(r.text) == "1"
    # use the saved draft: the page as stored
    page = client.get(url).text
    assert "Tab one summary." in page and "Tab two summary." not in page
    with session_scope() as s:
        sa = case_repo.get_self_assessment(s, case_id, 1)
        assert sa.version == 1 and sa.entries.keys() == full.keys()


# --------------------------------------------------------------------------- review sheets


def _sheet(client, asg: int):
    r = client.get(f"/assignments/{asg}/review-sheet")
    assert r.status_code == 200
    return load_workbook(io.BytesIO(r.content))


def _fill(wb) -> None:
    for row in wb["Review"].iter_rows(min_row=5):
        key = row[0].value
        if key and key.startswith(("esg", "eu-p", "dg-", "mici")):
            row[2].value = "yes" if key == "dg-stackable" else 3
            row[3].value = "From the sheet."
        elif key == "recommendation":
            row[2].value = "approved"


def _upload(client, csrf, asg, wb, name="my review.xlsx"):
    buf = io.BytesIO()
    wb.save(buf)
    return client.post(
        f"/assignments/{asg}/review-sheet",
        data={"csrf_token": csrf, "action": "save"},
        files={"file": (name, buf.getvalue(), XLSX)},
    )


def _draft_first(client, csrf, asg) -> tuple:
    r = client.post(
        f"/assignments/{asg}/review",
        data={"csrf_token": csrf, "action": "save", "version": "0", "comment.esg-1.1": "Kept."},
    )
    assert r.status_code == 200
    return _stored_review(asg)


def _refused(r, before, asg, *where: str) -> None:
    assert r.status_code in (409, 422), r.status_code
    assert "The sheet was not saved" in r.text
    for w in where:
        assert f"<code>{w}</code>" in r.text, (w, re.findall(r"<code>[^<]*</code>[^<]*", r.text))
    assert "qa-upload-" not in r.text and "Error:" not in r.text
    assert _stored_review(asg) == before, "nothing was saved"


def test_a_sheet_with_an_inserted_column_is_refused(client, reviewing):
    csrf, asg, *_ = reviewing
    wb = _sheet(client, asg)
    before = _draft_first(client, csrf, asg)
    wb = _sheet(client, asg)
    _fill(wb)
    wb["Review"].insert_cols(3)  # scores would land among the comments
    r = _upload(client, csrf, asg, wb)
    _refused(r, before, asg, "Review!C4", "Review!D4")
    assert "a column was inserted, deleted or moved" in r.text


def test_a_sheet_with_a_renamed_or_unknown_column_is_refused(client, reviewing):
    csrf, asg, *_ = reviewing
    before = _draft_first(client, csrf, asg)
    wb = _sheet(client, asg)
    _fill(wb)
    wb["Review"]["D4"] = "Remarks"
    wb["Review"]["G4"] = "My notes"
    r = _upload(client, csrf, asg, wb)
    _refused(r, before, asg, "Review!D4", "Review!G4")
    assert "expected the column &#39;Comment&#39; here, not &#39;Remarks&#39;" in r.text
    wb["Review"]["D4"] = "Comment"
    wb["Review"].title = "My review"
    r = _upload(client, csrf, asg, wb)
    _refused(r, before, asg, "my review.xlsx")
    assert "the sheet &#39;Review&#39; is missing" in r.text


def test_a_sheet_of_another_assignment_is_refused(client, reviewing):
    csrf, asg, other, other_name, me, _ = reviewing
    before = _draft_first(client, csrf, asg)
    signed_in(client, other_name)
    wb = _sheet(client, other)
    csrf = signed_in(client, me)
    _fill(wb)
    r = _upload(client, csrf, asg, wb)
    _refused(r, before, asg, "Meta!B1")
    assert f"this sheet belongs to assignment {other}, not {asg}" in r.text


def test_a_stale_sheet_is_refused_and_the_newer_draft_kept(client, reviewing):
    csrf, asg, *_ = reviewing
    wb = _sheet(client, asg)  # made from "no draft yet"
    assert wb["Meta"]["A7"].value == "draft_version" and wb["Meta"]["B7"].value == 0
    before = _draft_first(client, csrf, asg)  # the draft changes meanwhile
    _fill(wb)
    r = _upload(client, csrf, asg, wb)
    assert r.status_code == 409
    _refused(r, before, asg, "Meta!B7")
    assert "the sheet was made from draft version 0" in r.text
    # a sheet downloaded now carries the draft's version and is read
    wb = _sheet(client, asg)
    assert wb["Meta"]["B7"].value == before[0]
    _fill(wb)
    r = _upload(client, csrf, asg, wb)
    assert r.status_code == 200 and "saved as your draft" in r.text
    assert _stored_review(asg)[0] == before[0] + 1


def test_the_api_refuses_a_stale_sheet_with_a_409_naming_the_cell(client, reviewing):
    from tests.web.support import bearer, token_for

    _, asg, _, _, me, _ = reviewing
    client.cookies.clear()
    auth = bearer(token_for(me))
    r = client.get(f"/api/v1/assignments/{asg}/review-sheet", headers=auth)
    wb = load_workbook(io.BytesIO(r.content))
    r = client.put(
        f"/api/v1/assignments/{asg}/review",
        json={"entries": {"esg-1.1": {"comment": "Meanwhile."}}, "version": 0},
        headers=auth,
    )
    assert r.status_code == 200
    before = _stored_review(asg)
    _fill(wb)
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        f"/api/v1/assignments/{asg}/review-sheet",
        files={"file": ("offline.xlsx", buf.getvalue(), XLSX)},
        headers=auth,
    )
    assert r.status_code == 409 and r.json()["error"] == "stale_update", r.text
    assert r.json()["message"].startswith("offline.xlsx: 1 problem; nothing was saved")
    assert r.json()["details"][0].startswith("Meta!B7: the sheet was made from draft version 0")
    assert _stored_review(asg) == before
