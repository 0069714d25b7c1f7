"""The case's reports list and the API say the language of each report: an institution that asks
for its language has both reports listed, each downloadable."""

from __future__ import annotations

from qa_engine.adapters.report_files import ReportFiles
from qa_engine.services import institutions, reporting
from qa_engine.services.report_files import report_generator
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from qa_engine.store.models import Institution
from tests.services.test_reports_from_cases import _decided_case
from tests.web.support import bearer, signed_in, token_for


def test_the_reports_list_and_the_api_name_each_reports_language(client, p):
    with session_scope() as s:
        case_id = _decided_case(s, p)
        inst = s.get(Institution, case_repo.get_case(s, case_id).institution_id)
        institutions.set_report_language(session=s, code=inst.code, language="pl")
        rows = [
            r
            for r in reporting.request_reports(session=s, case_id=case_id)
            if r.kind in reporting.REPORT_KINDS
        ]
        reporting.generate_files(
            session=s, rows=rows, generator=report_generator(ReportFiles.from_settings())
        )
        ids = {(r.kind, r.language): r.report_id for r in rows}
    signed_in(client, "officer")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert ids[("pdf", "pl")] in page.text and ids[("pdf", "en")] in page.text
    assert '<td lang="pl">Polski</td>' in page.text and '<td lang="en">English</td>' in page.text
    got = client.get(f"/reports/{ids[('pdf', 'pl')]}/download")
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    items = client.get(
        f"/api/v1/cases/{case_id}/reports", headers=bearer(token_for("officer"))
    ).json()["items"]
    languages = {(r["kind"], r["language"]) for r in items}
    assert {("pdf", "en"), ("xlsx", "en"), ("pdf", "pl"), ("xlsx", "pl")} <= languages
