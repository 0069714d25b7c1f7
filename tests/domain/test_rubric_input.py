"""Rubric files as people hand them in: whatever the input, the answer is FILE:LINE: message,
quickly, with no traceback and no parser internals.

Each input is built here. The YAML cases run with libyaml's parser and with PyYAML's own (the
loader uses the first when PyYAML has it); both must give the same answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import qa_engine.domain.rubric_loader as rubric_loader
from qa_engine.domain.rubric_loader import (
    MAX_RUBRIC_BYTES,
    load_library,
    parse_yaml,
    read_rubric_file,
)

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = ROOT / "rubrics"

LOADERS = [pytest.param(yaml.SafeLoader, id="pyyaml")]
if getattr(yaml, "CSafeLoader", None) is not None:
    LOADERS.append(pytest.param(yaml.CSafeLoader, id="libyaml"))

VALID = """\
rubric: {id: ok, version: "1", title: T}
scales:
  - id: q
    levels:
      - {value: 0, label: None}
      - {value: 1, label: Some}
criteria:
  - {id: a, title: A, scale: q}
thresholds:
  - {outcome: approved, min_score: 0.5}
  - {outcome: rejected, min_score: 0}
"""


@pytest.fixture(params=LOADERS, autouse=True)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test runs with each parser (before this change the loader had no choice)."""
    monkeypatch.setattr(rubric_loader, "_Loader", request.param, raising=False)
    yield


def problems(path: Path) -> list[str]:
    return [str(p) for p in read_rubric_file(path).problems]


def write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def assert_clean(found: list[str]) -> None:
    """Every problem is one line of our own words: no parser dump, exception name or mark."""
    for p in found:
        assert "\n" not in p, p
        for leak in ("Error", "Traceback", "<unicode string>", "tag:yaml.org", "^"):
            assert leak not in p, p


def test_valid_rubric_reads(tmp_path):
    path = write(tmp_path, VALID)
    pf = read_rubric_file(path)
    assert pf.problems == []
    assert pf.model is not None and pf.model.rubric.id == "ok"
    # lines are kept for every value, keys taking the line of the key
    assert pf.lines[("criteria", 0, "scale")] == 8
    assert pf.lines[("thresholds", 1)] == 11


# --------------------------------------------------------------------------- depth


@pytest.mark.parametrize(
    ("shape", "levels"),
    [
        pytest.param(lambda n: "rubric: " + "[" * n + "]" * n + "\n", 5000, id="flow-lists"),
        pytest.param(
            lambda n: "rubric: " + "{a: " * n + "1" + "}" * n + "\n", 5000, id="flow-maps"
        ),
        # block nesting grows as the square of the depth: 1,000 levels make half a megabyte
        pytest.param(lambda n: "".join(" " * i + "-\n" for i in range(n)), 1000, id="block-lists"),
        pytest.param(
            lambda n: "".join(" " * i + f"k{i}:\n" for i in range(n)), 1000, id="block-maps"
        ),
    ],
)
def test_deep_nesting_is_refused_with_its_line(tmp_path, shape, levels):
    """5,000 levels used to end in a RecursionError without a location."""
    path = write(tmp_path, shape(levels))
    found = problems(path)
    assert len(found) == 1, found
    assert f"nested too deeply: more than {rubric_loader.MAX_YAML_DEPTH} levels" in found[0]
    line = int(found[0].removeprefix(f"{path}:").split(":")[0])
    assert 1 <= line <= rubric_loader.MAX_YAML_DEPTH + 1
    assert_clean(found)


def test_nesting_within_the_limit_is_read():
    inner = rubric_loader.MAX_YAML_DEPTH - 1  # lists inside the top mapping
    data, _, found = parse_yaml("k: " + "[" * inner + "]" * inner + "\n", "f")
    assert found == [] and data is not None
    data, _, found = parse_yaml("k: " + "[" * (inner + 1) + "]" * (inner + 1) + "\n", "f")
    assert data is None and [p.message.startswith("nested too deeply") for p in found] == [True]


# --------------------------------------------------------------------------- anchors and aliases


def alias_bomb(size: int) -> str:
    """A "billion laughs" of about `size` characters: ten aliases to the line above on each
    line, so that reading it naively expands to 10**lines values."""
    lines = ['l0: &l0 ["laugh", "laugh", "laugh", "laugh", "laugh"]']
    total = len(lines[0]) + 1
    while total < size:
        i = len(lines)
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
        total += len(lines[-1]) + 1
    return "\n".join(lines) + "\n"


BOMB_CHILD = """
import json, resource, sys, time
limit = 1 << 30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from typer.testing import CliRunner
import yaml
import qa_engine.domain.rubric_loader
from qa_engine.cli.main import app
qa_engine.domain.rubric_loader._Loader = getattr(yaml, sys.argv[2])
started = time.monotonic()
result = CliRunner().invoke(app, ["rubrics", "validate", sys.argv[1]])
elapsed = time.monotonic() - started
print(json.dumps({"elapsed": elapsed, "exit": result.exit_code, "output": result.output}))
"""


