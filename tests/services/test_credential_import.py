"""One import of credentials for the pages, the API, the command line and the intake flow: the same
roles, the same acting user, cases opened only when asked and never twice."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from qa_engine.cli.main import app
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.errors import Forbidden, NotFound, ValidationFailed
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


def _longest_credential_values() -> dict:
    """A credential whose every element is as long as the importer allows, in characters of one,
    two and four bytes."""
    import string

    from qa_engine.domain.credential import FIELDS
    from qa_engine.domain.standards import DIGCOMP, GREENCOMP

    def text(n: int, seed: str = "Řa😀é ") -> str:
        return (seed * n)[:n].strip().ljust(n, "x")

    spec = {f.name: f for f in FIELDS}
    letters = string.ascii_lowercase
    raw = {
        name: text(f.max_length)
        for name, f in spec.items()
        if not f.multi and not f.choices and f.max_length >= 200
    }
    raw.update(
        reference="R" + "-0123456789" * 5 + "abcdefghijklm"[: 64 - 56],
        provider="CUNI",
        country="CZ",
        date_of_issuing="2026-12-31",
        learning_outcomes=[
            text(spec["learning_outcomes"].max_length, f"{i}ř😀 ") for i in range(50)
        ],
        ects="60",
        workload_hours=1800,
        eqf_level=8,
        qf_ehea_cycle="Third cycle",
        participation_form="Blended",
        supervision="Supervised onsite with identity verification",
        stackability="Stackable towards another credential",
        isced_f="0613",
        languages=[a + b for a, b in zip(letters, letters[::-1], strict=True)][:26]
        + ["abc", "abd", "abe", "abf"],
        esco_skills=[
            f"http://data.europa.eu/esco/skill/{i:08x}-0000-4000-8000-{i:012x}" for i in range(100)
        ],
        digcomp=[k.split("-", 1)[1] for k in DIGCOMP],
        greencomp=[k.split("-", 1)[1] for k in GREENCOMP],
        contact_email="a" * (254 - len("@cuni.example.cz")) + "@cuni.example.cz",
    )
    assert len(raw["reference"]) == 64
    assert len(raw["languages"]) == spec["languages"].max_items
    return raw


def test_the_longest_allowed_values_of_every_element_are_stored_whole(seeded, tmp_path):
    """On PostgreSQL too (the `seeded` fixture runs on both): the caps of the importer fit the
    columns, so the longest values are stored, not a database error."""
    from qa_engine.adapters.credential_io import read_credentials_file
    from qa_engine.domain.credential import FIELDS
    from qa_engine.services.credentials import credential_data
    from qa_engine.store.models import Credential, CredentialVersion

    p = people(seeded)
    raw = _longest_credential_values()
    path = tmp_path / "longest.json"
    path.write_text(json.dumps([raw], ensure_ascii=False), encoding="utf-8")
    items = read_credentials_file(
        path,
        max_bytes=10_000_000,
        max_unzipped_bytes=10_000_000,
        known_providers=credential_import.known_providers(session=seeded, actor=p["officer"]),
    )
    given = items[0]
    for spec in FIELDS:  # every element is there, at its longest
        value = getattr(given, spec.name)
        assert value not in (None, []), spec.name
        if (
            not spec.multi
            and not spec.choices
            and spec.max_length >= 200
            and spec.name != "provider"
        ):
            assert len(value) == spec.max_length, spec.name
    assert given.title.count("😀") > 50 and len(given.title) == 400
    result = credential_import.import_credentials(
        session=seeded, actor=p["officer"], items=items, open_cases=True, source="longest.json"
    )
    assert result.created == [f"CUNI/{raw['reference']}"] and len(result.opened_cases) == 1
    seeded.flush()
    seeded.expire_all()
    stored = seeded.exec(select(Credential).where(Credential.reference == raw["reference"])).one()
    assert stored.title == given.title
    version = seeded.exec(
        select(CredentialVersion).where(CredentialVersion.credential_id == stored.id)
    ).one()
    assert credential_data(version) == given


def test_every_seeded_institution_is_found_by_its_code_and_its_names(seeded):
    from qa_engine.domain.institutions import institution_label, provider_code
    from qa_engine.store.models import Institution

    institutions = seeded.exec(select(Institution)).all()
    assert len(institutions) == 8
    for inst in institutions:
        for name in (inst.code, inst.name, inst.local_name, institution_label(inst.code)):
            assert provider_code(name) == inst.code, name
            assert provider_code(name.upper().replace("-", " ")) == inst.code, name


def test_an_edit_may_name_its_institution_by_name(seeded):
    from qa_engine.domain.institutions import ALLIANCE_NAMES
    from qa_engine.services import credentials as credential_service
    from tests.helpers import credential

    p = people(seeded)
    cred_id = credential(seeded, 0)
    code = SAMPLES[0]["provider"]
    english, local, _ = ALLIANCE_NAMES[code]
    raw = {**SAMPLES[0], "provider": local.upper(), "title": "A renamed course for the test"}
    saved = credential_service.submit_credential(
        session=seeded,
        actor=p[f"prov.{code.lower()}"],
        raw=raw,
        credential_id=cred_id,
        expected_version=1,
    )
    assert (saved.version, saved.outcome) == (2, "new_version")
    other = next(c for c in ALLIANCE_NAMES if c != code)
    with pytest.raises(ValidationFailed, match="cannot change"):
        credential_service.submit_credential(
            session=seeded,
            actor=p[f"prov.{code.lower()}"],
            raw={**raw, "provider": ALLIANCE_NAMES[other][0]},
            credential_id=cred_id,
            expected_version=2,
        )
