"""The access matrix: every route × every kind of person × own / other / missing case, with the
expected status in each cell. Each probe is harmless (it asks for something the state forbids, or
sends an empty form), so one world serves the whole table. On failure the whole matrix is printed.

Relations (columns): anon; pown / pother = a provider of the case's institution / of another one;
rown / rother = a reviewer assigned in the case's current round (for an assignment: its owner) / not
assigned; officer, approver, leader, admin.

A principal holding none of the roles that may ever call a route (`ROLES`) gets 403 in every cell
of that route, whatever its row says: the route's first check, before the target is looked up or
the request validated (`test_wrong_role_is_refused_before_*` sends them invalid requests). The
round-2 world (cases D and E of tests/web/world.py) has tests of its own at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa_engine.domain.roles import Role
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.web.conftest import data_folder
from tests.web.support import bearer, session_for
from tests.web.world import DRAFT_COMMENT, DRAFT_SUMMARY, PRINCIPALS, World, build_world

REL = ("anon", "pown", "pother", "rown", "rother", "officer", "approver", "leader", "admin")
MISSING_ID = 999_999
MISSING_REPORT = "QA-2000-999999-R1"
MISSING_USER = "no.such.person"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def row(*codes: int) -> dict[str, int]:
    assert len(codes) == len(REL)
    return dict(zip(REL, codes, strict=True))


def same(code: int, anon: int = 401) -> dict[str, int]:
    return row(anon, *([code] * (len(REL) - 1)))


READERS = row(401, 200, 404, 200, 404, 200, 200, 404, 200)
OWNER = row(401, 404, 404, 200, 404, 404, 404, 404, 404)
MISSING = same(404)
OFFICERS_ONLY = row(401, 403, 403, 403, 403, 200, 403, 403, 200)
OFFICERS_MISSING = row(401, 403, 403, 403, 403, 404, 403, 403, 404)
ADMIN_ONLY = row(401, 403, 403, 403, 403, 403, 403, 403, 200)
ADMIN_MISSING = row(401, 403, 403, 403, 403, 403, 403, 403, 404)


@dataclass
class Route:
    method: str
    path: str  # placeholders: {case} {cred} {asg} {report} {user} {rubric}
    target: str  # none, case, cred, asg, report
    expect: dict[str, int]
    missing: dict[str, int] | None = None
    json: Callable[[World, str], Any] | None = None
    files: dict | None = None
    form: dict | None = None
    targets: tuple[str, ...] = ()
    account: str = (
        "gone"  # the username in {user} (a disabled account unless the probe needs another)
    )

    def principals(self) -> tuple[str, ...]:
        # prov.uw and rev.cuni are the provider and a reviewer of case C; elsewhere they repeat
        # prov.upa and rev.idle
        if self.target == "report":
            return PRINCIPALS
        return tuple(x for x in PRINCIPALS if x not in ("prov.uw", "rev.cuni"))

    def keys(self) -> tuple[str, ...]:
        if self.targets:
            return self.targets
        return {"none": ("-",), "report": ("C", "missing")}.get(self.target, ("A", "B", "missing"))

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def api_credential(data: dict) -> dict:
    out = {k: v for k, v in data.items() if v is not None}
    out["ects"] = float(out["ects"])
    return out


BAD_JSON = {"file": ("bad.json", b"{", "application/json")}
NOT_XLSX = {"file": ("review.xlsx", b"not a workbook", XLSX)}
NOT_PDF = {"file": ("report.pdf", b"%PDF-1.4 not really", "application/pdf")}

API: list[Route] = [
    Route("GET", "/api/v1/me", "none", same(200)),
    Route("GET", "/api/v1/credentials", "none", row(401, 200, 200, 403, 403, 200, 200, 403, 200)),
    Route(
        "GET",
        "/api/v1/credentials/{cred}",
        "cred",
        row(401, 200, 404, 404, 404, 200, 200, 404, 200),
    ),
    Route(
        "POST",
        "/api/v1/credentials",
        "cred",
        row(401, 200, 403, 403, 403, 200, 403, 403, 200),
        json=lambda w, k: api_credential(w.credential_data[k]),
        targets=("A", "B"),
    ),
    Route(
        "PUT",
        "/api/v1/credentials/{cred}",
        "cred",
        row(401, 200, 404, 404, 404, 200, 403, 404, 200),
        json=lambda w, k: {
            **api_credential(w.credential_data[k if k != "missing" else "A"]),
            "expected_version": 1,
        },
    ),
    Route(
        "POST",
        "/api/v1/credentials/import",
        "none",
        row(401, 422, 422, 403, 403, 422, 403, 403, 422),
        files=BAD_JSON,
    ),
    Route("GET", "/api/v1/cases", "none", row(401, 200, 200, 200, 200, 200, 200, 403, 200)),
    Route("GET", "/api/v1/cases/{case}", "case", READERS),
    Route(
        "POST",
        "/api/v1/cases",
        "cred",
        row(401, 409, 404, 404, 404, 409, 403, 404, 409),
        json=lambda w, k: {"credential_id": w.credentials.get(k, MISSING_ID)},
    ),
    Route(
        "POST",
        "/api/v1/cases/{case}/withdraw",
        "case",
        row(401, 422, 404, 403, 404, 422, 403, 404, 422),
        json=lambda w, k: {"reason": ""},
    ),
    Route(
        "POST",
        "/api/v1/cases/{case}/resubmit",
        "case",
        row(401, 409, 404, 403, 404, 409, 403, 404, 409),
        json=lambda w, k: {},
    ),
    Route(
        "POST",
        "/api/v1/cases/{case}/revision",
        "case",
        row(401, 409, 404, 403, 404, 409, 403, 404, 409),
        json=lambda w, k: {},
    ),
    Route("GET", "/api/v1/cases/{case}/history", "case", READERS),
    Route("GET", "/api/v1/cases/{case}/self-assessment", "case", READERS),
    Route(
        "PUT",
        "/api/v1/cases/{case}/self-assessment",
        "case",
        row(401, 409, 404, 403, 404, 403, 403, 404, 403),
        json=lambda w, k: {"entries": {}, "version": 0},
    ),
    Route(
        "POST",
        "/api/v1/cases/{case}/self-assessment/submit",
        "case",
        row(401, 409, 404, 403, 404, 403, 403, 404, 403),
        json=lambda w, k: {"entries": {}, "version": 0},
    ),
    Route(
        "GET",
        "/api/v1/cases/{case}/consolidation",
        "case",
        row(401, 403, 404, 403, 404, 200, 200, 404, 200),
    ),
    Route(
        "POST",
        "/api/v1/cases/{case}/decision",
        "case",
        row(401, 403, 403, 403, 403, 403, 409, 403, 403),
        missing=row(401, 403, 403, 403, 403, 403, 404, 403, 403),
        json=lambda w, k: {"outcome": "approved", "rationale": "", "version": 1},
    ),
    Route("GET", "/api/v1/cases/{case}/reports", "case", READERS),
    Route("GET", "/api/v1/cases/{case}/proposals", "case", OFFICERS_ONLY, missing=OFFICERS_MISSING),
    Route(
        "POST",
        "/api/v1/cases/{case}/assignments",
        "case",
        row(401, 403, 403, 403, 403, 422, 403, 403, 422),
        missing=OFFICERS_MISSING,
        json=lambda w, k: {"reviewer_ids": []},
    ),
    Route(
        "POST",
        "/api/v1/assignments/auto",
        "case",
        OFFICERS_ONLY,
        missing=OFFICERS_ONLY,
        json=lambda w, k: {"case_ids": [w.cases.get(k, MISSING_ID)]},
    ),
    Route("GET", "/api/v1/assignments", "none", row(401, 403, 403, 200, 200, 403, 403, 403, 403)),
    Route(
        "POST",
        "/api/v1/assignments/{asg}/respond",
        "asg",
        row(401, 404, 404, 409, 404, 404, 404, 404, 404),
        json=lambda w, k: {"accept": True},
    ),
    Route(
        "POST",
        "/api/v1/assignments/{asg}/reassign",
        "asg",
        row(401, 403, 403, 403, 403, 409, 403, 403, 409),
        missing=OFFICERS_MISSING,
        json=lambda w, k: {"reviewer_id": w.p["rev.idle"].user_id},
    ),
    Route(
        "POST",
        "/api/v1/assignments/{asg}/remind",
        "asg",
        row(401, 403, 403, 403, 403, 409, 403, 403, 409),
        missing=OFFICERS_MISSING,
    ),
    Route("GET", "/api/v1/cases/{case}/reviews", "case", READERS),
    Route("GET", "/api/v1/assignments/{asg}/review", "asg", OWNER),
    Route(
        "PUT",
        "/api/v1/assignments/{asg}/review",
        "asg",
        row(401, 404, 404, 409, 404, 404, 404, 404, 404),
        json=lambda w, k: {"entries": {}, "version": 0},
    ),
    Route(
        "POST",
        "/api/v1/assignments/{asg}/review/submit",
        "asg",
        row(401, 404, 404, 409, 404, 404, 404, 404, 404),
        json=lambda w, k: {"entries": {}, "version": 0},
    ),
    Route("GET", "/api/v1/assignments/{asg}/review-sheet", "asg", OWNER),
    Route(
        "POST",
        "/api/v1/assignments/{asg}/review-sheet",
        "asg",
        row(401, 404, 404, 409, 404, 404, 404, 404, 404),
        files=NOT_XLSX,
    ),
    Route("GET", "/api/v1/reports/{report}/file", "report", READERS),
    # the exports of case C (approved): the QA office's officers, the approvers and the providers
    # of the case's institution; {kind} is ob3
    Route(
        "GET",
        "/api/v1/cases/{case}/exports/{kind}",
        "report",
        row(401, 200, 404, 403, 403, 200, 200, 403, 403),
        missing=row(401, 404, 404, 403, 403, 404, 404, 403, 403),
    ),
    Route("POST", "/api/v1/reports/verify", "none", same(200, anon=200), files=NOT_PDF),
    Route("GET", "/api/v1/dashboard", "none", row(401, 403, 403, 403, 403, 200, 200, 200, 200)),
]

PAGE_READERS = {**READERS, "anon": 303}
ACCOUNT_KEYS = ("-", "missing")
RUBRIC_KEYS = ("-", "missing")
RUBRIC = "4eu-mici"
MISSING_RUBRIC = "no-such-rubric"
PAGE_MISSING = same(404, anon=303)


def page(expect: dict[str, int]) -> dict[str, int]:
    return {**expect, "anon": 303}


PAGES: list[Route] = [
    Route("GET", "/", "none", same(200, anon=303)),
    Route("GET", "/sign-in", "none", same(303, anon=200)),
    Route("GET", "/verify", "none", same(200, anon=200)),
    Route("GET", "/dashboard", "none", page(row(0, 403, 403, 403, 403, 200, 200, 200, 200))),
    Route(
        "GET",
        "/dashboard/report.xlsx",
        "none",
        page(row(0, 403, 403, 403, 403, 200, 200, 200, 200)),
    ),
    Route("GET", "/cases", "none", page(row(0, 200, 200, 200, 200, 200, 200, 403, 200))),
    Route("GET", "/cases/{case}", "case", PAGE_READERS, missing=PAGE_MISSING),
    Route("GET", "/cases/{case}/self-assessment", "case", PAGE_READERS, missing=PAGE_MISSING),
    Route("GET", "/cases/{case}/reviews", "case", PAGE_READERS, missing=PAGE_MISSING),
    Route(
        "GET",
        "/cases/{case}/assignment",
        "case",
        page(OFFICERS_ONLY),
        missing=page(OFFICERS_MISSING),
    ),
    Route(
        "GET",
        "/cases/{case}/decision",
        "case",
        page(row(0, 403, 404, 403, 404, 200, 200, 404, 200)),
        missing=PAGE_MISSING,
    ),
    Route("GET", "/credentials", "none", page(row(0, 200, 200, 403, 403, 200, 200, 403, 200))),
    Route("GET", "/credentials/new", "none", page(row(0, 200, 200, 403, 403, 200, 403, 403, 200))),
    Route(
        "GET", "/credentials/upload", "none", page(row(0, 200, 200, 403, 403, 200, 403, 403, 200))
    ),
    Route(
        "GET",
        "/credentials/template.xlsx",
        "none",
        page(row(0, 200, 200, 403, 403, 200, 403, 403, 200)),
    ),
    Route(
        "GET",
        "/credentials/{cred}",
        "cred",
        page(row(0, 200, 404, 404, 404, 200, 200, 404, 200)),
        missing=PAGE_MISSING,
    ),
    Route(
        "GET",
        "/credentials/{cred}/edit",
        "cred",
        page(row(0, 200, 404, 404, 404, 200, 200, 404, 200)),
        missing=PAGE_MISSING,
    ),
    Route("GET", "/invitations", "none", page(row(0, 403, 403, 200, 200, 403, 403, 403, 403))),
    Route("GET", "/assign", "none", page(OFFICERS_ONLY)),
    Route("GET", "/assignments/{asg}/review", "asg", page(OWNER), missing=PAGE_MISSING),
    Route("GET", "/assignments/{asg}/review-sheet", "asg", page(OWNER), missing=PAGE_MISSING),
    Route("GET", "/reports/{report}/download", "report", PAGE_READERS, missing=PAGE_MISSING),
    # the public, sealed decision record and its files: anyone, signed in or not
    Route("GET", "/decisions/{report}", "report", same(200, anon=200), missing=same(404, 404)),
    Route(
        "GET",
        "/decisions/{report}/report.pdf",
        "report",
        same(200, anon=200),
        missing=same(404, 404),
    ),
    Route(
        "GET", "/decisions/{report}/{kind}", "report", same(200, anon=200), missing=same(404, 404)
    ),
    # state-changing forms, each sent with the session's CSRF token and harmless content
    Route(
        "POST",
        "/credentials/new",
        "none",
        page(row(0, 422, 422, 403, 403, 422, 403, 403, 422)),
        form={},
    ),
    Route(
        "POST",
        "/credentials/{cred}/edit",
        "cred",
        page(row(0, 422, 404, 404, 404, 422, 403, 404, 422)),
        missing=PAGE_MISSING,
        form={},
    ),
    Route(
        "POST",
        "/credentials/upload",
        "none",
        page(row(0, 422, 422, 403, 403, 422, 403, 403, 422)),
        form={},
    ),
    Route(
        "POST",
        "/credentials/{cred}/open-case",
        "cred",
        page(row(0, 409, 404, 404, 404, 409, 403, 404, 409)),
        missing=PAGE_MISSING,
        form={},
    ),
    Route(
        "POST",
        "/cases/{case}/withdraw",
        "case",
        page(row(0, 422, 404, 403, 404, 422, 403, 404, 422)),
        missing=PAGE_MISSING,
        form={"reason": ""},
    ),
    Route(
        "POST",
        "/cases/{case}/resubmit",
        "case",
        page(row(0, 409, 404, 403, 404, 409, 403, 404, 409)),
        missing=PAGE_MISSING,
        form={},
    ),
    Route(
        "POST",
        "/cases/{case}/revision",
        "case",
        page(row(0, 409, 404, 403, 404, 409, 403, 404, 409)),
        missing=PAGE_MISSING,
        form={},
    ),
    Route(
        "POST",
        "/cases/{case}/self-assessment",
        "case",
        page(row(0, 409, 404, 403, 404, 403, 403, 404, 403)),
        missing=PAGE_MISSING,
        form={"action": "save"},
    ),
    Route(
        "POST",
        "/cases/{case}/assignment",
        "case",
        page(row(0, 403, 403, 403, 403, 422, 403, 403, 422)),
        missing=page(OFFICERS_MISSING),
        form={},
    ),
    Route(
        "POST",
        "/cases/{case}/decision",
        "case",
        page(row(0, 403, 403, 403, 403, 403, 409, 403, 403)),
        missing=page(row(0, 403, 403, 403, 403, 403, 404, 403, 403)),
        form={"outcome": "approved", "rationale": ""},
    ),
    Route(
        "POST",
        "/assignments/{asg}/respond",
        "asg",
        page(row(0, 404, 404, 409, 404, 404, 404, 404, 404)),
        missing=PAGE_MISSING,
        form={"answer": "accept"},
    ),
    Route(
        "POST",
        "/assignments/{asg}/remind",
        "asg",
        page(row(0, 403, 403, 403, 403, 409, 403, 403, 409)),
        missing=page(OFFICERS_MISSING),
        form={},
    ),
    Route(
        "POST",
        "/assignments/{asg}/reassign",
        "asg",
        page(row(0, 403, 403, 403, 403, 422, 403, 403, 422)),
        missing=page(OFFICERS_MISSING),
        form={"reviewer_id": ""},
    ),
    Route(
        "POST",
        "/assignments/{asg}/review",
        "asg",
        page(row(0, 404, 404, 409, 404, 404, 404, 404, 404)),
        missing=PAGE_MISSING,
        form={"action": "save"},
    ),
    Route(
        "POST",
        "/assignments/{asg}/review-sheet",
        "asg",
        page(row(0, 404, 404, 422, 404, 404, 404, 404, 404)),
        missing=PAGE_MISSING,
        form={},
    ),
    Route("POST", "/assign", "none", page(OFFICERS_ONLY | {"officer": 422, "admin": 422}), form={}),
    # the rubric pages: {rubric} is a shipped rubric (or one that does not exist); the read-only
    # view of the version in use is for everyone who reads cases, the rest for the QA office
    Route("GET", "/rubrics", "none", page(OFFICERS_ONLY)),
    Route(
        "GET",
        "/rubrics/{rubric}",
        "none",
        page(row(0, 200, 200, 200, 200, 200, 200, 403, 200)),
        missing=page(row(0, 404, 404, 404, 404, 404, 404, 403, 404)),
        targets=RUBRIC_KEYS,
    ),
    Route(
        "GET",
        "/rubrics/{rubric}/coverage",
        "none",
        page(OFFICERS_ONLY),
        missing=page(OFFICERS_MISSING),
        targets=RUBRIC_KEYS,
    ),
    Route(
        "GET",
        "/rubrics/{rubric}/diff",
        "none",
        page(OFFICERS_ONLY),
        missing=page(OFFICERS_MISSING),
        targets=RUBRIC_KEYS,
    ),
    Route("GET", "/rubric-publish", "none", page(OFFICERS_ONLY)),
    Route(
        "POST",
        "/rubric-publish/preview",
        "none",
        page(OFFICERS_ONLY | {"officer": 422, "admin": 422}),
        form={},
    ),
    Route(
        "POST",
        "/rubric-publish",
        "none",
        page(OFFICERS_ONLY | {"officer": 422, "admin": 422}),
        form={},
    ),
    Route("POST", "/verify", "none", same(422, anon=422), form={}),
    # one's own password: the empty form's current password is not right
    Route("GET", "/account/password", "none", same(200, anon=303)),
    Route("POST", "/account/password", "none", same(422, anon=303), form={}),
    # one's own language: the empty form chooses "automatic" (the browser's language)
    Route("POST", "/account/language", "none", same(303, anon=303), form={}),
    # the admin's accounts pages; {user} is the disabled account `gone` (or one that does not
    # exist), and each admin probe is refused by the state or the form, except a one-time password
    # for `gone`
    Route("GET", "/admin/users", "none", page(ADMIN_ONLY)),
    Route("POST", "/admin/users", "none", page(ADMIN_ONLY | {"admin": 422}), form={}),
    Route(
        "GET",
        "/admin/users/{user}",
        "none",
        page(ADMIN_ONLY),
        missing=page(ADMIN_MISSING),
        targets=ACCOUNT_KEYS,
    ),
    Route(
        "POST",
        "/admin/users/{user}/roles",
        "none",
        page(ADMIN_ONLY | {"admin": 422}),
        missing=page(ADMIN_MISSING),
        form={},
        targets=ACCOUNT_KEYS,
    ),
    Route(
        "POST",
        "/admin/users/{user}/disable",
        "none",
        page(ADMIN_ONLY | {"admin": 409}),
        missing=page(ADMIN_MISSING),
        form={},
        targets=ACCOUNT_KEYS,
    ),
    Route(
        "POST",
        "/admin/users/{user}/enable",
        "none",
        page(ADMIN_ONLY | {"admin": 409}),
        missing=page(ADMIN_MISSING),
        form={},
        targets=ACCOUNT_KEYS,
        account="leader",
    ),
    Route(
        "POST",
        "/admin/users/{user}/one-time-password",
        "none",
        page(ADMIN_ONLY),
        missing=page(ADMIN_MISSING),
        form={},
        targets=ACCOUNT_KEYS,
    ),
    # the evidence behind a rubric change (issue 18): QA officers only
    Route("GET", "/rubric-replay", "none", page(OFFICERS_ONLY)),
    Route(
        "POST",
        "/rubric-replay",
        "none",
        page(row(0, 403, 403, 403, 403, 422, 403, 403, 422)),
        form={},
    ),
    Route("GET", "/rubric-calibration", "none", page(OFFICERS_ONLY)),
    Route(
        "GET",
        "/rubric-calibration.xlsx",
        "none",
        page(row(0, 403, 403, 403, 403, 422, 403, 403, 422)),
    ),
]


# Who may ever call each route, as the routes' first check (`web.auth.requires`) has it: anyone
# else is refused with 403 whatever the target, before the body or the parameters are read. Stated
# here on their own (not read from the services) so that the matrix checks the rule, not itself.
P, Q, R, A, L, D = (
    Role.PROVIDER,
    Role.QA_OFFICER,
    Role.REVIEWER,
    Role.APPROVER,
    Role.LEADERSHIP,
    Role.ADMIN,
)
CASE_READER = (P, R, Q, A, D)
CREDENTIAL_READER = (P, Q, A, D)
CREDENTIAL_WRITER = (P, Q, D)
CASE_MANAGER = (P, Q, D)
OFFICE = (Q, D)
ROLES: dict[str, tuple[Role, ...]] = {
    "GET /api/v1/credentials": CREDENTIAL_READER,
    "GET /api/v1/credentials/{cred}": CREDENTIAL_READER,
    "POST /api/v1/credentials": CREDENTIAL_WRITER,
    "PUT /api/v1/credentials/{cred}": CREDENTIAL_WRITER,
    "POST /api/v1/credentials/import": CREDENTIAL_WRITER,
    "GET /api/v1/cases": CASE_READER,
    "GET /api/v1/cases/{case}": CASE_READER,
    "POST /api/v1/cases": CASE_MANAGER,
    "POST /api/v1/cases/{case}/withdraw": CASE_MANAGER,
    "POST /api/v1/cases/{case}/resubmit": CASE_MANAGER,
    "POST /api/v1/cases/{case}/revision": CASE_MANAGER,
    "GET /api/v1/cases/{case}/history": CASE_READER,
    "GET /api/v1/cases/{case}/self-assessment": CASE_READER,
    "PUT /api/v1/cases/{case}/self-assessment": (P,),
    "POST /api/v1/cases/{case}/self-assessment/submit": (P,),
    "GET /api/v1/cases/{case}/consolidation": (Q, A, D),
    "POST /api/v1/cases/{case}/decision": (A,),
    "GET /api/v1/cases/{case}/reports": CASE_READER,
    "GET /api/v1/cases/{case}/proposals": OFFICE,
    "POST /api/v1/cases/{case}/assignments": OFFICE,
    "POST /api/v1/assignments/auto": OFFICE,
    "GET /api/v1/assignments": (R,),
    "POST /api/v1/assignments/{asg}/respond": (R,),
    "POST /api/v1/assignments/{asg}/reassign": OFFICE,
    "POST /api/v1/assignments/{asg}/remind": OFFICE,
    "GET /api/v1/cases/{case}/reviews": CASE_READER,
    "GET /api/v1/assignments/{asg}/review": (R,),
    "PUT /api/v1/assignments/{asg}/review": (R,),
    "POST /api/v1/assignments/{asg}/review/submit": (R,),
    "GET /api/v1/assignments/{asg}/review-sheet": (R,),
    "POST /api/v1/assignments/{asg}/review-sheet": (R,),
    "GET /api/v1/reports/{report}/file": CASE_READER,
    "GET /api/v1/cases/{case}/exports/{kind}": (P, Q, A),
    "GET /api/v1/dashboard": (L, Q, A, D),
    "POST /credentials/new": CREDENTIAL_WRITER,
    "POST /credentials/{cred}/edit": CREDENTIAL_WRITER,
    "POST /credentials/upload": CREDENTIAL_WRITER,
    "POST /credentials/{cred}/open-case": CASE_MANAGER,
    "POST /cases/{case}/withdraw": CASE_MANAGER,
    "POST /cases/{case}/resubmit": CASE_MANAGER,
    "POST /cases/{case}/revision": CASE_MANAGER,
    "POST /cases/{case}/self-assessment": (P,),
    "POST /cases/{case}/assignment": OFFICE,
    "POST /cases/{case}/decision": (A,),
    "POST /assignments/{asg}/respond": (R,),
    "POST /assignments/{asg}/remind": OFFICE,
    "POST /assignments/{asg}/reassign": OFFICE,
    "POST /assignments/{asg}/review": (R,),
    "POST /assignments/{asg}/review-sheet": (R,),
    "POST /assign": OFFICE,
    "GET /rubrics": OFFICE,
    "GET /rubrics/{rubric}": CASE_READER,
    "GET /rubrics/{rubric}/coverage": OFFICE,
    "GET /rubrics/{rubric}/diff": OFFICE,
    "GET /rubric-publish": OFFICE,
    "POST /rubric-publish/preview": OFFICE,
    "POST /rubric-publish": OFFICE,
    "POST /admin/users": (D,),
    "POST /admin/users/{user}/roles": (D,),
    "POST /admin/users/{user}/disable": (D,),
    "POST /admin/users/{user}/enable": (D,),
    "POST /admin/users/{user}/one-time-password": (D,),
    "GET /rubric-replay": OFFICE,
    "POST /rubric-replay": OFFICE,
    "GET /rubric-calibration": OFFICE,
    "GET /rubric-calibration.xlsx": OFFICE,
}
# the routes open to anyone signed in (or to everyone)
OPEN = {
    "GET /api/v1/me",
    "POST /api/v1/reports/verify",
    "POST /verify",
    "POST /account/password",
    "POST /account/language",
}


def role_refused(w: World, route: Route, principal: str) -> bool:
    """Whether this principal holds none of the roles that may ever call the route."""
    allowed = ROLES.get(route.name)
    return (
        allowed is not None
        and principal != "anonymous"
        and not (w.p[principal].roles & set(allowed))
    )


# ------------------------------------------------------------------------- the world and the probes


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_folder):
    path = tmp_path_factory.mktemp("world") / "data"
    with pytest.MonkeyPatch.context() as mp, data_folder(path, mp, template=template_folder):
        w = build_world()
        from qa_engine.web.app import create_app

        yield w, create_app()


def relation(w: World, principal: str, route: Route, key: str) -> str:
    if principal == "anonymous":
        return "anon"
    actor = w.p[principal]
    for role, rel in (
        (Role.QA_OFFICER, "officer"),
        (Role.APPROVER, "approver"),
        (Role.LEADERSHIP, "leader"),
        (Role.ADMIN, "admin"),
    ):
        if role in actor.roles:
            return rel
    if key in ("-", "missing"):
        return "pown" if Role.PROVIDER in actor.roles else "rown"
    case_key = "C" if route.target == "report" else key
    with session_scope() as s:
        case = case_repo.get_case(s, w.cases[case_key])
        if Role.PROVIDER in actor.roles:
            return "pown" if actor.institution_id == case.institution_id else "pother"
        if route.target == "asg":
            asg = case_repo.get_assignment(s, w.assignments[key])
            return "rown" if asg.reviewer_id == actor.user_id else "rother"
        live = case_repo.live_assignment_for(s, case.id, actor.user_id, case.round)
        return "rown" if live is not None else "rother"


def expected(w: World, route: Route, principal: str, rel: str, key: str) -> int:
    if role_refused(w, route, principal):
        return 403  # the route's first check: the same for every target, even a missing one
    if key == "missing":
        default = MISSING if route.path.startswith("/api/") else PAGE_MISSING
        return (route.missing or default)[rel]
    return route.expect[rel]


def url(w: World, route: Route, key: str) -> str:
    missing = key == "missing"
    return (
        route.path.replace("{case}", str(MISSING_ID if missing else w.cases.get(key, MISSING_ID)))
        .replace("{cred}", str(MISSING_ID if missing else w.credentials.get(key, MISSING_ID)))
        .replace("{asg}", str(MISSING_ID if missing else w.assignments.get(key, MISSING_ID)))
        .replace("{report}", MISSING_REPORT if missing else w.report_id)
        .replace("{user}", MISSING_USER if missing else route.account)
        .replace("{rubric}", MISSING_RUBRIC if missing else RUBRIC)
        .replace("{kind}", "ob3")
    )


@dataclass
class Cell:
    route: str
    principal: str
    key: str
    rel: str
    want: int
    got: int
    body: str = field(repr=False, default="")


def run(
    client: TestClient, w: World, routes: list[Route], auth: Callable[[str], dict], *, pages: bool
) -> list[Cell]:
    cells = []
    relations: dict[tuple[str, str, str], str] = {}
    for route in routes:
        for principal in route.principals():
            headers, form = auth(principal)
            for key in route.keys():
                if (principal, route.target, key) not in relations:
                    relations[(principal, route.target, key)] = relation(w, principal, route, key)
                rel = relations[(principal, route.target, key)]
                kwargs: dict[str, Any] = {"headers": headers}
                if route.json is not None:
                    kwargs["json"] = route.json(w, key)
                if route.files is not None:
                    kwargs["files"] = route.files
                if route.form is not None:
                    kwargs["data"] = {**route.form, **form}
                response = client.request(
                    route.method, url(w, route, key), follow_redirects=False, **kwargs
                )
                assert response.status_code < 500, (
                    f"{route.name} as {principal}: {response.status_code} {response.text[:300]}"
                )
                cells.append(
                    Cell(
                        route.name,
                        principal,
                        key,
                        rel,
                        expected(w, route, principal, rel, key),
                        response.status_code,
                        response.text,
                    )
                )
    return cells


def render_matrix(cells: list[Cell]) -> str:
    cols = list(PRINCIPALS)
    lines = ["route / target".ljust(58) + " ".join(c[:9].rjust(9) for c in cols)]
    by_row: dict[tuple[str, str], dict[str, Cell]] = {}
    for c in cells:
        by_row.setdefault((c.route, c.key), {})[c.principal] = c
    for (route, key), row_cells in by_row.items():
        marks = []
        for col in cols:
            c = row_cells.get(col)
            marks.append(
                (
                    "" if c is None else (str(c.got) if c.got == c.want else f"{c.got}≠{c.want}")
                ).rjust(9)
            )
        lines.append(f"{route} [{key}]"[:58].ljust(58) + " ".join(marks))
    return "\n".join(lines)


def check(cells: list[Cell]) -> None:
    wrong = [c for c in cells if c.got != c.want]
    if wrong:
        print(render_matrix(cells))
        detail = "\n".join(
            f"  {c.route} [{c.key}] as {c.principal} ({c.rel}): got {c.got}, expected {c.want}: "
            f"{c.body[:160]!r}"
            for c in wrong[:25]
        )
        pytest.fail(
            f"{len(wrong)} of {len(cells)} cells differ from the expected access matrix:\n{detail}"
        )


def _main(html: str) -> str:
    m = re.search(r"<main[^>]*>(.*?)</main>", html, re.S)
    return m.group(1) if m else html


def check_404_bodies(w: World, cells: list[Cell]) -> None:
    """A case (credential, assignment, report) you may not see answers exactly like one that does
    not exist."""
    index = {(c.route, c.principal, c.key): c for c in cells}
    compared = 0
    for c in cells:
        if c.key in ("missing", "-") or c.got != 404:
            continue
        twin = index.get((c.route, c.principal, "missing"))
        if twin is None or twin.got != 404:
            continue
        ids = {
            str(w.cases.get(c.key, "")),
            str(w.credentials.get(c.key, "")),
            str(w.assignments.get(c.key, "")),
            w.report_id if c.key == "C" else "",
        } - {""}
        mine, theirs = c.body, twin.body
        if " /api/" not in c.route:
            mine, theirs = _main(mine), _main(theirs)
        for value in sorted(ids, key=len, reverse=True):
            mine = re.sub(rf"\b{re.escape(value)}\b", "<ID>", mine)
        for value in (MISSING_REPORT, str(MISSING_ID)):
            theirs = theirs.replace(value, "<ID>")
        assert mine == theirs, (
            f"{c.route} as {c.principal}: the 404 for {c.key} differs from a missing one:\n"
            f"{mine}\n{theirs}"
        )
        compared += 1
    assert compared > 20


def test_api_access_matrix(world):
    w, app = world
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        cells = run(
            client,
            w,
            API,
            lambda who: (bearer(w.tokens[who]) if who != "anonymous" else {}, {}),
            pages=False,
        )
    check(cells)
    check_404_bodies(w, cells)
    assert len(cells) > 600


def test_page_access_matrix(world):
    w, app = world
    sessions = {who: session_for(who) for who in PRINCIPALS if who != "anonymous"}

    def auth(who: str) -> tuple[dict, dict]:
        if who == "anonymous":
            return {}, {}
        sid, csrf = sessions[who]
        return {"Cookie": f"qa_session={sid}"}, {"csrf_token": csrf}

    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        cells = run(client, w, PAGES, auth, pages=True)
    check(cells)
    check_404_bodies(w, cells)


def test_every_api_route_is_in_the_matrix(world):
    _, app = world
    schema = app.openapi()
    documented = {f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops}
    covered = {re.sub(r"\{(case|cred|asg|report|kind)\}", "{}", r.name) for r in API}
    normalised = {re.sub(r"\{[a-z_]+\}", "{}", d) for d in documented}
    assert normalised == covered, (
        f"not in the matrix: {normalised - covered}; unknown: {covered - normalised}"
    )


def test_every_page_route_is_in_the_matrix():
    from qa_engine.web.pages import MODULES

    pages = set()
    for module in MODULES:
        for r in module.router.routes:
            for m in r.methods:
                if (m, r.path) in (("POST", "/sign-in"), ("POST", "/sign-out")):
                    continue  # signing in and out: test_security.py
                pages.add(f"{m} {re.sub(r'{[a-z_]+}', '{}', r.path)}")
    covered = {re.sub(r"\{(case|cred|asg|report|user|rubric|kind)\}", "{}", r.name) for r in PAGES}
    covered = {
        "GET /dashboard/report.{}" if c == "GET /dashboard/report.xlsx" else c for c in covered
    }
    assert pages == covered, f"not in the matrix: {pages - covered}; unknown: {covered - pages}"


# ------------------------------------------------------------- authorisation before validation

PLURAL = {
    Role.PROVIDER: "providers",
    Role.QA_OFFICER: "QA officers",
    Role.REVIEWER: "reviewers",
    Role.APPROVER: "approvers",
    Role.LEADERSHIP: "members of the leadership",
    Role.ADMIN: "admins",
}


def invalid_request(route: Route, pages: bool) -> tuple[str, dict[str, Any]]:
    """The route's address and content made invalid wherever they can be: ids out of range, a JSON
    body that is not an object, a missing file, form fields far too long, bad paging."""
    path = (
        route.path.replace("{case}", "0")
        .replace("{cred}", "0")
        .replace("{asg}", "0")
        .replace("{report}", "not~an~id")
        .replace("{kind}", "nope")
        .replace("{user}", "u" * 300)
        .replace("{rubric}", "Not a Rubric!")
    )
    kwargs: dict[str, Any] = {}
    if route.method == "GET":
        path += "?offset=-1&limit=0"
    elif pages:
        kwargs["data"] = {k: "x" * 30_000 for k in route.form or {}}
    elif route.files is not None:
        kwargs["data"] = {"open_cases": "perhaps", "submit": "perhaps"}  # and no file
    else:
        kwargs["json"] = ["not", "an", "object"]
    return path, kwargs


def invalid_path_or_body(route: Route) -> bool:
    return "{" in route.path or (route.method != "GET" and route.path.startswith("/api/"))


def refused_before_validation(w: World, app, routes: list[Route], *, pages: bool) -> int:
    sessions = {who: session_for(who) for who in PRINCIPALS if who != "anonymous"}
    checked = 0
    # refusals in English (a reviewer of UW reads Polish pages otherwise, their institution's)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        for route in routes:
            allowed = ROLES.get(route.name)
            if allowed is None:
                assert route.name in OPEN or (pages and route.method == "GET"), (
                    f"{route.name}: say who may call it (ROLES) or that it is open (OPEN)"
                )
                continue
            path, kwargs = invalid_request(route, pages)
            for who in PRINCIPALS:
                if pages:
                    sid, csrf = sessions.get(who, ("", ""))
                    headers = {"Cookie": f"qa_session={sid}"} if sid else {}
                    if "data" in kwargs or route.method != "GET":
                        kwargs["data"] = {**kwargs.get("data", {}), "csrf_token": csrf}
                else:
                    headers = bearer(w.tokens[who]) if who != "anonymous" else {}
                response = client.request(
                    route.method, path, headers=headers, follow_redirects=False, **kwargs
                )
                text = response.text
                if who == "anonymous":
                    assert response.status_code == (303 if pages else 401), (route.name, text)
                elif role_refused(w, route, who):
                    assert response.status_code == 403, (
                        f"{route.name} as {who}: got {response.status_code}, expected 403 before "
                        f"the invalid request is looked at: {text[:300]}"
                    )
                    held = [PLURAL[r] for r in Role if r in w.p[who].roles]
                    assert f"{held[0]} do not " in text, (route.name, who, text[:300])
                    checked += 1
                elif invalid_path_or_body(route):
                    # the request really is invalid: whoever may call the route is told so
                    assert response.status_code == 422, (route.name, who, text[:300])
    return checked


def test_wrong_role_is_refused_before_the_api_validates(world):
    w, app = world
    assert refused_before_validation(w, app, API, pages=False) > 100


def test_wrong_role_is_refused_before_a_form_is_validated(world):
    w, app = world
    assert refused_before_validation(w, app, PAGES, pages=True) > 80


def test_refusals_are_worded_for_the_role_that_asked(world):
    """A reviewer posting a credential is told that reviewers do not, whatever the body; the same
    invalid body from a provider is a validation error, and the service's own check still words
    refusals by role for a valid one."""
    w, app = world
    body = {"title": ""}
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        as_reviewer = client.post(
            "/api/v1/credentials", json=body, headers=bearer(w.tokens["rev.uw"])
        )
        assert as_reviewer.status_code == 403
        assert as_reviewer.json()["message"] == (
            "reviewers do not submit credentials; providers and the QA office do"
        )
        as_provider = client.post(
            "/api/v1/credentials", json=body, headers=bearer(w.tokens["prov.cuni"])
        )
        assert as_provider.status_code == 422
        # a body that is not JSON at all (FastAPI refuses it while reading, before any dependency)
        for who, code in (("rev.uw", 403), ("prov.cuni", 422)):
            got = client.post(
                "/api/v1/credentials",
                content=b"{not json",
                headers={**bearer(w.tokens[who]), "Content-Type": "application/json"},
            )
            assert got.status_code == code, got.text
        anonymous = client.post(
            "/api/v1/credentials", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert anonymous.status_code == 401
        valid = api_credential(w.credential_data["A"])
        as_approver = client.post(
            "/api/v1/credentials", json=valid, headers=bearer(w.tokens["approver"])
        )
        assert as_approver.status_code == 403
        assert as_approver.json()["message"] == (
            "approvers do not submit credentials; providers and the QA office do"
        )
        as_leader = client.get("/api/v1/cases/1/reviews", headers=bearer(w.tokens["leader"]))
        assert as_leader.json()["message"] == (
            "members of the leadership do not read cases; "
            "providers, the QA office, reviewers and approvers do"
        )
        as_officer = client.post(
            f"/api/v1/cases/{w.cases['A']}/decision", json={}, headers=bearer(w.tokens["officer"])
        )
        assert (as_officer.status_code, as_officer.json()["message"]) == (
            403,
            "QA officers do not decide on cases; approvers do",
        )


def test_every_role_check_is_the_one_the_matrix_states():
    """The routes' first checks (`requires`) hold exactly the roles ROLES lists, and every route
    that needs a role has one."""
    from fastapi.routing import APIRoute

    from qa_engine.web.api import assignments, cases, credentials, dashboard, me, reports
    from qa_engine.web.auth import RoleCheck
    from qa_engine.web.pages import MODULES

    found: dict[str, tuple[Role, ...]] = {}
    for module in (me, credentials, cases, assignments, reports, dashboard, *MODULES):
        for r in module.router.routes:
            assert isinstance(r, APIRoute)
            for dep in r.dependant.dependencies:
                if isinstance(dep.call, RoleCheck):
                    for m in r.methods:
                        found[f"{m} {r.path}"] = dep.call.roles
    normal = {re.sub(r"\{[a-z_]+(?::[a-z]+)?\}", "{}", k): set(v) for k, v in found.items()}
    stated = {re.sub(r"\{[a-z_]+\}", "{}", k): set(v) for k, v in ROLES.items()}
    assert normal == stated


# ----------------------------------------------------- round 2: access follows the current round


def _api(client: TestClient, w: World, who: str, path: str):
    return client.get(path, headers=bearer(w.tokens[who]))


def _page(client: TestClient, who: str, path: str):
    sid, _ = session_for(who)
    # as a browser set to English (else a reviewer of a Polish institution reads Polish)
    headers = {"Cookie": f"qa_session={sid}", "Accept-Language": "en"}
    return client.get(path, headers=headers, follow_redirects=False)


def test_a_reviewer_of_round_one_only_sees_nothing_of_round_two(world):
    w, app = world
    d, e = w.round_two["D"], w.round_two["E"]
    with session_scope() as s:
        round_one_reports = [r.report_id for c in (d, e) for r in case_repo.reports_of(s, c)]
    assert round_one_reports
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        for case_id in (d, e):
            for tail in ("", "/self-assessment", "/reviews", "/reports", "/history"):
                got = _api(client, w, "rev.r1", f"/api/v1/cases/{case_id}{tail}")
                missing = _api(client, w, "rev.r1", f"/api/v1/cases/{MISSING_ID}{tail}")
                assert got.status_code == 404, (tail, got.text)
                assert got.json()["message"].replace(str(case_id), "<ID>") == missing.json()[
                    "message"
                ].replace(str(MISSING_ID), "<ID>")
            for tail in ("", "/self-assessment", "/reviews"):
                assert _page(client, "rev.r1", f"/cases/{case_id}{tail}").status_code == 404
        for report_id in round_one_reports:
            got = _api(client, w, "rev.r1", f"/api/v1/reports/{report_id}/file")
            assert got.status_code == 404
        listed = {c["id"] for c in _api(client, w, "rev.r1", "/api/v1/cases").json()["items"]}
        assert not {d, e} & listed
        # ... while the reviewers of round 2 read the case they are part of
        assert _api(client, w, "rev.r2", f"/api/v1/cases/{e}").status_code == 200
        assert _api(client, w, "rev.uhei", f"/api/v1/cases/{e}/self-assessment").status_code == 200
        assert _api(client, w, "rev.r2", f"/api/v1/cases/{d}").status_code == 404
        assert e in {c["id"] for c in _api(client, w, "rev.r2", "/api/v1/cases").json()["items"]}


def test_a_reviewer_of_round_one_keeps_their_review_and_the_decision(world):
    w, app = world
    d = w.round_two["D"]
    asg = w.round_two_assignments[("D", "rev.r1")]
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        mine = _api(client, w, "rev.r1", "/api/v1/assignments").json()["items"]
        assert (d, 1, "submitted") in {(a["case_id"], a["round"], a["status"]) for a in mine}
        own = _api(client, w, "rev.r1", f"/api/v1/assignments/{asg}/review")
        assert own.status_code == 200
        assert (own.json()["round"], own.json()["status"]) == (1, "submitted")
        page = _page(client, "rev.r1", f"/assignments/{asg}/review")
        assert page.status_code == 200
        assert "The decision of round 1: Revision requested" in page.text
        assert "Revise the assessment section and resubmit." in page.text
        assert f'href="/cases/{d}"' not in page.text and f'href="/cases/{d}/' not in page.text
        invitations = _page(client, "rev.r1", "/invitations").text
        assert f'href="/assignments/{asg}/review"' in invitations
        assert f'href="/cases/{d}/reviews"' not in invitations


def test_the_providers_draft_is_theirs_alone(world):
    w, app = world
    d = w.round_two["D"]
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        own = _api(client, w, "prov.su", f"/api/v1/cases/{d}/self-assessment").json()
        assert (own["round"], own["status"], own["summary"]) == (2, "draft", DRAFT_SUMMARY)
        page = _page(client, "prov.su", f"/cases/{d}/self-assessment")
        assert DRAFT_SUMMARY in page.text
        for who in ("officer", "approver", "admin"):
            got = _api(client, w, who, f"/api/v1/cases/{d}/self-assessment")
            assert got.status_code == 200
            # the latest submitted one: round 1's, while round 2's is a draft
            assert (got.json()["round"], got.json()["status"]) == (1, "submitted")
            assert DRAFT_SUMMARY not in got.text
            page = _page(client, who, f"/cases/{d}/self-assessment")
            assert page.status_code == 200
            assert DRAFT_SUMMARY not in page.text
            assert "The self-assessment of round 1" in page.text
        other = _api(client, w, "prov.cuni", f"/api/v1/cases/{d}/self-assessment")
        assert other.status_code == 404


def test_a_draft_review_is_its_reviewers_alone(world):
    w, app = world
    e = w.round_two["E"]
    r2 = w.round_two_assignments[("E", "rev.r2")]
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        own = _api(client, w, "rev.r2", f"/api/v1/assignments/{r2}/review").json()
        assert (own["status"], own["overall_comment"]) == ("draft", DRAFT_COMMENT)
        shown = _api(client, w, "rev.r2", f"/api/v1/cases/{e}/reviews").json()["items"]
        assert [(v["mine"], v["status"]) for v in shown] == [(True, "draft")]
        assert DRAFT_COMMENT in _page(client, "rev.r2", f"/cases/{e}/reviews").text
        for who in ("rev.uhei", "officer", "approver", "admin", "prov.su"):
            got = _api(client, w, who, f"/api/v1/cases/{e}/reviews")
            assert got.status_code == 200
            assert DRAFT_COMMENT not in got.text
            assert all(v["status"] == "submitted" for v in got.json()["items"])
            page = _page(client, who, f"/cases/{e}/reviews")
            assert page.status_code == 200 and DRAFT_COMMENT not in page.text
        staff = _api(client, w, "officer", f"/api/v1/cases/{e}/reviews").json()["items"]
        assert len(staff) == 1  # rev.uhei's submitted review, not rev.r2's draft
        assert _api(client, w, "rev.uhei", f"/api/v1/assignments/{r2}/review").status_code == 404


def test_the_reviewers_of_round_one_are_proposed_first(world):
    w, app = world
    d = w.round_two["D"]
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        got = _api(client, w, "officer", f"/api/v1/cases/{d}/proposals").json()
        earlier = {w.p["rev.r1"].user_id, w.p["rev.unige"].user_id}
        first_two = got["eligible"][:2]
        assert {p["reviewer_id"] for p in first_two} == earlier
        assert all("reviewed round 1" in p["reasons"] for p in first_two)
        assert not any("reviewed round 1" in p["reasons"] for p in got["eligible"][2:])
        assert {p["reviewer_id"] for p in got["proposals"]} == earlier
        page = _page(client, "officer", f"/cases/{d}/assignment")
        assert page.status_code == 200 and "reviewed round 1" in page.text
