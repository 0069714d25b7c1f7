"""`qa-engine credentials import FILE.jsonld`: an ELM v3 (Europass) description, with what it lacks
given by --set; bad ELM files refused with their message and nothing imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa_engine.cli.main import app
from tests.adapters.test_elm_import import (
    SIGNED,
    SUPPLIED,
    UNSIGNED,
    full_credential,
    qualification_of,
)

runner = CliRunner()
SETS = [arg for field, value in SUPPLIED.items() for arg in ("--set", f"{field}={value}")]


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def flat(text: str) -> str:
    return " ".join(text.split())


def stored() -> str:
    listed = run("credentials", "list")
    assert listed.exit_code == 0, listed.output
    return listed.output


@pytest.mark.parametrize("sample", [UNSIGNED, SIGNED], ids=["unsigned", "sealed"])
def test_the_official_sample_imports_with_what_it_lacks_given_by_set(fresh_env, sample):
    assert run("init").exit_code == 0
    refused = run("credentials", "import", str(sample))
    assert refused.exit_code == 1
    output = flat(refused.output)
    assert f"error: {sample.name}: 6 problem(s); nothing was imported" in output
    assert "hasClaim.specifiedBy.identifier: Reference is missing" in output
    assert "on the upload page): contact_email=VALUE" in output
    assert "Credentials (0)" in stored()

    done = run("credentials", "import", str(sample), *SETS)
    assert done.exit_code == 0, done.output
    output = flat(done.output)
    assert f"imported 1 credential(s) from {sample.name}: 1 new" in output
    assert "note: texts read in English (en)" in output
    assert ("its seal was not checked here" in output) == (sample == SIGNED)
    assert "Credentials (1)" in stored()


def test_a_json_file_with_an_elm_context_is_read_as_elm(fresh_env, tmp_path):
    run("init")
    path = tmp_path / "mc.json"
    path.write_text(json.dumps(qualification_of(full_credential())), "utf-8")
    done = run("credentials", "import", str(path))
    assert done.exit_code == 0, done.output
    assert "imported 1 credential(s) from mc.json: 1 new" in flat(done.output)
    assert "Credentials (1)" in stored()


def test_set_is_refused_for_other_files_and_for_unknown_fields(fresh_env, tmp_path):
    run("init")
    engine_json = tmp_path / "mine.json"
    engine_json.write_text("[]", "utf-8")
    refused = run("credentials", "import", str(engine_json), "--set", "reference=X")
    assert refused.exit_code == 1
    assert "--set applies to ELM (.jsonld) files only" in flat(refused.output)
    bad = run("credentials", "import", str(UNSIGNED), "--set", "colour=red")
    assert bad.exit_code == 2
    assert "'colour' is not a credential field" in flat(bad.output)


def _not_json(folder: Path) -> Path:
    path = folder / "broken.jsonld"
    path.write_text('{"@context": "x",,}', "utf-8")
    return path


def _not_json_ld(folder: Path) -> Path:
    path = folder / "plain.jsonld"
    path.write_text(json.dumps({"type": "Qualification", "title": {"en": "A title"}}), "utf-8")
    return path


def _unknown_context(folder: Path) -> Path:
    doc = qualification_of(full_credential())
    doc["@context"] = "https://evil.example/context.jsonld"
    path = folder / "other.jsonld"
    path.write_text(json.dumps(doc), "utf-8")
    return path


def _too_large(folder: Path) -> Path:
    path = folder / "huge.jsonld"
    path.write_bytes(b" " * (3 * 1024 * 1024))
    return path


def _too_deep(folder: Path) -> Path:
    path = folder / "deep.jsonld"
    path.write_text("[" * 10_000 + "]" * 10_000, "utf-8")
    return path


def _no_qualification(folder: Path) -> Path:
    source = UNSIGNED.parent / "Sample-CertOfPart-unsigned.jsonld"
    path = folder / source.name
    path.write_bytes(source.read_bytes())
    return path


REFUSED = [
    (_not_json, "line 1 column 18: not valid JSON"),
    (_not_json_ld, "$: not JSON-LD: no @context"),
    (_unknown_context, "$.@context: unknown context 'https://evil.example/context.jsonld'"),
    (_too_large, "the file is 3 MB; the limit is 2 MB."),
    (_too_deep, "line 1 column 41: nested more than 40 levels deep"),
    (_no_qualification, "$.credentialSubject.hasClaim: no Qualification found"),
]


@pytest.mark.parametrize("build, expected", REFUSED, ids=[b.__name__ for b, _ in REFUSED])
def test_a_bad_elm_file_is_refused_with_its_message_and_nothing_imported(
    fresh_env, tmp_path, build, expected
):
    assert run("init").exit_code == 0
    path = build(tmp_path)
    result = run("credentials", "import", str(path), *SETS)
    output = flat(result.output)
    assert result.exit_code == 1, result.output
    assert f"error: {path.name}:" in output
    assert expected in output, output
    assert "Traceback" not in output and "RecursionError" not in output
    assert str(tmp_path) not in output
    assert "Credentials (0)" in stored()
