"""`qa-engine credentials import FILE` over the corpus of awkward files
(`tests/adapters/test_import_corpus.py`): exit status 1 with the located message, never a
traceback, an exception's name or a server path, and nothing imported."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from qa_engine.cli.main import app
from tests.adapters.test_import_corpus import EXCEPTION_WORDS, REFUSED

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("build, expected", REFUSED, ids=[b.__name__ for b, _ in REFUSED])
def test_cli_import_of_each_corpus_file_exits_1_with_the_located_message(
    fresh_env, tmp_path, build, expected
):
    assert runner.invoke(app, ["init"], catch_exceptions=False).exit_code == 0
    files = tmp_path / "files"
    files.mkdir()
    path = build(files)
    result = runner.invoke(app, ["credentials", "import", str(path)], catch_exceptions=False)
    output = _flat(result.output)
    assert result.exit_code == 1, result.output
    assert _flat(expected) in output, result.output
    assert f"error: {path.name}:" in output, result.output
    assert not EXCEPTION_WORDS.search(re.sub(r"^error: ", "", output)), result.output
    assert str(files) not in output, result.output
    listed = runner.invoke(app, ["credentials", "list"], catch_exceptions=False)
    assert "Credentials (0)" in listed.output, listed.output
