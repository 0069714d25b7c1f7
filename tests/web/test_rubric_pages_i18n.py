"""The rubric pages, the public verification page and the rubric refusals of the API in the
reader's language (issue 17): the rubric's own translations, the page's labels, the verdict and
its date; English stays the default and the API's error codes stay the same."""

from __future__ import annotations

import html
import re
from pathlib import Path

import yaml

from tests.helpers import SAMPLES
from tests.web.support import bearer, signed_in, token_for
from tests.web.test_api import api_credential

ROOT = Path(__file__).resolve().parents[2]
ESG = ROOT / "rubrics" / "esg-2015-part1.yaml"


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def _criterion_titles(lang: str) -> list[str]:
    data = yaml.safe_load(ESG.read_text(encoding="utf-8"))
    return [c["title"][lang] for c in data["criteria"] if isinstance(c.get("title"), dict)]


def test_the_rubric_view_in_czech_shows_the_rubrics_czech_texts_and_labels(client, p):
    signed_in(client, "officer")
    page = client.get("/rubrics/esg-2015-part1", headers={"Accept-Language": "cs"})
    assert page.status_code == 200 and page.headers["content-language"] == "cs"
    body = text(page)
    czech = _criterion_titles("cs")
    assert czech and all(title in body for title in czech[:3])
    assert "Váhy, prahová kritéria a výsledky" in body
    assert "Kritérium" in body and "Podíl na hodnocení" in body
    assert "Jak ji vidí posuzovatelé" in body
    assert "alespoň 2, jinak požadováno přepracování" in body
    assert "Weights, gates and outcomes" not in body
    # every declared language is listed in its own words, and no note: cs is one of them
    assert "Čeština" in body and "nemá překlad" not in body


def test_the_rubric_pages_stay_english_by_default(client, p):
    signed_in(client, "officer")
    body = text(client.get("/rubrics/esg-2015-part1"))
    assert "Weights, gates and outcomes" in body
    assert all(title in body for title in _criterion_titles("en")[:3])
    assert "Váhy" not in body
    listed = text(client.get("/rubrics", headers={"Accept-Language": "de"}))
    assert "Bewertungsraster" in listed and "Neue Version veröffentlichen" in listed


def test_a_refused_rubric_file_names_its_lines_in_french(client, p):
    csrf = signed_in(client, "officer")
    bad = (
        b"rubric:\n  id: esg-2015-part1\n  version: '2'\n  title: B\n"
        b"scales: []\ncriteria:\n  - id: a\n    title: A\n    kind: scale\n    scale: none\n"
    )
    response = client.post(
        "/rubric-publish/preview",
        data={"csrf_token": csrf},
        files={"file": ("mine.yaml", bad, "application/yaml")},
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 422
    body = text(response)
    assert "Le fichier n’a pas été publié" in body
    assert re.search(r"ligne \d+ : critère « a » : échelle inconnue « none »", body), body


def test_the_verify_page_in_polish(client, p):
    signed_in(client, "leader")
    data = client.get("/dashboard/report.pdf").content
    anonymous = type(client)(client.app)
    headers = {"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"}
    page = anonymous.post(
        "/verify", files={"file": ("l.pdf", data, "application/pdf")}, headers=headers
    )
    assert page.status_code == 200 and page.headers["content-language"] == "pl"
    body = text(page)
    # the verdict and its day in Polish ("3 grudnia 2026"), the labels too
    months = (
        "stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października"
        "|listopada|grudnia"
    )
    assert re.search(rf"Ważny — wydany przez .+ dnia \d{{1,2}} ({months}) \d{{4}}", body), body
    assert "Raport jest nienaruszony i opieczętowany przez" in body
    assert "tak, dokładnie ten plik" in body and "Wydany przez system" in body
    assert "Valid —" not in body
    junk = anonymous.post(
        "/verify", files={"file": ("x.pdf", b"hello", "application/pdf")}, headers=headers
    )
    assert "To nie jest PDF" in text(junk) and "Plik nie jest dokumentem PDF." in text(junk)
    # the API follows Accept-Language too; its status code stays the same
    api = anonymous.post(
        "/api/v1/reports/verify",
        files={"file": ("x.pdf", b"hello", "application/pdf")},
        headers=headers,
    ).json()
    assert api["status"] == "not_pdf" and api["verdict"] == "To nie jest PDF"
    english = anonymous.post("/verify", files={"file": ("x.pdf", b"hello", "application/pdf")})
    assert "Not a PDF" in text(english)


def test_a_rubric_refusal_through_the_api_in_french_keeps_its_code(client, p):
    headers = bearer(token_for("prov.cuni"))
    r = client.post("/api/v1/credentials", json=api_credential(SAMPLES[0]), headers=headers)
    assert r.status_code == 201, r.text
    cred = r.json()["credential_id"]
    body = {"credential_id": cred, "rubric_id": "no-such-rubric"}
    english = client.post("/api/v1/cases", json=body, headers=headers)
    french = client.post("/api/v1/cases", json=body, headers={**headers, "Accept-Language": "fr"})
    assert english.status_code == french.status_code == 404
    assert english.json()["error"] == french.json()["error"] == "not_found"
    assert english.json()["message"].startswith("no rubric with id 'no-such-rubric'")
    assert french.json()["message"].startswith(
        "aucune grille d’évaluation avec l’identifiant « no-such-rubric »"
    )


def test_the_publish_preview_says_what_changes_in_german(client, p):
    data = yaml.safe_load(ESG.read_text(encoding="utf-8"))
    data["rubric"]["version"] = "1.2.0"
    next(c for c in data["criteria"] if c["id"] == "esg-1.4")["weight"] = 2.0
    raw = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()
    csrf = signed_in(client, "officer")
    preview = client.post(
        "/rubric-publish/preview",
        data={"csrf_token": csrf},
        files={"file": ("esg.yaml", raw, "application/yaml")},
        headers={"Accept-Language": "de"},
    )
    assert preview.status_code == 200, preview.text[:500]
    body = text(preview)
    assert "Gewicht von 'esg-1.4' von 1 auf 2 angehoben" in body
    assert "ist gültig" in body and "Bereits eröffnete Verfahren behalten ihre Version." in body
