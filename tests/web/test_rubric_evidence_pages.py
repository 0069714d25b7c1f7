"""The QA officers' replay and calibration pages (issue 18): the same tables as the command line,
the workbook, an uploaded draft, and bad input shown on the form."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import col

from qa_engine.config import get_settings
from qa_engine.store.db import get_engine, session_scope
from qa_engine.store.models import AuditEvent
from qa_engine.synthetic.history import generate
from tests.web.support import signed_in


@pytest.fixture
def history(web_env, p):
    generate(get_engine(), 30, seed=3)
    return p


def _draft(gate: int) -> bytes:
    text = (get_settings().rubrics_dir / "4eu-mici.yaml").read_text()
    text = text.replace('version: "1.1.0"', 'version: "1.2.0"', 1)
    anchor = "    weight: 0.125\n"
    return text.replace(anchor, anchor + f"    gate: {{min_level: {gate}}}\n", 1).encode()


def test_replay_page_with_a_stored_version_an_upload_and_the_workbook(client, history):
    csrf = signed_in(client, "officer")
    form = client.get("/rubric-replay")
    assert form.status_code == 200 and "4eu-mici@1.1.0" in form.text
    same = client.post(
        "/rubric-replay",
        data={"csrf_token": csrf, "rubric": "4eu-mici@1.1.0", "format": "html"},
    )
    assert same.status_code == 200, same.text
    assert "0 recommended outcomes would change" in same.text
    assert "Effect per institution" in same.text and "Effect per EQF level" in same.text
    drafted = client.post(
        "/rubric-replay",
        data={"csrf_token": csrf, "format": "html"},
        files={"file": ("my-draft.yaml", _draft(4), "application/yaml")},
    )
    assert drafted.status_code == 200, drafted.text
    assert "Replay" in drafted.text and "gate mici-recognition ≥ 4 now fails" in drafted.text
    xlsx = client.post(
        "/rubric-replay",
        data={"csrf_token": csrf, "format": "xlsx"},
        files={"file": ("my-draft.yaml", _draft(4), "application/yaml")},
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert sheet["A1"].value == "Recommended outcomes that would change"
    with session_scope() as s:
        events = s.scalars(
            select(AuditEvent).where(col(AuditEvent.action) == "rubric.replayed")
        ).all()
        assert [e.payload["version"] for e in events] == ["1.1.0", "1.2.0", "1.2.0"]
        assert {e.actor for e in events} == {"officer"}


def test_replay_page_shows_bad_input_on_the_form(client, history):
    csrf = signed_in(client, "officer")
    nothing = client.post("/rubric-replay", data={"csrf_token": csrf})
    assert nothing.status_code == 422
    assert "choose a rubric version or upload a draft rubric file" in nothing.text
    broken = client.post(
        "/rubric-replay",
        data={"csrf_token": csrf},
        files={"file": ("broken.yaml", b"rubric:\n  id: 4eu-mici\n", "application/yaml")},
    )
    assert broken.status_code == 422
    assert "broken.yaml: " in broken.text and "/tmp/" not in broken.text
    dates = client.post(
        "/rubric-replay",
        data={"csrf_token": csrf, "rubric": "4eu-mici@1.1.0", "from": "2026-13-01"},
    )
    assert dates.status_code == 422 and "from: give a date as YYYY-MM-DD" in dates.text
    with session_scope() as s:
        assert not s.scalars(
            select(AuditEvent).where(col(AuditEvent.action) == "rubric.replayed")
        ).all()


def test_calibration_page_and_workbook(client, history):
    signed_in(client, "officer")
    empty = client.get("/rubric-calibration")
    assert empty.status_code == 200 and "4eu-mici@1.1.0" in empty.text
    page = client.get("/rubric-calibration?rubric=4eu-mici@1.1.0")
    assert page.status_code == 200, page.text
    assert "Criteria ranked by how much they are worth rewording" in page.text
    assert "Krippendorff" in page.text and "percent agreement (yes/no)" in page.text
    assert "dg-stackable" in page.text
    xlsx = client.get("/rubric-calibration.xlsx?rubric=4eu-mici@1.1.0")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad = client.get("/rubric-calibration?rubric=4eu-mici@9")
    assert bad.status_code == 404 and "has no version 9" in bad.text
    assert 'value="4eu-mici@1.1.0"' in bad.text  # the form is shown again


def test_others_are_refused(client, history):
    for who in ("prov.cuni", "rev.uw", "approver", "leader"):
        signed_in(client, who)
        assert client.get("/rubric-replay").status_code == 403
        assert client.get("/rubric-calibration").status_code == 403
    anonymous = type(client)(client.app)
    assert anonymous.get("/rubric-replay", follow_redirects=False).status_code == 303


def test_a_long_table_is_cut_on_the_page_not_in_the_workbook(client, history, monkeypatch):
    import qa_engine.web.pages.rubric_evidence as pages

    monkeypatch.setattr(pages, "SHOWN", 1)
    csrf = signed_in(client, "officer")
    files = {"file": ("my-draft.yaml", _draft(4), "application/yaml")}
    page = client.post("/rubric-replay", data={"csrf_token": csrf, "format": "html"}, files=files)
    assert page.status_code == 200
    cut = re.search(r"the first 1 of (\d+) rows: the workbook has them all", page.text)
    assert cut and int(cut.group(1)) > 1
    files = {"file": ("my-draft.yaml", _draft(4), "application/yaml")}
    xlsx = client.post("/rubric-replay", data={"csrf_token": csrf, "format": "xlsx"}, files=files)
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert sheet.max_row - 3 == int(cut.group(1))
