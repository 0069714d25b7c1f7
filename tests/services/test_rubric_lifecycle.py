"""Publishing a rubric version: frozen, audited with who and why, the previous version retired,
new cases opened against it while existing cases keep theirs; the replay the workflow settings may
require; who may read which version."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qa_engine.config import reset_settings
from qa_engine.domain.errors import Conflict, Forbidden, NotFound
from qa_engine.domain.rubric import Rubric
from qa_engine.services import audit, rubric_lifecycle
from qa_engine.services import cases as case_service
from qa_engine.store import audit_repo, rubric_repo
from qa_engine.store import repositories as repo
from tests.conftest import write_workflow_settings
from tests.helpers import credential, people

ROOT = Path(__file__).resolve().parents[2]
ESG = ROOT / "rubrics" / "esg-2015-part1.yaml"
RID = "esg-2015-part1"


def draft(tmp_path: Path, version: str, **weights: float) -> Rubric:
    data = yaml.safe_load(ESG.read_text())
    data["rubric"]["version"] = version
    for c in data["criteria"]:
        if c["id"] in weights:
            c["weight"] = weights[c["id"]]
    folder = tmp_path / version
    folder.mkdir()
    path = folder / ESG.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return rubric_lifecycle.read_draft(path)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Workflow settings of the test's own, require_replay as the test sets it."""

    def use(**overrides) -> None:
        path = write_workflow_settings(tmp_path / "settings.yaml", **overrides)
        monkeypatch.setenv("QA_WORKFLOW_SETTINGS", str(path))
        reset_settings()

    yield use
    reset_settings()


def open_esg_case(session, actor, index: int):
    return case_service.open_case(
        session=session, actor=actor, credential_id=credential(session, index), rubric_id=RID
    )


def snapshot_version(session, case) -> str:
    return repo.get_rubric_snapshot_by_pk(session, case.rubric_snapshot_id).version


def test_publish_records_who_and_why_retires_the_previous_and_new_cases_use_it(session, tmp_path):
    p = people(session)
    old_case = open_esg_case(session, p["officer"], 0)
    assert snapshot_version(session, old_case) == "1.1.0"

    new = draft(tmp_path, "1.2.0", **{"esg-1.4": 2.0})
    done = rubric_lifecycle.publish(
        session=session, actor=p["officer"], rubric=new, reason="ESG 1.4 counts more"
    )
    assert done.retired == ["1.1.0"]
    assert done.release.status == "active"
    assert done.release.published_by == "officer"
    snap = repo.get_rubric_snapshot(session, RID, "1.2.0")
    assert snap is not None and snap.content_hash == new.content_hash

    events = audit_repo.events_for(session, "rubric", f"{RID}@1.2.0")
    published = [e for e in events if e.action == "rubric.published"]
    assert len(published) == 1
    assert published[0].actor == "officer"
    assert published[0].payload["reason"] == "ESG 1.4 counts more"
    assert published[0].payload["content_hash"] == new.content_hash
    assert published[0].payload["retired"] == ["1.1.0"]
    retired = audit_repo.events_for(session, "rubric", f"{RID}@1.1.0")
    assert [e.action for e in retired][-1] == "rubric.retired"
    statuses = {r.version: r.status for r in rubric_repo.releases_of(session, RID)}
    assert statuses == {"1.1.0": "retired", "1.2.0": "active"}

    new_case = open_esg_case(session, p["officer"], 1)
    assert snapshot_version(session, new_case) == "1.2.0"
    session.refresh(old_case)
    assert snapshot_version(session, old_case) == "1.1.0"
    assert case_service.rubric_of(session, old_case).criterion("esg-1.4").criterion.weight == 1.0
    assert case_service.rubric_of(session, new_case).criterion("esg-1.4").criterion.weight == 2.0

    # and once more: 1.3.0 retires 1.2.0, the active one
    newer = draft(tmp_path, "1.3.0", **{"esg-1.4": 3.0})
    again = rubric_lifecycle.publish(session=session, actor=p["admin"], rubric=newer)
    assert again.retired == ["1.2.0"]
    statuses = {r.version: r.status for r in rubric_repo.releases_of(session, RID)}
    assert statuses == {"1.1.0": "retired", "1.2.0": "retired", "1.3.0": "active"}


def test_publish_refuses_other_roles_old_versions_and_changed_content(session, tmp_path):
    p = people(session)
    new = draft(tmp_path, "1.2.0", **{"esg-1.4": 2.0})
    for who in ("rev.cuni", "prov.cuni", "approver", "leader"):
        with pytest.raises(Forbidden):
            rubric_lifecycle.publish(session=session, actor=p[who], rubric=new)
    rubric_lifecycle.publish(session=session, actor=p["officer"], rubric=new)
    with pytest.raises(Conflict, match="already the active version"):
        rubric_lifecycle.publish(session=session, actor=p["officer"], rubric=new)
    older = draft(tmp_path, "1.1.5")
    with pytest.raises(Conflict, match="not above the stored version 1.2.0"):
        rubric_lifecycle.publish(session=session, actor=p["officer"], rubric=older)
    statuses = {r.version: r.status for r in rubric_repo.releases_of(session, RID)}
    assert statuses == {"1.2.0": "active"}


