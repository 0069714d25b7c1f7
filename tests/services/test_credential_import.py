"""One import of credentials for the pages, the API, the command line and the intake flow: the same
roles, the same acting user, cases opened only when asked and never twice."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qa_engine.cli.main import app
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.errors import Forbidden, NotFound
from qa_engine.domain.roles import SYSTEM
from qa_engine.services import credential_import
from qa_engine.services.actors import acting_user
from qa_engine.services.users import disable_user
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from tests.helpers import SAMPLES, people

runner = CliRunner()


def _items(*indexes):
    return [parse_credential(SAMPLES[i]) for i in indexes]


def test_cases_are_opened_only_when_asked_and_never_twice(seeded):
    p = people(seeded)
    items = _items(0, 3)
    first = credential_import.import_credentials(
        session=seeded, actor=p["officer"], items=items, open_cases=False
    )
    assert len(first.created) == 2 and first.opened_cases == []
    second = credential_import.import_credentials(
        session=seeded,
        actor=p["officer"],
        items=items,
        open_cases=True,
        rubric_id="esg-2015-part1",
        source="call.json",
    )
    assert second.unchanged == first.created and len(second.opened_cases) == 2
    case = case_repo.get_case(seeded, second.opened_cases[0])
    assert (
        repo.get_rubric_snapshot_by_pk(seeded, case.rubric_snapshot_id).rubric_id
        == "esg-2015-part1"
    )
    third = credential_import.import_credentials(
        session=seeded, actor=p["officer"], items=items, open_cases=True
    )
    assert third.opened_cases == [] and third.total == 2


@pytest.mark.parametrize("who", ["approver", "leader", "rev.cuni"])
def test_only_providers_and_the_qa_office_import(seeded, who):
    p = people(seeded)
    with pytest.raises(Forbidden, match="may import credentials"):
        credential_import.known_providers(session=seeded, actor=p[who])
    with pytest.raises(Forbidden, match="may import credentials"):
        credential_import.import_credentials(
            session=seeded, actor=p[who], items=_items(0), open_cases=False
        )
    assert credential_import.known_providers(session=seeded, actor=p["prov.cuni"]) >= {"CUNI", "UW"}


def test_an_unknown_and_a_disabled_acting_user_are_refused_alike(seeded):
    people(seeded)
    disable_user(session=seeded, actor=SYSTEM, username="officer")
    for name in ("officer", "nobody.here"):
        with pytest.raises(NotFound, match=f"no active user {name}"):
            acting_user(session=seeded, username=name)
    assert acting_user(session=seeded, username=None) is SYSTEM
    assert acting_user(session=seeded, username=" Prov.CUNI ").username == "prov.cuni"


def _cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_the_command_line_opens_cases_as_the_acting_person(engine_env, tmp_path, monkeypatch):
    import qa_engine.workflows.kick

    kicked = []
    monkeypatch.setattr(
        qa_engine.workflows.kick, "kick", lambda ids, **_: kicked.append(list(ids)) or "kicked"
    )
    with session_scope() as s:
        people(s)
        disable_user(session=s, actor=SYSTEM, username="approver")
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([SAMPLES[0], SAMPLES[3]]), encoding="utf-8")

    refused = _cli("credentials", "import", batch, "--as", "approver")
    assert refused.exit_code == 1 and "no active user approver" in refused.output
    refused = _cli("credentials", "import", batch, "--as", "leader")
    assert refused.exit_code == 1 and "may import credentials" in refused.output
    plain = _cli("credentials", "import", batch, "--as", "officer")
    assert plain.exit_code == 0 and "2 new" in plain.output and kicked == []
    opened = _cli("credentials", "import", batch, "--open-cases", "--as", "officer")
    assert (
        opened.exit_code == 0
        and "2 unchanged" in opened.output
        and "opened case(s)" in opened.output
    )
    with session_scope() as s:
        cases = case_repo.list_cases(s)
        assert kicked == [[c.id for c in cases]]
        assert {e.actor for c in cases for e in _events(s, c.id) if e.action == "case.opened"} == {
            "officer"
        }


def _events(session, case_id):
    from qa_engine.store import audit_repo

    return audit_repo.events_for(session, "case", case_id)


def test_the_intake_flow_refuses_a_disabled_acting_user(engine_env, tmp_path):
    from qa_engine.workflows.flows import import_task

    with session_scope() as s:
        people(s)
        disable_user(session=s, actor=SYSTEM, username="officer")
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([SAMPLES[0]]), encoding="utf-8")
    with pytest.raises(NotFound, match="no active user officer"):
        import_task.fn(str(batch), "4eu-mici", "officer")
    opened = import_task.fn(str(batch), "4eu-mici", "prov.cuni")
    with session_scope() as s:
        assert [c.id for c in case_repo.list_cases(s)] == opened and len(opened) == 1
