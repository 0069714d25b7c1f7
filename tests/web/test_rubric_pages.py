"""The rubric pages: the QA office's list, versions, coverage, comparison and publishing of an
uploaded file; the read-only view of the version in use for reviewers and providers; everyone else
refused."""

from __future__ import annotations

import html
import re
from pathlib import Path

import yaml

from qa_engine.store import audit_repo
from qa_engine.store.db import session_scope
from tests.web.support import signed_in

ROOT = Path(__file__).resolve().parents[2]
ESG = ROOT / "rubrics" / "esg-2015-part1.yaml"


def esg_file(version: str, weight: float = 1.0) -> bytes:
    data = yaml.safe_load(ESG.read_text())
    data["rubric"]["version"] = version
    next(c for c in data["criteria"] if c["id"] == "esg-1.4")["weight"] = weight
    return yaml.safe_dump(data, sort_keys=False).encode()


def text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def hidden(page: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert m, f"no {name} field"
    return html.unescape(m.group(1))


def test_officer_lists_views_and_sees_coverage(client, p):
    signed_in(client, "officer")
    listed = client.get("/rubrics")
    assert listed.status_code == 200
    assert 'href="/rubrics/4eu-mici"' in listed.text
    assert "installed file, never published" in text(listed)
    assert 'href="/rubrics"' in client.get("/").text  # in the officers' navigation
    shown = client.get("/rubrics/esg-2015-part1")
    assert shown.status_code == 200
    page = text(shown)
    assert "esg-1.2" in page and "at least 2, otherwise revision requested" in page
    assert "Meets the standard" in page  # the scale labels and descriptors, as reviewers see them
    assert "Arrangements are in place, documented and meet the expectation in full." in page
    assert "Publish a new version" in page
    coverage = client.get("/rubrics/digital-green-skills/coverage")
    assert coverage.status_code == 200
    body = text(coverage)
    assert "DigComp 2.2: 1 of 21 competences addressed" in re.sub(r"\s+", " ", body)
    assert "not covered" in body


def test_reviewer_and_provider_read_only_the_version_in_use(client, p):
    for who in ("rev.cuni", "prov.cuni"):
        client.cookies.clear()
        signed_in(client, who)
        shown = client.get("/rubrics/4eu-mici")
        assert shown.status_code == 200, (who, shown.text[:300])
        assert "Publish a new version" not in shown.text
        assert 'href="/rubrics"' not in shown.text.split("<main", 1)[0]  # not in their navigation
        assert client.get("/rubrics").status_code == 403
        assert client.get("/rubric-publish").status_code == 403
        assert client.get("/rubrics/4eu-mici/diff").status_code == 403
        assert client.get("/rubrics/4eu-mici/coverage").status_code == 403
        assert client.get("/rubrics/4eu-mici?version=0.1").status_code == 404
    client.cookies.clear()
    signed_in(client, "leader")
    assert client.get("/rubrics/4eu-mici").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    for path in ("/rubrics", "/rubrics/4eu-mici", "/rubric-publish"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")


def test_a_bad_file_is_refused_on_the_form_with_its_lines_and_nothing_is_stored(client, p):
    csrf = signed_in(client, "officer")
    bad = b"rubric:\n  id: esg-2015-part1\n  version: '2'\n  title: B\n  colour: red\n"
    response = client.post(
        "/rubric-publish/preview",
        data={"csrf_token": csrf},
        files={"file": ("mine.yaml", bad, "application/yaml")},
    )
    assert response.status_code == 422
    page = text(response)
    assert "line 5: unknown key 'colour' in rubric" in page
    assert "/tmp" not in page and "Traceback" not in page
    with session_scope() as s:
        events = audit_repo.events_for(s, "rubric", "esg-2015-part1@2")
    assert events == []


def test_officer_previews_the_diff_and_publishes_with_a_reason(client, p):
    csrf = signed_in(client, "officer")
    preview = client.post(
        "/rubric-publish/preview",
        data={"csrf_token": csrf},
        files={"file": ("esg.yaml", esg_file("1.2.0", 2.0), "application/yaml")},
    )
    assert preview.status_code == 200, preview.text[:500]
    assert "weight of 'esg-1.4' raised from 1 to 2" in text(preview)
    form = {
        "csrf_token": csrf,
        "content": hidden(preview.text, "content"),
        "name": hidden(preview.text, "name"),
        "content_hash": hidden(preview.text, "content_hash"),
    }
    no_reason = client.post("/rubric-publish", data={**form, "reason": " "})
    assert no_reason.status_code == 422
    assert "Say why this version is published" in text(no_reason)
    tampered = client.post(
        "/rubric-publish", data={**form, "content_hash": "0" * 64, "reason": "why"}
    )
    assert tampered.status_code == 409
    done = client.post(
        "/rubric-publish", data={**form, "reason": "ESG 1.4 counts double"}, follow_redirects=False
    )
    assert done.status_code == 303, done.text[:500]
    assert done.headers["location"] == "/rubrics/esg-2015-part1"
    with session_scope() as s:
        events = audit_repo.events_for(s, "rubric", "esg-2015-part1@1.2.0")
    published = [e for e in events if e.action == "rubric.published"]
    assert [(e.actor, e.payload["reason"]) for e in published] == [
        ("officer", "ESG 1.4 counts double")
    ]
    listed = text(client.get("/rubrics"))
    assert "ESG 1.4 counts double" in listed
    shown = text(client.get("/rubrics/esg-2015-part1"))
    assert "1.2.0" in shown and "used by new cases" in shown
    diff = client.get("/rubrics/esg-2015-part1/diff?old=1.1.0&new=1.2.0")
    assert diff.status_code == 200
    assert "weight of 'esg-1.4' raised from 1 to 2" in text(diff)
    again = client.post(
        "/rubric-publish", data={**form, "reason": "once more"}, follow_redirects=False
    )
    assert again.status_code == 409
    assert "already the active version" in text(again)
    # a reviewer now reads 1.2.0, and not the old one
    client.cookies.clear()
    signed_in(client, "rev.cuni")
    assert "1.2.0" in text(client.get("/rubrics/esg-2015-part1"))
    assert client.get("/rubrics/esg-2015-part1?version=1.1.0").status_code == 404