def test_publish_requires_the_replay_when_the_settings_say_so(session, tmp_path, settings):
    p = people(session)
    new = draft(tmp_path, "1.2.0", **{"esg-1.4": 2.0})
    settings(require_replay=True)
    with pytest.raises(Conflict, match="has not been replayed"):
        rubric_lifecycle.publish(session=session, actor=p["officer"], rubric=new)
    # a replay of other content (or of another rubric) does not count
    for rubric_id, digest in ((RID, "0" * 64), ("4eu-mici", new.content_hash)):
        audit.record(
            session,
            actor=p["officer"],
            action="rubric.replayed",
            subject_type="rubric",
            subject_id=f"{rubric_id}@1.2.0",
            payload={
                "rubric_id": rubric_id,
                "version": "1.2.0",
                "content_hash": digest,
                "cases": 10,
                "changed": 1,
            },
        )
    with pytest.raises(Conflict, match="has not been replayed"):
        rubric_lifecycle.publish(session=session, actor=p["officer"], rubric=new)
    assert rubric_repo.active_release(session, RID) is None
    replayed = audit.record(
        session,
        actor=p["officer"],
        action="rubric.replayed",
        subject_type="rubric",
        subject_id=f"{RID}@1.2.0",
        payload={
            "rubric_id": RID,
            "version": "1.2.0",
            "content_hash": new.content_hash,
            "cases": 10,
            "changed": 2,
        },
    )
    done = rubric_lifecycle.publish(session=session, actor=p["officer"], rubric=new)
    assert done.release.status == "active"
    published = audit_repo.events_for(session, "rubric", f"{RID}@1.2.0")[-1]
    assert published.action == "rubric.published"
    assert published.payload["replay_seq"] == replayed.seq


def test_without_require_replay_publish_needs_no_replay(session, tmp_path, settings):
    p = people(session)
    settings(require_replay=False)
    done = rubric_lifecycle.publish(
        session=session, actor=p["officer"], rubric=draft(tmp_path, "1.2.0")
    )
    assert done.release.status == "active"


def test_readers_see_the_version_in_use_officers_every_version(session, tmp_path):
    p = people(session)
    open_esg_case(session, p["officer"], 0)  # stores 1.1.0
    rubric_lifecycle.publish(
        session=session, actor=p["officer"], rubric=draft(tmp_path, "1.2.0", **{"esg-1.4": 2.0})
    )
    reviewer = p["rev.cuni"]
    shown = rubric_lifecycle.view(session=session, actor=reviewer, rubric_id=RID)
    assert shown.rubric.version == "1.2.0" and shown.status == "active" and shown.versions == []
    with pytest.raises(NotFound):
        rubric_lifecycle.view(session=session, actor=reviewer, rubric_id=RID, version="1.1.0")
    with pytest.raises(Forbidden):
        rubric_lifecycle.view(session=session, actor=p["leader"], rubric_id=RID)
    old = rubric_lifecycle.view(session=session, actor=p["officer"], rubric_id=RID, version="1.1.0")
    assert old.rubric.version == "1.1.0" and old.status == "retired" and not old.in_use
    assert old.versions == ["1.2.0", "1.1.0"]
    entries = {
        e.rubric_id: e for e in rubric_lifecycle.overview(session=session, actor=p["officer"])
    }
    esg = entries[RID]
    assert (esg.in_use, esg.source) == ("1.2.0", "active")
    assert [(v.version, v.status) for v in esg.versions] == [
        ("1.2.0", "active"),
        ("1.1.0", "retired"),
    ]
    assert entries["4eu-mici"].source == "installed file"
    with pytest.raises(Forbidden):
        rubric_lifecycle.overview(session=session, actor=reviewer)
    diff = rubric_lifecycle.compare(session=session, old=f"{RID}@1.1.0", new=RID)
    assert "weight of 'esg-1.4' raised from 1 to 2" in [c.text for c in diff.changes]
    with pytest.raises(
        NotFound, match=r"no version 9.9 of rubric 'esg-2015-part1' \(known: 1.1.0, 1.2.0\)"
    ):
        rubric_lifecycle.resolve(session, f"{RID}@9.9")


def test_a_draft_file_is_not_used_for_new_cases_until_it_is_published(
    session, tmp_path, monkeypatch
):
    p = people(session)
    folder = tmp_path / "installed"
    folder.mkdir()
    (folder / ESG.name).write_text(
        ESG.read_text()
        .replace("status: active", "status: draft")
        .replace('version: "1.1.0"', 'version: "1.2.0"')
    )
    monkeypatch.setenv("QA_RUBRICS_DIR", str(folder))
    reset_settings()
    try:
        with pytest.raises(Conflict, match="has no active version: its file .* is a draft"):
            open_esg_case(session, p["officer"], 0)
        entry = next(
            e
            for e in rubric_lifecycle.overview(session=session, actor=p["officer"])
            if e.rubric_id == RID
        )
        assert entry.in_use == "" and entry.versions[0].status == "installed file (draft)"
        with pytest.raises(NotFound):
            rubric_lifecycle.view(session=session, actor=p["rev.cuni"], rubric_id=RID)
        rubric_lifecycle.publish(
            session=session,
            actor=p["officer"],
            rubric=rubric_lifecycle.read_draft(folder / ESG.name),
            reason="first version",
        )
        case = open_esg_case(session, p["officer"], 0)
        assert snapshot_version(session, case) == "1.2.0"
    finally:
        reset_settings()
