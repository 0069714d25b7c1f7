"""What the HTTP layer promises beyond each route's own work: `Cache-Control: no-store` on every
answer to a signed-in user (API JSON, errors and downloads alike; the public static files stay
cacheable), a 405 whose `Allow` header names every method of the path, and uploads that must be
files."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import data_folder
from tests.web.support import bearer, signed_in
from tests.web.world import World, build_world

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def world_app(tmp_path_factory, template_folder):
    path = tmp_path_factory.mktemp("contract") / "data"
    with pytest.MonkeyPatch.context() as mp, data_folder(path, mp, template=template_folder):
        world = build_world()
        from qa_engine.web.app import create_app

        yield world, create_app()


@pytest.fixture(scope="module")
def client(world_app):
    _, app = world_app
    with TestClient(app) as c:
        yield c


def _concrete(path: str, world: World) -> str:
    values = {
        "case_id": world.cases["A"],
        "credential_id": world.credentials["A"],
        "assignment_id": world.assignments["A"],
        "report_id": world.report_id,
        "kind": "ob3",
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


# Requests that would change the world are sent without a body: they are refused (422) before any
# service runs, and the refusal must be no-store as well. Remind takes no body, so it is probed
# on an assignment that cannot be reminded (already submitted: 409).
@pytest.mark.parametrize("user", ["officer", "prov.cuni", "rev.uw"])
def test_every_api_answer_to_a_signed_in_user_is_no_store(world_app, client, user):
    world, app = world_app
    schema = app.openapi()
    seen = []
    for path, item in schema["paths"].items():
        for method in item:
            url = _concrete(path, world)
            response = client.request(method.upper(), url, headers=bearer(world.tokens[user]))
            seen.append((method, path, response.status_code))
            assert response.headers.get("cache-control") == "no-store", (
                method,
                path,
                response.status_code,
                response.headers,
            )
    assert len(seen) >= 30
    assert any(code == 200 for _, _, code in seen)


def test_downloads_are_no_store(world_app, client):
    world, _ = world_app
    sheet = client.get(
        f"/api/v1/assignments/{world.assignments['A']}/review-sheet",
        headers=bearer(world.tokens["rev.uw"]),
    )
    assert sheet.status_code == 200 and sheet.headers["content-type"] == XLSX
    assert sheet.headers["cache-control"] == "no-store"

    report = client.get(
        f"/api/v1/reports/{world.report_id}/file", headers=bearer(world.tokens["officer"])
    )
    assert report.status_code == 200
    assert report.headers["cache-control"] == "no-store"

    with TestClient(client.app) as browser:
        signed_in(browser, "prov.cuni")
        template = browser.get("/credentials/template.xlsx")
        assert template.status_code == 200 and template.headers["content-type"] == XLSX
        assert template.headers["cache-control"] == "no-store"
        page = browser.get(f"/reports/{world.report_id}/download")
        assert page.status_code in (200, 404)
        assert page.headers["cache-control"] == "no-store"


def test_public_static_files_stay_cacheable(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/credentials", {"GET", "POST"}),
        ("DELETE", "/api/v1/credentials/{credential_id}", {"GET", "PUT"}),
        ("DELETE", "/api/v1/cases/{case_id}/self-assessment", {"GET", "PUT"}),
        ("PATCH", "/api/v1/assignments/{assignment_id}/review", {"GET", "PUT"}),
        ("PUT", "/api/v1/assignments/{assignment_id}/review-sheet", {"GET", "POST"}),
        ("PUT", "/api/v1/credentials/import", {"POST"}),
        ("GET", "/api/v1/reports/verify", {"POST"}),
    ],
)
def test_a_405_lists_every_method_of_the_path(world_app, client, method, path, allowed):
    world, app = world_app
    response = client.request(
        method, _concrete(path, world), headers=bearer(world.tokens["officer"])
    )
    assert response.status_code == 405, response.text
    assert response.json()["error"] == "method_not_allowed"
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    # the same methods as the OpenAPI schema documents for that path
    documented = {m.upper() for m in app.openapi()["paths"][path]}
    assert documented == allowed


def test_a_405_on_a_page_lists_every_method_of_the_page(client):
    response = client.put("/verify")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "POST"}


@pytest.mark.parametrize("url", ["/api/v1/reports/verify", "/verify"])
def test_verify_refuses_a_text_part_instead_of_a_file(client, url):
    # a multipart body whose part "file" is a text field (no filename), not an uploaded file
    response = client.post(url, files={"file": (None, b"%PDF-1.7 not a file")})
    assert response.request.headers["content-type"].startswith("multipart/form-data")
    assert response.status_code == 422
    if url.startswith("/api/"):
        body = response.json()
        assert body["error"] == "validation_failed"
        assert body["details"] == [
            "body.file: expected a file upload (a multipart part with a filename), not text"
        ]
    else:
        assert "Choose the PDF report" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/verify",
        "/api/v1/credentials/import",
        "/api/v1/assignments/{assignment_id}/review-sheet",
    ],
)
def test_uploads_are_documented_as_binary_files(world_app, path):
    _, app = world_app
    schema = app.openapi()
    body = schema["paths"][path]["post"]["requestBody"]
    ref = body["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    file_schema = schema["components"]["schemas"][ref]["properties"]["file"]
    assert file_schema["type"] == "string"
    assert file_schema["format"] == "binary"


def test_every_operation_documents_its_errors_with_the_error_body(world_app):
    _, app = world_app
    schema = app.openapi()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("400", "401", "403", "404", "409", "413", "422", "500", "503"):
                response = operation["responses"].get(status)
                assert response is not None, (method, path, status)
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (method, path, status)


def test_blank_and_nul_text_and_empty_lists_are_refused_as_the_schema_says(world_app, client):
    world, app = world_app
    schema = app.openapi()
    components = schema["components"]["schemas"]
    assert components["AssignIn"]["properties"]["reviewer_ids"]["minItems"] == 1
    assert components["WithdrawIn"]["properties"]["reason"]["minLength"] == 1
    state = next(
        p for p in schema["paths"]["/api/v1/cases"]["get"]["parameters"] if p["name"] == "state"
    )
    assert state["schema"]["anyOf"][0]["items"]["$ref"].endswith("/CaseState")
    assert "" not in components["CaseState"]["enum"]
    assert "peer_review" in components["CaseState"]["enum"]
    officer = bearer(world.tokens["officer"])
    case = world.cases["A"]
    for body in ({"reason": ""}, {"reason": "   "}, {"reason": "a\x00b"}):
        response = client.post(f"/api/v1/cases/{case}/withdraw", json=body, headers=officer)
        assert response.status_code == 422, (body, response.text)
        answer = response.json()
        assert "reason" in answer["message"] + " ".join(answer["details"])
    response = client.post(
        f"/api/v1/cases/{case}/assignments", json={"reviewer_ids": []}, headers=officer
    )
    assert response.status_code == 422
    assert client.get("/api/v1/cases?state=", headers=officer).status_code == 422


def test_integers_written_as_whole_floats_are_integers(world_app, client):
    """JSON Schema counts 3.0 as an integer: the server does too (true and "3" stay refused)."""
    world, _ = world_app
    officer = bearer(world.tokens["officer"])
    # a case that does not exist: the body is valid, and there is nothing to plan
    response = client.post(
        "/api/v1/assignments/auto", json={"case_ids": [999_999.0]}, headers=officer
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"plans": []}
    for bad in (True, "1", 1.5):
        response = client.post(
            "/api/v1/assignments/auto", json={"case_ids": [bad]}, headers=officer
        )
        assert response.status_code == 422, bad
