"""The store on SQLite and PostgreSQL: migrations, seeds, credential versions, rubric snapshots,
audit chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from qa_engine.domain.credential import parse_credential
from qa_engine.domain.errors import Conflict, Forbidden
from qa_engine.domain.roles import SYSTEM, Actor, Role
from qa_engine.domain.rubric_loader import load_library
from qa_engine.services import audit, credential_import
from qa_engine.services import credentials as credential_service
from qa_engine.services import rubrics as rubric_service
from qa_engine.services.institutions import ALLIANCE, seed_institutions
from qa_engine.store import repositories as repo
from qa_engine.store.migrate import current_revision, head_revision

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = json.loads(
    (ROOT / "qa_engine" / "samples" / "credentials.json").read_text(encoding="utf-8")
)


def test_migrated_to_head(engine):
    assert current_revision(engine) == head_revision()


def test_the_migrations_build_the_schema_the_models_describe(engine):
    """Tables, columns, types, indexes and constraints: what Alembic's autogenerate would change is
    nothing."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import qa_engine.store.models  # noqa: F401 - every table on the metadata

    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diffs == []


def test_the_last_migration_goes_down_and_up_again(tmp_path):
    from alembic import command

    from qa_engine.store.db import make_engine
    from qa_engine.store.migrate import alembic_config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'down.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(str(engine.url), conn), "-1")
    assert current_revision(engine) != head_revision()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_seed_is_idempotent(session):
    assert seed_institutions(session=session) == len(ALLIANCE)
    assert seed_institutions(session=session) == 0
    codes = repo.institution_codes(session)
    assert set(codes) == {c for c, *_ in ALLIANCE}
    assert repo.get_institution_by_code(session, "ucph").local_name == "Københavns Universitet"


def test_import_creates_then_versions_then_leaves_unchanged(seeded):
    items = [parse_credential(i) for i in SAMPLES]
    first = credential_import.import_credentials(
        session=seeded, actor=SYSTEM, items=items, open_cases=False, source="s.json"
    )
    assert len(first.created) == len(items)
    again = credential_import.import_credentials(
        session=seeded, actor=SYSTEM, items=items, open_cases=False, source="s.json"
    )
    assert len(again.unchanged) == len(items) and not again.created
    changed = items[0].model_copy(update={"title": items[0].title + " (revised)"})
    third = credential_import.import_credentials(
        session=seeded, actor=SYSTEM, items=[changed], open_cases=False
    )
    assert third.new_versions == [f"{changed.provider}/{changed.reference}"]
    inst = repo.get_institution_by_code(seeded, changed.provider)
    cred = repo.get_credential_by_reference(seeded, inst.id, changed.reference)
    assert cred.current_version == 2
    assert repo.get_credential_version(seeded, cred.id, 1).data["title"] == items[0].title
    assert repo.get_credential_version(seeded, cred.id).data["title"].endswith("(revised)")


def test_provider_may_import_only_for_own_institution(seeded):
    uw = repo.get_institution_by_code(seeded, "UW")
    provider = Actor(
        user_id=999, username="p", roles=frozenset({Role.PROVIDER}), institution_id=uw.id
    )
    other = next(parse_credential(i) for i in SAMPLES if i["provider"] != "UW")
    with pytest.raises(Forbidden):
        credential_service.save_credential(session=seeded, actor=provider, data=other)


def test_rubric_snapshot_is_frozen(session):
    lib = load_library([ROOT / "rubrics"])
    rubric = lib.get("esg-2015-part1")
    snap = rubric_service.snapshot(session=session, rubric=rubric)
    assert rubric_service.snapshot(session=session, rubric=rubric).id == snap.id
    assert rubric_service.from_snapshot(snap).content_hash == rubric.content_hash
    changed = rubric.model_copy(
        update={"meta": rubric.meta.model_copy(update={"title": "Edited in place"})}
    )
    with pytest.raises(Conflict, match="never changed in place"):
        rubric_service.snapshot(session=session, rubric=changed)


def test_audit_chain_verifies_and_detects_edits_and_deletions(session):
    for i in range(5):
        audit.record(
            session,
            actor="tester",
            action="test.event",
            subject_type="thing",
            subject_id=i,
            payload={"n": i, "text": "Żółć ø é"},
        )
    session.flush()
    count, problems = audit.verify(session)
    assert count >= 5 and problems == []

    session.execute(
        text(
            "UPDATE audit_event SET payload = :p WHERE seq = (SELECT MAX(seq) - 2 FROM audit_event)"
        ),
        {"p": json.dumps({"n": 999})},
    )
    session.expire_all()
    _, problems = audit.verify(session)
    assert any("edited" in str(p) for p in problems)


def test_audit_chain_detects_a_deleted_event(session):
    for i in range(4):
        audit.record(
            session, actor="tester", action="test.event", subject_type="thing", subject_id=i
        )
    session.execute(
        text("DELETE FROM audit_event WHERE seq = (SELECT MAX(seq) - 1 FROM audit_event)")
    )
    session.expire_all()
    _, problems = audit.verify(session)
    assert any("deleted" in str(p) for p in problems)
