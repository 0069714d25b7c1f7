"""The public, sealed decision record and where people get the exports: the page for anyone, the
JSON with its JWS seal (checked with jwcrypto, another library than the one that sealed it), the
public files, the case page's buttons for the three roles that may download, and the API's access
rules."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jwcrypto import jwk, jws

from qa_engine.services import decisions
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from tests.helpers import people, to_state
from tests.web.conftest import data_folder, direct_kick
from tests.web.support import bearer, session_for, token_for

KINDS = ("elm", "edc", "ob3", "deqar")


@pytest.fixture(scope="module")
def decided(tmp_path_factory, template_folder):
    """An approved case and a rejected one, their reports and exports generated."""
    path = tmp_path_factory.mktemp("decided") / "data"
    with pytest.MonkeyPatch.context() as mp, data_folder(path, mp, template=template_folder):
        out: dict = {"path": path}
        with session_scope() as s:
            p = people(s)
            out["p"] = p
            approved = to_state(s, p, "approval", index=0)
            rejected = to_state(s, p, "approval", index=3)
        for case_id, outcome in ((approved, "approved"), (rejected, "rejected")):
            with session_scope() as s:
                decisions.decide(
                    session=s,
                    actor=p["approver"],
                    case_id=case_id,
                    outcome=outcome,
                    rationale="A considered decision on the credential.",
                )
        direct_kick([approved, rejected])
        with session_scope() as s:
            for key, case_id in (("approved", approved), ("rejected", rejected)):
                case = case_repo.get_case(s, case_id)
                rows = {r.kind: r for r in case_repo.reports_of(s, case_id)}
                code = next(
                    i.code for i in repo.list_institutions(s) if i.id == case.institution_id
                )
                out[key] = {
                    "case": case_id,
                    "rows": {k: (r.report_id, r.sha256, r.status) for k, r in rows.items()},
                    "id": rows["pdf"].report_id,
                    "provider": f"prov.{code.lower()}",
                }
        out["tokens"] = {
            who: token_for(who)
            for who in ("officer", "approver", "admin", "leader", "rev.uw", "prov.cuni", "prov.upa")
        }
        from qa_engine.web.app import create_app

        out["app"] = create_app()
        yield out


def test_the_exports_were_generated_after_the_reports(decided):
    approved, rejected = decided["approved"], decided["rejected"]
    assert list(approved["rows"]) == ["pdf", "xlsx", *KINDS]
    assert list(rejected["rows"]) == ["pdf", "xlsx", "deqar"]
    assert all(status == "generated" for _, _, status in approved["rows"].values())


def test_the_public_page_for_anyone(decided):
    approved = decided["approved"]
    rid = approved["id"]
    with TestClient(decided["app"]) as client:
        page = client.get(f"/decisions/{rid}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Approved" in text and "Anna Approver" in text and "on behalf of" in text
    assert "Valid until" in text
    assert f'href="/decisions/{rid}/report.pdf"' in text
    for kind in KINDS:
        assert f'href="/decisions/{rid}/{kind}"' in text
        assert approved["rows"][kind][1] in text  # its SHA-256
    assert f'href="/verify?id={rid}"' in text
    rejected = decided["rejected"]
    with TestClient(decided["app"]) as client:
        refused = client.get(f"/decisions/{rejected['id']}").text
    assert "Rejected" in refused and f"/decisions/{rejected['id']}/deqar" in refused
    assert f"/decisions/{rejected['id']}/elm" not in refused and "Valid until" not in refused


def _certificate(decided) -> jwk.JWK:
    return jwk.JWK.from_pem((decided["path"] / "pki" / "signer.pem").read_bytes())


def test_the_json_record_is_sealed_and_verifies_with_another_library(decided):
    approved = decided["approved"]
    rid = approved["id"]
    with TestClient(decided["app"]) as client:
        got = client.get(f"/decisions/{rid}", headers={"Accept": "application/json"})
        jose = client.get(f"/decisions/{rid}", headers={"Accept": "application/jose"})
    assert got.status_code == 200 and got.headers["content-type"] == "application/json"
    assert got.headers["vary"] == "Accept"
    body = got.json()
    record = body["record"]
    assert record["id"] == rid and record["outcome"] == "approved" and record["approving"]
    assert record["decided_by"] == "Anna Approver" and record["case"] == approved["case"]
    assert record["valid_until"] and record["expired"] is False
    assert record["files"]["pdf"]["sha256"] == approved["rows"]["pdf"][1]
    assert record["files"]["pdf"]["url"].endswith(f"/decisions/{rid}/report.pdf")
    assert {k: v["sha256"] for k, v in record["files"].items() if k != "pdf"} == {
        k: approved["rows"][k][1] for k in KINDS
    }
    token = jws.JWS()
    token.deserialize(body["jws"])
    header = token.jose_header
    assert header["x5c"] and header["alg"]
    token.verify(_certificate(decided))
    assert json.loads(token.payload) == record
    # the JWS alone, by content negotiation
    assert jose.headers["content-type"].startswith("application/jose")
    alone = jws.JWS()
    alone.deserialize(jose.text)
    alone.verify(_certificate(decided))
    assert json.loads(alone.payload)["id"] == rid
    # a flipped byte in the payload or the header is detected
    head, payload, sig = body["jws"].split(".")
    for bad in (
        f"{head}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{sig}",
        f"{head[:-2]}{'A' if head[-2] != 'A' else 'B'}{head[-1]}.{payload}.{sig}",
    ):
        broken = jws.JWS()
        with pytest.raises(Exception):  # noqa: B017,PT011 - any refusal: invalid or unreadable
            broken.deserialize(bad)
            broken.verify(_certificate(decided))


def test_unknown_or_unfinished_ids_are_the_missing_page(decided):
    approved = decided["approved"]
    with TestClient(decided["app"]) as client:
        missing = client.get("/no/such/page")
        assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
        for path in (
            "/decisions/QA-2000-999999-R1",
            f"/decisions/{approved['rows']['xlsx'][0]}",  # a workbook's id is no decision
            "/decisions/QA-2000-999999-R1/report.pdf",
            f"/decisions/{approved['id']}/xlsx",
            f"/decisions/{decided['rejected']['id']}/elm",
        ):
            got = client.get(path)
            assert got.status_code == 404, path
            assert got.headers["content-type"].startswith("text/html")
            assert "<h1>Not found</h1>" in got.text, path  # the page of any missing address


def test_public_downloads(decided):
    approved = decided["approved"]
    rid = approved["id"]
    media = {
        "elm": "application/jose+json",
        "edc": "application/jose+json",
        "ob3": "application/jwt",
        "deqar": "application/json",
    }
    with TestClient(decided["app"]) as client:
        pdf = client.get(f"/decisions/{rid}/report.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(pdf.content).hexdigest() == approved["rows"]["pdf"][1]
        assert f'filename="{rid}.pdf"' in pdf.headers["content-disposition"]
        for kind in KINDS:
            got = client.get(f"/decisions/{rid}/{kind}")
            assert got.status_code == 200, kind
            assert got.headers["content-type"].startswith(media[kind])
            assert hashlib.sha256(got.content).hexdigest() == approved["rows"][kind][1]
            name = approved["rows"][kind][0] + (".jwt" if kind == "ob3" else ".json")
            assert f'filename="{name}"' in got.headers["content-disposition"]
        # the sealed ELM export verifies with jwcrypto too
        sealed = client.get(f"/decisions/{rid}/elm").json()
        # (JAdES lists sigT as critical, as EDC does: the checker is told what it means)
        registry = {"sigT": jws.JWSEHeaderParameter("Claimed signing time", False, True, None)}
        token = jws.JWS(header_registry=registry)
        token.deserialize(json.dumps(sealed))
        token.verify(_certificate(decided))
        assert json.loads(token.payload)["type"] == "Qualification"


def _page(client, who: str, path: str):
    sid, _ = session_for(who)
    return client.get(path, headers={"Cookie": f"qa_session={sid}"}, follow_redirects=False)


def test_the_case_page_shows_the_export_buttons_to_three_roles_only(decided):
    approved = decided["approved"]
    case_id, rid = approved["case"], approved["id"]
    button = f'href="/decisions/{rid}/ob3" download'
    with TestClient(decided["app"]) as client:
        for who in ("officer", "approver", approved["provider"]):
            page = _page(client, who, f"/cases/{case_id}")
            assert page.status_code == 200 and button in page.text, who
        for who in ("admin",):
            page = _page(client, who, f"/cases/{case_id}")
            assert page.status_code == 200 and button not in page.text, who
            assert 'id="exports"' not in page.text
        reviewer = next(
            k
            for k, v in decided["p"].items()
            if k.startswith("rev.") and _page(client, k, f"/cases/{case_id}").status_code == 200
        )
        assert button not in _page(client, reviewer, f"/cases/{case_id}").text


def test_the_api_serves_exports_by_role(decided):
    approved, rejected = decided["approved"], decided["rejected"]
    tokens = decided["tokens"]
    case_id = approved["case"]
    other = "prov.upa" if approved["provider"] != "prov.upa" else "prov.cuni"
    url = f"/api/v1/cases/{case_id}/exports/ob3"
    with TestClient(decided["app"]) as client:
        assert client.get(url).status_code == 401
        for who in ("officer", "approver"):
            got = client.get(url, headers=bearer(tokens[who]))
            assert got.status_code == 200, who
            assert hashlib.sha256(got.content).hexdigest() == approved["rows"]["ob3"][1]
        own = token_for(approved["provider"])
        assert client.get(url, headers=bearer(own)).status_code == 200
        for who in ("admin", "leader", "rev.uw"):
            got = client.get(url, headers=bearer(tokens[who]))
            assert got.status_code == 403, who
        assert client.get(url, headers=bearer(tokens[other])).status_code == 404
        assert (
            client.get(f"/api/v1/cases/{case_id}/exports/pdf", headers=bearer(own)).status_code
            == 422
        )
        refused = client.get(
            f"/api/v1/cases/{rejected['case']}/exports/elm", headers=bearer(tokens["officer"])
        )
        assert refused.status_code == 404
        message = refused.json()["message"]
        assert f"case {rejected['case']} was rejected" in message
        assert "it has no ELM Qualification" in message and rejected["rows"]["deqar"][0] in message
        deqar = client.get(
            f"/api/v1/cases/{rejected['case']}/exports/deqar", headers=bearer(tokens["officer"])
        )
        assert deqar.status_code == 200
    schema = decided["app"].openapi()
    assert "/api/v1/cases/{case_id}/exports/{kind}" in schema["paths"]


def test_the_case_reports_list_points_exports_at_their_public_address(decided):
    approved = decided["approved"]
    with TestClient(decided["app"]) as client:
        items = client.get(
            f"/api/v1/cases/{approved['case']}/reports",
            headers=bearer(decided["tokens"]["officer"]),
        ).json()["items"]
    downloads = {i["kind"]: i["download"] for i in items}
    assert downloads["elm"] == f"/decisions/{approved['id']}/elm"
    assert downloads["pdf"] == f"/api/v1/reports/{approved['id']}/file"
    assert Path(decided["path"]).is_dir()


def test_an_expired_approval_says_so(decided):
    from qa_engine.services.context import set_clock

    rid = decided["approved"]["id"]
    json_accept = {"Accept": "application/json"}
    with TestClient(decided["app"]) as client:
        before = client.get(f"/decisions/{rid}", headers=json_accept).json()["record"]
        fresh = client.get(f"/decisions/{rid}").text
        until = date.fromisoformat(before["valid_until"])
        set_clock(datetime.combine(until + timedelta(days=1), time(12), tzinfo=UTC))
        try:
            page = client.get(f"/decisions/{rid}").text
            after = client.get(f"/decisions/{rid}", headers=json_accept).json()["record"]
        finally:
            set_clock(None)
    assert before["expired"] is False and "expired" not in fresh
    assert after["expired"] is True and after["as_of"] == (until + timedelta(days=1)).isoformat()
    # the day in the page's language (English by default: "Dec 3, 2029")
    assert f"This approval expired on {until:%b} {until.day}, {until.year}" in page


def test_a_broken_interop_profile_is_not_shown_to_the_public(decided, tmp_path, monkeypatch):
    from qa_engine.config import reset_settings

    rid = decided["approved"]["id"]
    broken = tmp_path / "broken-profile.yaml"
    broken.write_text("qa_office:\n  name: QA\n  homepage: not an address\n", encoding="utf-8")
    monkeypatch.setenv("QA_INTEROP_PROFILE", str(broken))
    reset_settings()
    try:
        with TestClient(decided["app"]) as client:
            got = client.get(f"/decisions/{rid}")
    finally:
        monkeypatch.undo()
        reset_settings()
    assert got.status_code == 503
    assert "interop profile is not valid" in got.text
    assert str(broken) not in got.text and "homepage" not in got.text


def test_the_public_page_in_german(decided):
    rid = decided["approved"]["id"]
    with TestClient(decided["app"]) as client:
        page = client.get(f"/decisions/{rid}", headers={"Accept-Language": "de-DE,de;q=0.9"})
        english = client.get(f"/decisions/{rid}").text
    assert page.status_code == 200 and page.headers["content-language"] == "de"
    text = page.text
    assert "Genehmigt" in text and "im Namen von" in text and "Gültig bis" in text
    assert "Microcredential" in text and "Signierter Evaluationsbericht (PDF)" in text
    # dates as Germans write them: 03.12.2026 14:05 UTC
    assert re.search(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2} UTC, Runde \d+ des Verfahrens", text), text
    assert "Valid until" not in text and "on behalf of" not in text
    assert "Valid until" in english and "on behalf of" in english
