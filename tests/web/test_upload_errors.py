"""What an upload that cannot be used says: the user's own file name, never a server path or a
Python exception's class; a file over the limit comes back on the form it was sent from (413),
with both sizes in words."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from fastapi.testclient import TestClient

from qa_engine.adapters.credential_io import write_credentials_xlsx
from qa_engine.config import Settings, get_settings
from qa_engine.domain.credential import parse_credential
from tests.adapters.test_import_corpus import REFUSED
from tests.helpers import SAMPLES
from tests.web.support import bearer, signed_in, token_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NAME = "Kurzy jaro 2026.xlsx"
LEAKS = re.compile(
    r"qa-upload|/tmp|OSError|XMLSyntaxError|ParseError|BadZipFile|KeyError|ValueError|"
    r"TypeError|IndexError|Traceback|\w+Error:"
)


def _good_workbook(tmp_path) -> bytes:
    path = write_credentials_xlsx(tmp_path / "good.xlsx", [parse_credential(SAMPLES[0])])
    return path.read_bytes()


def _rezip(data: bytes, change) -> bytes:
    """The workbook `data` with its parts passed through `change(name, bytes) -> bytes | None`
    (None leaves the part out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            part = change(info.filename, src.read(info.filename))
            if part is not None:
                dst.writestr(info.filename, part)
    return out.getvalue()


def _broken_files(tmp_path) -> dict[str, bytes]:
    good = _good_workbook(tmp_path)
    stored = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(stored, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename), zipfile.ZIP_STORED)
    damaged = bytearray(stored.getvalue())
    at = damaged.find(b"<sheetData")  # inside the first worksheet's stored bytes: a bad CRC
    damaged[at + 1 : at + 4] = b"XYZ"
    return {
        # openpyxl: "File contains no valid workbook part" (an OSError)
        "no workbook part": _rezip(good, lambda n, b: b"" if n == "[Content_Types].xml" else b),
        "not a zip": b"Reference,Title\nX,Y\n",
        "XML syntax error in a sheet": _rezip(
            good,
            lambda n, b: b"<worksheet><sheetData><row>" if n.startswith("xl/worksheets/") else b,
        ),
        "XML syntax error in the workbook part": _rezip(
            good, lambda n, b: b"<workbook><sheets" if n == "xl/workbook.xml" else b
        ),
        "a sheet part missing": _rezip(
            good, lambda n, b: None if n.startswith("xl/worksheets/sheet") else b
        ),
        "bad CRC": bytes(damaged),
    }


def _assert_speaks_of_the_users_file(text: str) -> None:
    assert NAME in text or NAME.replace(" ", "&#32;") in text, text[-2000:]
    leak = LEAKS.search(text)
    assert leak is None, f"{leak.group(0)!r} in {text[-2000:]}"


def test_a_broken_workbook_is_named_as_the_user_named_it_on_the_page_and_the_api(
    client, p, tmp_path
):
    csrf = signed_in(client, "prov.cuni")
    headers = bearer(token_for("prov.cuni"))
    for what, data in _broken_files(tmp_path).items():
        page = client.post(
            "/credentials/upload",
            data={"csrf_token": csrf},
            files={"file": (NAME, data, XLSX)},
        )
        assert page.status_code == 422, (what, page.status_code)
        errors = page.text.split('id="errors"', 1)[1].split("</div>", 1)[0]
        _assert_speaks_of_the_users_file(errors)
        assert 'name="file"' in page.text, "the form is shown again"
        api = client.post(
            "/api/v1/credentials/import", files={"file": (NAME, data, XLSX)}, headers=headers
        )
        assert api.status_code == 422, (what, api.text)
        body = api.json()
        _assert_speaks_of_the_users_file(body["message"] + " ".join(body["details"]))


def test_a_broken_json_file_is_named_as_the_user_named_it(client, p):
    headers = bearer(token_for("prov.cuni"))
    r = client.post(
        "/api/v1/credentials/import",
        files={"file": ("Kurzy jaro 2026.json", b'[{"title": }', "application/json")},
        headers=headers,
    )
    assert r.status_code == 422
    text = r.json()["message"]
    assert text.startswith("Kurzy jaro 2026.json: ") and "qa-upload" not in text


@pytest.fixture
def small_limit_client(web_env, p):
    """The app with a 2 KB upload limit (the body limit allows 1 MB more for the form)."""
    from qa_engine.web.app import create_app

    settings = Settings(**{**get_settings().model_dump(), "max_upload_bytes": 2048})
    # as a browser set to English (tests/web/conftest.py's client)
    with TestClient(create_app(settings), headers={"Accept-Language": "en"}) as client:
        yield client