def test_alias_bomb_of_a_megabyte_is_refused_at_once(tmp_path):
    """`rubrics validate` on a 1 MB alias bomb: refused with its line, without expanding it.

    The command runs in a child process limited to 1 GiB of memory and 60 s, so that a reader
    that expands the aliases fails this test instead of taking the machine down (before, such a
    file ran 300 s and took 5.3 GB). The time is measured around the command only (not Python's
    start-up) and reported, not asserted: about 0.03 s; a busy machine must not fail it."""
    bomb = tmp_path / "bomb" / "bomb.yaml"
    bomb.parent.mkdir()
    bomb.write_text(alias_bomb(1024 * 1024), encoding="utf-8")
    assert 1024 * 1024 <= bomb.stat().st_size < MAX_RUBRIC_BYTES
    try:
        child = subprocess.run(
            [sys.executable, "-c", BOMB_CHILD, str(bomb), rubric_loader._Loader.__name__],
            capture_output=True,
            text=True,
            timeout=60,
            # the bomb's folder stands in for the rubrics folder, so that the time measured is
            # the bomb's alone, not that of reading the shipped rubrics in seven languages
            env={**os.environ, "QA_VERBOSE": "", "QA_RUBRICS_DIR": str(bomb.parent)},
        )
    except subprocess.TimeoutExpired:
        pytest.fail("rubrics validate did not answer a 1 MB alias bomb within 60 s")
    assert child.returncode == 0, child.stderr[-2000:]
    answer = json.loads(child.stdout.strip().splitlines()[-1])
    assert answer["exit"] == 1, answer["output"][-2000:]
    lines = answer["output"].splitlines()
    assert lines[0] == (
        f"{bomb}:1: the YAML anchor '&l0' is not accepted; write each value out in full"
    )
    assert len(lines) <= rubric_loader.MAX_LISTED + 1


def test_anchor_and_alias_each_on_their_line(tmp_path):
    path = write(
        tmp_path,
        """\
        rubric: {id: x, version: "1", title: T}
        scales:
          - id: q
            levels: &levels
              - {value: 0, label: None}
              - {value: 1, label: Some}
          - id: r
            levels: *levels
        """,
    )
    found = problems(path)
    assert found == [
        f"{path}:4: the YAML anchor '&levels' is not accepted; write each value out in full",
        f"{path}:8: the YAML alias '*levels' is not accepted; write the value out in full",
    ]


def test_merge_key_is_one_clean_message(tmp_path):
    """`<<: *x` used to be reported at line 1, followed by three lines of the parser's."""
    path = write(
        tmp_path,
        """\
        base: &base {version: "1", title: T}
        rubric:
          id: x
          <<: *base
        """,
    )
    found = problems(path)
    assert found == [
        f"{path}:1: the YAML anchor '&base' is not accepted; write each value out in full",
        f"{path}:4: a YAML merge key ('<<') is not accepted; write the keys out in full",
    ]
    assert_clean(found)


def test_merge_key_without_anchor_is_one_message(tmp_path):
    path = write(tmp_path, "rubric:\n  <<: *nowhere\n")
    assert problems(path) == [
        f"{path}:2: a YAML merge key ('<<') is not accepted; write the keys out in full"
    ]


def test_plain_merge_and_value_signs_as_values_are_text():
    data, _, found = parse_yaml("a: <<\nb: =\n'<<': c\n", "f")
    assert found == []
    assert data == {"a": "<<", "b": "=", "<<": "c"}


# --------------------------------------------------------------------------- characters and bytes


