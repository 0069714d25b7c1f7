"""What the pages and the API read comes from services, each page of rows in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from qa_engine.domain.errors import Forbidden, NotFound, StaleUpdate, ValidationFailed
from qa_engine.services import cases as case_service
from qa_engine.services import credentials as credential_service
from tests.helpers import SAMPLES, credential, people


@contextmanager
def counted(session) -> Iterator[list[str]]:
    """The SQL statements the session runs inside the block."""
    statements: list[str] = []
    conn = session.connection()

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(conn, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(conn, "before_cursor_execute", seen)


def test_a_page_of_credentials_with_their_open_cases_in_two_queries(seeded):
    p = people(seeded)
    ids = [credential(seeded, i) for i in range(6)]
    opened = case_service.open_case(session=seeded, actor=p["officer"], credential_id=ids[0])
    withdrawn = case_service.open_case(session=seeded, actor=p["officer"], credential_id=ids[1])
    case_service.withdraw_case(session=seeded, actor=p["officer"], case_id=withdrawn.id, reason="Not this year.")
    with counted(seeded) as statements:
        page = credential_service.credentials_page(session=seeded, actor=p["officer"], limit=50)
        open_cases = {r.credential.id: r.open_case.id if r.open_case else None for r in page.rows}
        codes = {r.credential.id: r.institution.code for r in page.rows}
    assert len(statements) == 2, statements
    assert page.total == 6 and page.may_write
    assert open_cases == {i: (opened.id if i == ids[0] else None) for i in ids}
    assert codes[ids[0]] == SAMPLES[0]["provider"]
    with pytest.raises(Forbidden):
        credential_service.credentials_page(session=seeded, actor=p["rev.cuni"])


def test_one_credential_with_its_versions_and_who_may_change_it(seeded):
    p = people(seeded)
    cred_id = credential(seeded, 0)
    own = p[f"prov.{SAMPLES[0]['provider'].lower()}"]
    raw = {**SAMPLES[0], "title": "A renamed course for the test"}
    saved = credential_service.submit_credential(session=seeded, actor=own, raw=raw, credential_id=cred_id,
                                                 expected_version=1)
    assert (saved.version, saved.outcome) == (2, "new_version")
    with pytest.raises(StaleUpdate):
        credential_service.submit_credential(session=seeded, actor=own, raw=raw, credential_id=cred_id,
                                             expected_version=1)
    with pytest.raises(ValidationFailed, match="cannot change"):
        credential_service.submit_credential(session=seeded, actor=own, raw={**raw, "reference": "X-1"},
                                             credential_id=cred_id)
    with pytest.raises(Forbidden):  # an approver reads credentials but submits none
        credential_service.submit_credential(session=seeded, actor=p["approver"], raw=raw, credential_id=cred_id)
    with pytest.raises(Forbidden):
        credential_service.submit_credential(session=seeded, actor=p["rev.cuni"], raw={})
    detail = credential_service.credential_detail(session=seeded, actor=own, credential_id=cred_id)
    assert [v.number for v in detail.versions] == [1, 2] and detail.data["title"] == raw["title"]
    assert detail.may_write and detail.open_case is None
    assert not credential_service.credential_detail(session=seeded, actor=p["approver"], credential_id=cred_id).may_write
    with pytest.raises(NotFound):
        credential_service.credential_detail(session=seeded, actor=p["rev.cuni"], credential_id=cred_id)
