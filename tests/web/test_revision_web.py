"""The revised credential through the web: the case page offers it and shows what changed, the
upload can name the case and asks before it changes the credential of an open case, and the API
does the same with documented answers."""

from __future__ import annotations

import html
import json

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import parse_credential
from qa_engine.services import cases as case_service
from qa_engine.services import credential_import
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.helpers import SAMPLES, revision_requested
from tests.services.test_revision import EXTRA, INDEX, revised_sample
from tests.web.support import bearer, signed_in, token_for

JSON = "application/json"


def _case(p) -> int:
    with session_scope() as s:
        return revision_requested(s, p, index=INDEX)


def _reviewed(case_id: int) -> int:
    with session_scope() as s:
        return case_service.credential_version_of(s, case_repo.get_case(s, case_id)).number


def _file(raw: dict) -> dict:
    return {"file": ("credentials.json", json.dumps([raw]).encode(), JSON)}


def test_the_case_page_submits_the_newest_version_and_shows_the_changes(client, p):
    case_id = _case(p)
    csrf = signed_in(client, "prov.unimi")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "Submit the revised credential" in page.text
    assert "Submit version" not in page.text  # nothing newer is stored yet
    assert f'href="/credentials/upload?case={case_id}"' in page.text
    with session_scope() as s:  # the provider edits the credential: version 2
        credential_import.import_credentials(
            session=s,
            actor=p["prov.unimi"],
            items=[parse_credential(revised_sample())],
            open_cases=False,
            confirm=True,
        )
        version = case_repo.get_case(s, case_id).version
    page = client.get(f"/cases/{case_id}")
    assert "Submit version 2 as the revised credential" in page.text
    r = client.post(
        f"/cases/{case_id}/revision",
        data={"csrf_token": csrf, "credential_version": "2", "expected_version": str(version)},
    )
    assert r.status_code == 200 and "now reviews version 2 of the credential" in r.text
    assert _reviewed(case_id) == 2
    text = html.unescape(r.text)
    assert "Changes since round 1" in text and "EU-A1.7 ECTS" in text
    assert "<td>5.0</td><td>6.0</td>" in r.text and f"<ins>{EXTRA}</ins>" in text
    again = client.post(
        f"/cases/{case_id}/revision", data={"csrf_token": csrf, "credential_version": "2"}
    )
    assert again.status_code == 409 and "round 2 already reviews version 2" in again.text
    # a reviewer or another institution's provider gets no such form
    signed_in(client, "prov.cuni")
    assert client.get(f"/cases/{case_id}").status_code == 404


def test_the_upload_names_the_case_and_asks_before_changing_an_open_case(client, p):
    case_id = _case(p)
    csrf = signed_in(client, "prov.unimi")
    form = client.get(f"/credentials/upload?case={case_id}")
    assert f'name="case" value="{case_id}"' in form.text
    r = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf, "case": str(case_id)},
        files=_file(revised_sample()),
    )
    assert r.status_code == 200 and "new round reviews the revised credential" in r.text
    assert str(r.url).endswith(f"/cases/{case_id}") and _reviewed(case_id) == 2
    # the original file again: a confirmation step, nothing stored
    r = client.post("/credentials/upload", data={"csrf_token": csrf}, files=_file(SAMPLES[INDEX]))
    assert r.status_code == 409
    text = html.unescape(r.text)
    assert "open case" in text and "holds version 1 again and would undo" in text
    assert 'name="confirm"' in r.text and "Traceback" not in r.text
    with session_scope() as s:
        assert case_repo.get_case(s, case_id).state == CaseState.SELF_ASSESSMENT
    r = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf, "confirm": "yes"},
        files=_file(SAMPLES[INDEX]),
    )
    assert r.status_code == 200 and "1 new version(s)" in r.text
    assert _reviewed(case_id) == 2


def test_the_api_submits_a_revision_and_refuses_a_silent_revert(client, p):
    case_id = _case(p)
    h = bearer(token_for("prov.unimi"))
    body = {
        k: v for k, v in parse_credential(revised_sample()).canonical().items() if v is not None
    }
    body["ects"] = float(body["ects"])
    r = client.post(f"/api/v1/cases/{case_id}/revision", json={"credential": body}, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["round"], out["credential_version"], out["previous_version"]) == (2, 2, 1)
    ects = next(c for c in out["changes"] if c["field"] == "ects")
    assert (ects["element"], ects["before"], ects["after"]) == ("EU-A1.7", "5.0", "6.0")
    outcomes = next(c for c in out["changes"] if c["field"] == "learning_outcomes")
    assert outcomes["added"] == [EXTRA] and outcomes["removed"] == []
    again = client.post(f"/api/v1/cases/{case_id}/revision", json={}, headers=h)
    assert again.status_code == 409 and "already reviews version 2" in again.json()["message"]

    r = client.post("/api/v1/credentials/import", files=_file(SAMPLES[INDEX]), headers=h)
    assert r.status_code == 409 and r.json()["error"] == "confirmation_needed"
    assert any("would undo" in d for d in r.json()["details"])
    r = client.post(
        "/api/v1/credentials/import",
        data={"confirm": "true"},
        files=_file(SAMPLES[INDEX]),
        headers=h,
    )
    assert r.status_code == 200 and len(r.json()["new_versions"]) == 1
    assert _reviewed(case_id) == 2
    schema = client.get("/openapi.json").json()
    op = schema["paths"]["/api/v1/cases/{case_id}/revision"]["post"]
    assert {"200", "404", "409", "422"} <= set(op["responses"])
