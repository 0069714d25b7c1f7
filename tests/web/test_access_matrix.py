"""The access matrix: every route × every kind of person × own / other / missing case, with the
expected status in each cell. Each probe is harmless (it asks for something the state forbids, or
sends an empty form), so one world serves the whole table. On failure the whole matrix is printed.

Relations (columns): anon; pown / pother = a provider of the case's institution / of another one;
rown / rother = a reviewer assigned to the case (for an assignment: its owner) / not assigned;
officer, approver, leader, admin.
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
from tests.web.world import PRINCIPALS, World, build_world

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
    path: str  # placeholders: {case} {cred} {asg} {report} {user}
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
        json=lambda w, k: api_credential(w.credential_data[k if k != "missing" else "A"]),
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
    Route("GET", "/api/v1/cases/{case}/history", "case", READERS),
    Route("GET", "/api/v1/cases/{case}/self-assessment", "case", READERS),
    Route(
        "PUT",
        "/api/v1/cases/{case}/self-assessment",
        "case",
        row(401, 409, 404, 403, 404, 403, 403, 404, 403),
        json=lambda w, k: {"entries": {}},
    ),
    Route(
        "POST",
        "/api/v1/cases/{case}/self-assessment/submit",
        "case",
        row(401, 409, 404, 403, 404, 403, 403, 404, 403),
        json=lambda w, k: {"entries": {}},
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
        json=lambda w, k: {"outcome": "approved", "rationale": ""},
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
        json=lambda w, k: {"entries": {}},
    ),
    Route(
        "POST",
        "/api/v1/assignments/{asg}/review/submit",
        "asg",
        row(401, 404, 404, 409, 404, 404, 404, 404, 404),
        json=lambda w, k: {"entries": {}},
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
    Route("POST", "/api/v1/reports/verify", "none", same(200, anon=200), files=NOT_PDF),
    Route("GET", "/api/v1/dashboard", "none", row(401, 403, 403, 403, 403, 200, 200, 200, 200)),
]

PAGE_READERS = {**READERS, "anon": 303}
ACCOUNT_KEYS = ("-", "missing")
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
    Route("POST", "/verify", "none", same(422, anon=422), form={}),
    # one's own password: the empty form's current password is not right
    Route("GET", "/account/password", "none", same(200, anon=303)),
    Route("POST", "/account/password", "none", same(422, anon=303), form={}),
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
    "GET /api/v1/dashboard": (L, Q, A, D),
    "POST /credentials/new": CREDENTIAL_WRITER,
    "POST /credentials/{cred}/edit": CREDENTIAL_WRITER,
    "POST /credentials/upload": CREDENTIAL_WRITER,
    "POST /credentials/{cred}/open-case": CASE_MANAGER,
    "POST /cases/{case}/withdraw": CASE_MANAGER,
    "POST /cases/{case}/resubmit": CASE_MANAGER,
    "POST /cases/{case}/self-assessment": (P,),
    "POST /cases/{case}/assignment": OFFICE,
    "POST /cases/{case}/decision": (A,),
    "POST /assignments/{asg}/respond": (R,),
    "POST /assignments/{asg}/remind": OFFICE,
    "POST /assignments/{asg}/reassign": OFFICE,
    "POST /assignments/{asg}/review": (R,),
    "POST /assignments/{asg}/review-sheet": (R,),
    "POST /assign": OFFICE,
    "POST /admin/users": (D,),
    "POST /admin/users/{user}/roles": (D,),
    "POST /admin/users/{user}/disable": (D,),
    "POST /admin/users/{user}/enable": (D,),
    "POST /admin/users/{user}/one-time-password": (D,),
}
# the routes open to anyone signed in (or to everyone)
OPEN = {
    "GET /api/v1/me",
    "POST /api/v1/reports/verify",
    "POST /verify",
    "POST /account/password",
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
        live = case_repo.live_assignment_for(s, case.id, actor.user_id)
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
    with TestClient(app) as client:
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

    with TestClient(app) as client:
        cells = run(client, w, PAGES, auth, pages=True)
    check(cells)
    check_404_bodies(w, cells)


def test_every_api_route_is_in_the_matrix(world):
    _, app = world
    schema = app.openapi()
    documented = {f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops}
    covered = {re.sub(r"\{(case|cred|asg|report)\}", "{}", r.name) for r in API}
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
    covered = {re.sub(r"\{(case|cred|asg|report|user)\}", "{}", r.name) for r in PAGES}
    covered = {
        "GET /dashboard/report.{}" if c == "GET /dashboard/report.xlsx" else c for c in covered
    }
    assert pages == covered, f"not in the matrix: {pages - covered}; unknown: {covered - pages}"
