"""A Europass (ELM v3) file on the credentials upload page and the import API: its problems by
JSON path on the form, nothing stored; a complete one imported."""

from __future__ import annotations

import json

from sqlmodel import func, select

from qa_engine.store.db import session_scope
from qa_engine.store.models import Credential
from tests.adapters.test_elm_import import SUPPLIED, UNSIGNED, full_credential, qualification_of
from tests.web.support import bearer, signed_in, token_for

LD = "application/ld+json"


def _stored() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(Credential)).one()


def test_the_official_sample_on_the_upload_page_lists_what_it_lacks_by_path(client, p):
    csrf = signed_in(client, "prov.cuni")
    before = _stored()
    page = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf},
        files={"file": (UNSIGNED.name, UNSIGNED.read_bytes(), LD)},
    )
    assert page.status_code == 422
    errors = page.text.split('id="errors"', 1)[1].split("</div>", 1)[0]
    assert f"{UNSIGNED.name}: 6 problem(s); nothing was imported" in errors
    assert "<code>$.credentialSubject.hasClaim.specifiedBy.identifier</code>" in errors
    assert "Reference is missing" in errors
    assert _stored() == before


def test_a_complete_qualification_is_imported_through_the_api(client, p):
    cred = full_credential().model_copy(
        update={"provider": "CUNI", "awarding_body": "Univerzita Karlova", "country": "CZ"}
    )
    doc = qualification_of(cred)
    before = _stored()
    r = client.post(
        "/api/v1/credentials/import",
        files={"file": ("mc.json-ld", json.dumps(doc).encode(), LD)},
        headers=bearer(token_for("prov.cuni")),
    )
    assert r.status_code in (200, 201), r.text
    assert _stored() == before + 1


def test_the_values_a_europass_file_lacks_are_given_on_the_upload_page(client, p):
    csrf = signed_in(client, "prov.cuni")
    before = _stored()
    lacking = "\n".join(f"{field}={value}" for field, value in SUPPLIED.items())
    page = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf, "set": lacking + "\nbogus line"},
        files={"file": (UNSIGNED.name, UNSIGNED.read_bytes(), LD)},
    )
    assert page.status_code == 422
    assert "&#39;bogus line&#39;: write FIELD=VALUE" in page.text
    assert "contact_email=mc@cuni.cz" in page.text, "what was typed is shown again"
    assert _stored() == before
    done = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf, "set": lacking},
        files={"file": (UNSIGNED.name, UNSIGNED.read_bytes(), LD)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[-2000:]
    assert _stored() == before + 1
    spreadsheet = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf, "set": "reference=X"},
        files={"file": ("mine.json", b"[]", "application/json")},
    )
    assert "apply to Europass (ELM .jsonld) files only" in spreadsheet.text