def _form_again(text: str, action: str = "") -> bool:
    return '<form method="post"' in text and 'name="file"' in text and action in text


@pytest.mark.parametrize(
    ("size", "said"),
    [
        (3 * 1024 * 1024 + 300 * 1024, "This file is 3.3 MB; the limit is 2 KB."),  # over the body
        (5000, "Kurzy jaro 2026.xlsx: the file is 4.9 KB; the limit is 2 KB."),  # over the file
    ],
)
def test_a_file_over_the_limit_comes_back_on_its_form(small_limit_client, size, said):
    client = small_limit_client
    csrf = signed_in(client, "prov.cuni")
    r = client.post(
        "/credentials/upload",
        data={"csrf_token": csrf},
        files={"file": (NAME, b"x" * size, XLSX)},
    )
    assert r.status_code == 413
    assert _form_again(r.text) and "Upload credentials" in r.text and csrf in r.text
    assert said in r.text, r.text[-3000:]
    r = client.post(
        "/api/v1/credentials/import",
        files={"file": (NAME, b"x" * size, XLSX)},
        headers=bearer(token_for("prov.cuni")),
    )
    assert r.status_code == 413
    assert r.json()["error"] == "too_large" and said in r.json()["message"]
    # an upload for a case's revision keeps its case
    r = client.post(
        "/credentials/upload?case=7",
        data={"csrf_token": csrf, "case": "7"},
        files={"file": (NAME, b"x" * size, XLSX)},
    )
    assert r.status_code == 413 and 'name="case" value="7"' in r.text and said in r.text


def test_a_report_over_the_limit_comes_back_on_the_public_verify_form(small_limit_client):
    client = small_limit_client
    for size, said in (
        (2 * 1024 * 1024, "This file is 2 MB; the limit is 2 KB."),
        (4096, "report.pdf: the file is 4 KB; the limit is 2 KB."),
    ):
        r = client.post("/verify", files={"file": ("report.pdf", b"%PDF" + b"x" * size)})
        assert r.status_code == 413, r.text[-500:]
        assert _form_again(r.text, 'action="/verify"') and "Verify a report" in r.text
        assert said in r.text, r.text[-2000:]


def test_a_review_sheet_over_the_limit_comes_back_on_the_review_page(small_limit_client, p):
    from qa_engine.store import case_repo
    from qa_engine.store import repositories as repo
    from qa_engine.store.db import session_scope
    from tests.helpers import to_state

    with session_scope() as s:
        case_id = to_state(s, p, "peer_review")
        asg = case_repo.assignments_of(s, case_id)[0]
        reviewer = repo.get_user(s, asg.reviewer_id).username
    client = small_limit_client
    csrf = signed_in(client, reviewer)
    for size, said in (
        (2 * 1024 * 1024, "This file is 2 MB; the limit is 2 KB."),
        (5000, "review sheet.xlsx: the file is 4.9 KB; the limit is 2 KB."),
    ):
        r = client.post(
            f"/assignments/{asg.id}/review-sheet",
            data={"csrf_token": csrf},
            files={"file": ("review sheet.xlsx", b"x" * size, XLSX)},
        )
        assert r.status_code == 413
        assert said in r.text, r.text[-2000:]
        assert f"Review of case {case_id}" in r.text and 'name="file"' in r.text
    # someone else's assignment: the plain page, nothing of the review shown
    signed_in(client, "prov.cuni")
    r = client.post(
        f"/assignments/{asg.id}/review-sheet",
        files={"file": ("review sheet.xlsx", b"x" * 2 * 1024 * 1024, XLSX)},
    )
    assert r.status_code == 413 and f"Review of case {case_id}" not in r.text


@pytest.mark.parametrize("build, expected", REFUSED, ids=[b.__name__ for b, _ in REFUSED])
def test_each_file_of_the_import_corpus_on_the_api(client, p, tmp_path, build, expected):
    """The awkward files of `tests/adapters/test_import_corpus.py`: the same located message."""
    path = build(tmp_path)
    kind = "application/json" if path.suffix == ".json" else XLSX
    r = client.post(
        "/api/v1/credentials/import",
        files={"file": (path.name, path.read_bytes(), kind)},
        headers=bearer(token_for("prov.cuni")),
    )
    assert r.status_code == 422, r.text
    body = r.json()
    text = "\n".join([body["message"], *body["details"]])
    assert text.startswith(f"{path.name}: ") and expected in text, text
    leak = LEAKS.search(text)
    assert leak is None, f"{leak.group(0)!r} in {text}"
