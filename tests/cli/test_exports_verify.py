"""``qa-engine exports verify FILE``: the seal's verdict in words, exit 0 only when valid."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa_engine.adapters.dev_pki import create_dev_pki
from qa_engine.adapters.jose_seal import Sealer
from qa_engine.cli.main import app
from qa_engine.config import get_settings
from qa_engine.domain.limits import MAX_SEALED_FILE_BYTES

EDC_SAMPLE = (
    Path(__file__).resolve().parents[1] / "data" / "formats" / "Sample-MC-Annex1-signed.jsonld"
)
WHEN = dt.datetime(2026, 12, 3, 16, 0, tzinfo=dt.UTC)
RECORD = {"id": "urn:uuid:1c2d3e4f-0000-4000-8000-000000000001", "decision": "approved"}

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    """The exit status and the output, with the console's line wrapping undone."""
    result = runner.invoke(app, ["exports", "verify", *args], catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def sealer(fresh_env) -> Sealer:
    """The data folder's development PKI, as `qa-engine init` creates it."""
    return Sealer.from_signer(create_dev_pki(get_settings().pki_dir).signer())


def test_valid_seals_say_who_and_when_and_exit_0(sealer, tmp_path):
    files = {
        "export.jsonld": json.dumps(sealer.seal_jades(RECORD, signing_time=WHEN)),
        "record.jws": sealer.seal_json(RECORD, signing_time=WHEN) + "\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text)
        code, said = run(str(path))
        assert code == 0, said
        assert "Valid — sealed by 4EU+ Alliance QA (development) report signing on 3 December" in (
            said
        )
        assert "signing time (claimed by the sealer): 2026-12-03 16:00:00 UTC" in said
        assert "trust roots: the development CA of the data folder" in said


def test_a_changed_export_is_modified_and_exits_1(sealer, tmp_path):
    sealed = sealer.seal_jades(RECORD, signing_time=WHEN)
    sealed["payload"] = sealed["payload"].replace("approved", "rejected")
    path = tmp_path / "export.jsonld"
    path.write_text(json.dumps(sealed))
    code, said = run(str(path))
    assert code == 1
    assert "Modified after sealing" in said
    assert "changed after sealing" in said


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (json.dumps(RECORD), "Not sealed"),
        ("this is not JSON", "Not a sealed file"),
    ],
)
def test_unsealed_and_unreadable_files_exit_1(fresh_env, tmp_path, content, words):
    path = tmp_path / "file.json"
    path.write_text(content)
    code, said = run(str(path))
    assert code == 1
    assert words in said
    assert "Traceback" not in said


def test_edc_sample_reads_without_creating_anything(fresh_env):
    code, said = run(str(EDC_SAMPLE))
    assert code == 1
    assert "Sealed, but not by a trusted key" in said
    assert "sealed by: TEST SEAL (ORGANIZACION TEST)" in said
    assert "timestamp (from a timestamp authority): 2023-09-27 11:54:20 UTC" in said
    assert "trust roots: none" in said
    assert not fresh_env.exists()  # reads only: no data folder, database or key


def test_missing_and_oversized_files_are_clear_errors(fresh_env, tmp_path):
    code, said = run(str(tmp_path / "absent.json"))
    assert code == 1
    assert "absent.json: file not found" in said
    big = tmp_path / "big.json"
    with big.open("wb") as out:
        out.truncate(MAX_SEALED_FILE_BYTES + 1)
    code, said = run(str(big))
    assert code == 1
    assert "the limit is" in said
    code, said = run(str(tmp_path))
    assert code == 1
    assert "not a file" in said
