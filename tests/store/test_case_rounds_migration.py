"""Migration 0006 records, for every case already stored, the credential version each of its rounds
reviewed (until then: the version the case froze)."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, select

from qa_engine.domain.roles import SYSTEM
from qa_engine.services import rubrics as rubric_service
from qa_engine.store.db import make_engine
from qa_engine.store.migrate import upgrade
from qa_engine.store.models import Case, CaseRound, Credential, CredentialVersion


def test_existing_cases_get_one_round_record_per_round(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0005")
    with Session(engine) as s:
        # the institution table as 0005 left it (the model has columns of later revisions)
        s.execute(
            text(
                "INSERT INTO institution (code, name, local_name, city, country, membership,"
                " created_at) VALUES ('CUNI', 'Charles University', '', 'Prague', 'CZ',"
                " 'member', '2026-01-01 00:00:00')"
            )
        )
        s.flush()
        snap = rubric_service.snapshot(
            session=s, rubric=rubric_service.load("4eu-mici"), actor=SYSTEM
        )
        cred = Credential(institution_id=1, reference="R-1", title="T")
        s.add(cred)
        s.flush()
        version = CredentialVersion(credential_id=cred.id, number=1, data={}, content_hash="h")
        s.add(version)
        s.flush()
        for round_ in (1, 3):
            s.add(
                Case(
                    credential_id=cred.id,
                    credential_version_id=version.id,
                    rubric_snapshot_id=snap.id,
                    institution_id=1,
                    state="closed",
                    round=round_,
                )
            )
        s.commit()
    upgrade(engine)
    with Session(engine) as s:
        rows = s.exec(select(CaseRound).order_by(CaseRound.case_id, CaseRound.round)).all()
        assert [(r.case_id, r.round, r.credential_version_id) for r in rows] == [
            (1, 1, 1),
            (2, 1, 1),
            (2, 2, 1),
            (2, 3, 1),
        ]
        assert all(r.recorded_at.tzinfo is not None for r in rows)
    engine.dispose()