def test_control_character_is_located(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text('rubric:\n  id: x\n  title: "bell\x07"\n  version: "1\x00"\n')
    assert problems(path) == [
        f"{path}:3: column 15: the character U+0007 (a control character) is not allowed;"
        " remove it",
        f"{path}:4: column 14: the character U+0000 (a control character) is not allowed;"
        " remove it",
    ]


def test_lone_surrogate_in_the_file_is_located(tmp_path):
    """A surrogate written as UTF-8 bytes (as some tools do) is named as such, with its line."""
    path = tmp_path / "r.yaml"
    path.write_bytes(b"rubric:\n  id: x\n  title: ab\xed\xa0\x80c\n")
    assert problems(path) == [
        f"{path}:3: column 12: the character U+D800 (a lone surrogate, not a character)"
        " is not allowed; remove it"
    ]


def test_lone_surrogate_in_text_is_located():
    _, _, found = parse_yaml("a: 1\nb: x\udfffy\n", "f")
    assert [str(p) for p in found] == [
        "f:2: column 5: the character U+DFFF (a lone surrogate, not a character)"
        " is not allowed; remove it"
    ]


def test_many_odd_characters_are_listed_up_to_the_limit():
    text = "".join(f"k{i}: \x01\x02\n" for i in range(1000))
    _, _, found = parse_yaml(text, "f")
    assert [p.line for p in found] == list(range(1, rubric_loader.MAX_LISTED + 2))
    assert found[-1].message == "more such characters follow; they are not listed"


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("rubric:\n  id: x\n  title: Qualité\n".encode("latin-1"))
    assert problems(path) == [
        f"{path}:3: not UTF-8 text: the byte 0xE9 (column 16) cannot be read;"
        " save the file as UTF-8"
    ]


def test_utf16_is_named(tmp_path):
    path = tmp_path / "utf16.yaml"
    path.write_text(VALID, encoding="utf-16")
    assert problems(path) == [f"{path}:1: not UTF-8 text but UTF-16; save the file as UTF-8"]


def test_utf8_with_byte_order_mark_reads(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_text(VALID, encoding="utf-8-sig")
    assert problems(path) == []


def test_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_RUBRIC_BYTES + 1)  # sparse: a valid YAML comment would not matter
    assert problems(path) == [
        f"{path}:1: rubric file: the file is {MAX_RUBRIC_BYTES + 1:,} bytes;"
        f" the limit is {MAX_RUBRIC_BYTES:,} bytes."
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_pipe_is_refused_without_waiting(tmp_path):
    """A named pipe would block a reader until someone writes to it (and a device like
    /dev/zero never ends): only regular files are read."""
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.extend(problems(path)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a named pipe did not return"
    assert found == [f"{path}:1: cannot read: not a regular file"]


# --------------------------------------------------------------------------- YAML beyond data


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            "# a rubric\n\njust some text\n",
            3,
            "a rubric file must be a mapping with a 'rubric' key, not text",
            id="scalar",
        ),
        pytest.param(
            "# a rubric\n- rubric: x\n",
            2,
            "a rubric file must be a mapping with a 'rubric' key, not a list",
            id="list",
        ),
        pytest.param("# nothing yet\n", 1, "the file is empty", id="comment-only"),
        pytest.param(
            "# nothing\n---\n", 2, "the file is empty: its document holds no value", id="null"
        ),
        pytest.param(
            VALID + "---\nrubric: {id: other}\n",
            12,
            "a second YAML document starts here; a file holds one",
            id="two-documents",
        ),
        pytest.param(
            'rubric:\n  id: !!python/object/apply:os.system ["ls"]\n',
            2,
            "the YAML tag '!!python/object/apply:os.system' is not accepted",
            id="python-tag",
        ),
        pytest.param(
            "rubric:\n  id: !local x\n",
            2,
            "the YAML tag '!local' is not accepted",
            id="local-tag",
        ),
        pytest.param(
            "rubric:\n  id: x\n  tags: !!set {a, b}\n",
            3,
            "the YAML tag '!!set' is not accepted",
            id="set",
        ),
        pytest.param(
            "rubric:\n  id: x\n  version: 2024-13-45\n",
            3,
            "'2024-13-45' is not a valid date; quote it if text is meant",
            id="bad-date",
        ),
        pytest.param(
            "rubric:\n  id: x\n  version: !!int one\n",
            3,
            "'one' is not a valid whole number",
            id="bad-int",
        ),
        pytest.param(
            "rubric:\n  ? [a, b]\n  : x\n",
            2,
            "a key must be a plain value, not a mapping or a list",
            id="list-key",
        ),
    ],
)
def test_yaml_beyond_plain_data_is_located(tmp_path, text, line, message):
    path = write(tmp_path, text)
    found = problems(path)
    assert found == [f"{path}:{line}: {message}"]


def test_syntax_error_is_one_line(tmp_path):
    path = write(tmp_path, "rubric:\n  id: x\n  title: [unclosed\n")
    found = problems(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:") and "not valid YAML" in found[0]
    assert_clean(found)


# --------------------------------------------------------------------------- one file, one id


def test_the_same_file_named_twice_is_read_once(tmp_path):
    """The shipped folder and one of its files, or the folder through a symbolic link: each
    file is read once, and no rubric id 'is also used' by its own file."""
    link = tmp_path / "linked"
    link.symlink_to(RUBRICS, target_is_directory=True)
    lib = load_library([RUBRICS / "esg-2015-part1.yaml", RUBRICS, link])
    assert lib.all_problems() == []
    assert lib.files["esg-2015-part1"].path == RUBRICS / "esg-2015-part1.yaml"


def test_an_unchanged_copy_elsewhere_is_the_same_rubric(tmp_path):
    copy = tmp_path / "esg-2015-part1.yaml"
    shutil.copyfile(RUBRICS / "esg-2015-part1.yaml", copy)
    lib = load_library([copy, RUBRICS])
    assert lib.all_problems() == []


def test_a_changed_copy_with_the_same_id_is_reported_on_both(tmp_path):
    shipped = RUBRICS / "esg-2015-part1.yaml"
    copy = tmp_path / "mine.yaml"
    text = shipped.read_text()
    copy.write_text(text.replace('version: "1.1.0"', 'version: "1.2.0"', 1))
    assert copy.read_text() != text
    lib = load_library([copy, RUBRICS])
    found = [str(p) for p in lib.problems]
    assert f"{copy}:5: rubric id 'esg-2015-part1' is also used by {shipped}" in found
    assert f"{shipped}:5: rubric id 'esg-2015-part1' is also used by {copy}" in found
