"""Credentials, accounts and administration in the reader's language (issue 17): the pages' words,
their dates and figures in the locale's format, the messages of a refused form, an import's
problems with their location kept, a file over the limit with its sizes in the locale's format,
and English unchanged where nobody asks for another language."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from qa_engine.adapters import translations as tr
from qa_engine.adapters.credential_io import ImportInvalid, read_xlsx
from qa_engine.config import Settings, get_settings
from qa_engine.domain.credential import FIELDS, parse_credential
from qa_engine.domain.limits import too_large
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from qa_engine.web.uploads import size_in_language, too_large_in_language
from tests.helpers import SAMPLES
from tests.web.support import csrf_of, signed_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CS_MOMENT = re.compile(r"\d{1,2}\. \d{1,2}\. \d{4} \d{2}:\d{2} UTC")
DE_DATE = re.compile(r"\d{2}\.\d{2}\.\d{4}")


def set_language(username: str, language: str | None) -> None:
    with session_scope() as s:
        user = repo.get_user_by_username(s, username)
        user.language = language
        s.add(user)


def _fields(**over: str) -> dict[str, str]:
    data = parse_credential(SAMPLES[0]).canonical()
    out = {k: "\n".join(v) if isinstance(v, list) else str(v) for k, v in data.items() if v}
    return {**out, **over}


def _new_credential(client: TestClient, csrf: str) -> str:
    r = client.post(
        "/credentials/new",
        data={**_fields(ects="2.5", workload_hours="70"), "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[-2000:]
    return r.headers["location"]


def test_the_credential_pages_in_german(client, p):
    csrf = signed_in(client, "prov.cuni")
    where = _new_credential(client, csrf)
    set_language("prov.cuni", "de")
    page = client.get(where).text
    assert '<html lang="de">' in page
    for words in ("<h2>Elemente</h2>", "Lernergebnisse", "EQR-Niveau", "Versionen"):
        assert words in page, words
    assert "EU-A1.6, verpflichtendes Standardelement" in page
    assert "<td>2,5</td>" in page  # the ECTS with a decimal comma
    assert "<td>30.06.2026</td>" in page  # the date of issuing as Germans write it
    assert "Gemischt (Blended Learning)" in page  # a closed value in words
    assert DE_DATE.search(page.split("aktualisiert am", 1)[1])
    listing = client.get("/credentials").text
    assert "<h1>Microcredentials</h1>" in listing and "1 Microcredential</caption>" in listing
    assert "nicht zur Begutachtung eingereicht" in listing
    form = client.get("/credentials/new").text
    assert 'Jedes mit <span class="req">Pflichtfeld</span>' in form
    assert "<legend>Optionale Standardelemente</legend>" in form
    # a refused form says what is wrong in German, the field's value as it was typed
    r = client.post(
        "/credentials/new",
        data={**_fields(ects="viel", eqf_level="EQF 42"), "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert "2 Felder zu korrigieren" in r.text
    assert "&#39;viel&#39; ist keine Zahl" in r.text
    assert "Das EQR-Niveau muss 1 bis 8 sein, nicht 42" in r.text


def test_the_credential_pages_in_czech(client, p):
    csrf = signed_in(client, "prov.cuni")
    where = _new_credential(client, csrf)
    set_language("prov.cuni", "cs")
    page = client.get(where).text
    assert "Výsledky učení" in page and "<h2>Verze</h2>" in page and "<td>2,5</td>" in page
    assert "<td>30. 6. 2026</td>" in page
    assert CS_MOMENT.search(page)  # when the version was stored
    listing = client.get("/credentials").text
    assert "1 mikrocertifikát</caption>" in listing and "Stáhnout šablonu tabulky" in listing
    upload = client.get("/credentials/upload").text
    assert "<h1>Nahrát mikrocertifikáty</h1>" in upload and "Nahrát a zkontrolovat" in upload


def test_the_admin_pages_in_czech_and_german(client, p):
    set_language("admin", "cs")
    signed_in(client, "admin")
    page = client.get("/admin/users/officer").text
    assert "<h1>Účet officer</h1>" in page
    assert "<dt>Role</dt><dd>referent kvality</dd>" in page
    assert "Vydat jednorázové heslo" in page and '<h2 id="history">Historie</h2>' in page
    assert '<label for="role-qa_officer">referent kvality</label>' in page
    listing = client.get("/admin/users").text
    assert "<h1>Účty</h1>" in listing and re.search(r"\d+ účt(y|ů)?</caption>", listing)
    assert "Přidat účet" in listing
    # an action and its message in the reader's language, its history with Czech dates
    csrf = csrf_of(page)
    r = client.post(
        "/admin/users/officer/disable", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert "Účet officer zablokován: jeho relace a tokeny API skončily." in r.text
    assert "zablokován" in r.text and CS_MOMENT.search(r.text)
    again = client.post("/admin/users/officer/disable", data={"csrf_token": csrf})
    assert again.status_code == 409 and "uživatel officer je již zablokován" in again.text

    set_language("admin", "de")
    page = client.get("/admin/users/officer").text
    assert "<h1>Konto officer</h1>" in page and "Konto aktivieren" in page
    assert "<dt>Rollen</dt><dd>Qualitätsbeauftragte/r</dd>" in page
    assert re.search(
        r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} UTC|\d{2}\.\d{2}\.\d{4} \d{2}:\d{2} UTC", page
    )


def test_a_spreadsheet_problem_in_polish_keeps_its_cell(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Credentials"
    ws.append([f.header for f in FIELDS])
    row = _fields(ects="dużo")
    ws.append([row.get(f.name, "") for f in FIELDS])
    path = tmp_path / "kursy.xlsx"
    wb.save(path)
    with pytest.raises(ImportInvalid) as caught:
        read_xlsx(path, max_bytes=10**7, max_unzipped_bytes=10**8)
    error = caught.value
    column = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[[f.name for f in FIELDS].index("ects")]
    (problem,) = error.problems
    assert problem.where == f"Credentials!{column}2"
    polish = tr.translations("pl")
    assert problem.in_language(polish.gettext, polish.ngettext) == "ECTS: 'dużo' nie jest liczbą"
    message, details = error.in_language(polish.gettext, polish.ngettext)
    assert message == "kursy.xlsx: 1 problem; nic nie zaimportowano"
    assert details == [f"Credentials!{column}2: ECTS: 'dużo' nie jest liczbą"]
    # English as it was
    assert str(problem) == f"Credentials!{column}2: ECTS: 'dużo' is not a number"
    assert error.message == "kursy.xlsx: 1 problem(s); nothing was imported"


def test_an_uploaded_spreadsheet_lists_its_problems_in_polish(client, p):
    csrf = signed_in(client, "prov.cuni")
    wb = Workbook()
    ws = wb.active
    ws.title = "Credentials"
    ws.append([f.header for f in FIELDS])
    ws.append([_fields(eqf_level="EQF 42").get(f.name, "") for f in FIELDS])
    data = io.BytesIO()
    wb.save(data)
    r = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf},
        files={"file": ("kursy.xlsx", data.getvalue(), XLSX)},
        headers={"Accept-Language": "pl"},
    )
    assert r.status_code == 422
    assert "kursy.xlsx: 1 problem; nic nie zaimportowano" in r.text
    assert "<code>Credentials!" in r.text
    assert "Poziom ERK: Poziom ERK musi wynosić od 1 do 8, a nie 42" in r.text
    api = client.post(
        "/api/v1/credentials/import",
        files={"file": ("kursy.xlsx", data.getvalue(), XLSX)},
        headers={"Accept-Language": "pl", **_bearer("prov.cuni")},
    )
    assert api.status_code == 422 and api.json()["error"] == "validation_failed"
    assert api.json()["details"][0].startswith("Credentials!")
    assert api.json()["details"][0].endswith("Poziom ERK musi wynosić od 1 do 8, a nie 42")


def _bearer(username: str) -> dict[str, str]:
    from tests.web.support import bearer, token_for

    return bearer(token_for(username))


def test_a_file_too_large_in_french_with_a_decimal_comma():
    error = too_large(int(30.2 * 1024 * 1024), 20 * 1024 * 1024)
    assert error.message == "This file is 30.2 MB; the limit is 20 MB."
    said = too_large_in_language(error, "fr")
    assert said == "Ce fichier fait 30,2 Mo ; la limite est de 20 Mo."
    named = too_large(5000, 2048, name="Cours.xlsx")
    assert too_large_in_language(named, "de") == (
        "Cours.xlsx: Die Datei ist 4,9 KB groß; die Grenze liegt bei 2 KB."
    )
    assert size_in_language(2049, "fr", exact=True) == "2\u202f049 octets"
    assert too_large_in_language(error, "en") == error.message


@pytest.fixture
def small_limit_client(web_env, p):
    from qa_engine.web.app import create_app

    settings = Settings(**{**get_settings().model_dump(), "max_upload_bytes": 2048})
    with TestClient(create_app(settings)) as client:
        yield client


def test_an_upload_over_the_limit_in_french(small_limit_client):
    client = small_limit_client
    csrf = signed_in(client, "prov.cuni")
    r = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf},
        files={"file": ("Cours.xlsx", b"x" * (3 * 1024 * 1024 + 300 * 1024), XLSX)},
        headers={"Accept-Language": "fr"},
    )
    assert r.status_code == 413
    assert "Ce fichier fait 3,3 Mo ; la limite est de 2 Ko." in r.text
    assert "<h1>Téléverser des microcertificats</h1>" in r.text
    r = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf},
        files={"file": ("Cours.xlsx", b"x" * 5000, XLSX)},
        headers={"Accept-Language": "fr"},
    )
    assert r.status_code == 413
    assert "Cours.xlsx : le fichier fait 4,9 Ko ; la limite est de 2 Ko." in r.text


def test_a_refused_sign_in_in_italian(client, p):
    page = client.get("/sign-in", headers={"Accept-Language": "it"})
    r = client.post(
        "/sign-in",
        data={
            "username": "officer",
            "password": "wrong password",
            "csrf_token": csrf_of(page.text),
        },
        headers={"Accept-Language": "it"},
    )
    assert r.status_code == 401
    assert "Nome utente o password non corretti." in r.text
    assert '<html lang="it">' in r.text and "The username or password" not in r.text


def test_english_stays_the_default(client, p):
    csrf = signed_in(client, "prov.cuni")
    where = _new_credential(client, csrf)
    page = client.get(where).text
    assert '<html lang="en">' in page
    assert "<h2>Elements</h2>" in page and "Learning outcomes" in page
    assert "EU-A1.6, mandatory standard element" in page
    assert "<td>2.5</td>" in page and "<td>Jun 30, 2026</td>" in page
    listing = client.get("/credentials").text
    assert "<h1>Credentials</h1>" in listing and "1 credential</caption>" in listing
    r = client.post("/credentials/new", data={**_fields(ects="lots"), "csrf_token": csrf})
    assert "1 field to correct" in r.text and "&#39;lots&#39; is not a number" in r.text
    signed_in(client, "admin")
    admin = client.get("/admin/users/officer").text
    assert "<h1>Account officer</h1>" in admin and "<dt>Roles</dt><dd>qa officer</dd>" in admin
