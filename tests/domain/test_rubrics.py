"""Rubric files: the shipped ones are valid and complete; every kind of mistake is named with its
line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from qa_engine.domain.rubric_loader import RubricError, load_library
from qa_engine.domain.scoring import coverage
from qa_engine.domain.standards import DIGCOMP, ESG, EU_ELEMENTS, EU_PRINCIPLES, GREENCOMP

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = ROOT / "rubrics"

SCALE = """
scales:
  - id: q
    levels:
      - {value: 0, label: None}
      - {value: 1, label: Some}
      - {value: 2, label: Good}
      - {value: 3, label: Very good}
"""
THRESHOLDS = """
thresholds:
  - {outcome: approved, min_score: 0.7}
  - {outcome: revision_requested, min_score: 0.4}
  - {outcome: rejected, min_score: 0}
"""


def write(tmp_path: Path, name: str, body: str) -> Path:
    p = tmp_path / name
    text = textwrap.dedent(body).lstrip("\n")
    text = text.replace("@SCALE@", SCALE.strip("\n")).replace(
        "@THRESHOLDS@", THRESHOLDS.strip("\n")
    )
    p.write_text(text, encoding="utf-8")
    return p


def problems_for(tmp_path: Path) -> list[str]:
    lib = load_library([tmp_path])
    return [str(p) for p in lib.all_problems()]


def test_shipped_rubrics_are_valid():
    lib = load_library([RUBRICS])
    assert lib.all_problems() == []
    assert {
        "esg-2015-part1",
        "eu-microcredentials-2022",
        "digital-green-skills",
        "4eu-mici",
    } <= set(lib.ids())


def test_alliance_rubric_composes_and_covers_everything():
    rubric = load_library([RUBRICS]).get("4eu-mici")
    assert abs(sum(c.effective_weight for c in rubric.criteria) - 1.0) < 1e-9
    cov = coverage(rubric)
    for ref in list(ESG) + list(EU_PRINCIPLES) + list(EU_ELEMENTS):
        assert ref in cov.covered, ref
    assert cov.missing["ESG 2015 Part 1"] == []
    # the includes' weights are honoured: each part's share is its weight over the total weight
    parts = {i.rubric: i.weight for i in rubric.includes}
    own = sum(
        rc.criterion.weight
        for rc in rubric.criteria
        if rc.source == "4eu-mici" and rc.criterion.scored
    )
    total = sum(parts.values()) + own
    for part, weight in parts.items():
        share = sum(c.effective_weight for c in rubric.criteria if c.path[1:2] == (part,))
        assert share == pytest.approx(weight / total)


def test_digital_green_rubric_coverage_per_competence():
    """The shipped digital-green rubric names one DigComp competence (4.4) and no GreenComp
    competence; its other references are whole areas, which count for no competence."""
    cov = coverage(load_library([RUBRICS]).get("digital-green-skills"))
    dig, green = cov.competences
    assert (dig.framework, dig.total, green.framework, green.total) == (
        "DigComp 2.2",
        21,
        "GreenComp",
        12,
    )
    assert dig.addressed == {"DigComp-4.4": ["dg-digcomp"]}
    assert dig.missed == [c for c in DIGCOMP if c != "DigComp-4.4"] and len(dig.missed) == 20
    assert list(dig.areas) == ["DigComp-1", "DigComp-2", "DigComp-3", "DigComp-4", "DigComp-5"]
    assert green.addressed == {} and green.missed == list(GREENCOMP)
    assert list(green.areas) == ["GreenComp-1", "GreenComp-2", "GreenComp-3", "GreenComp-4"]
    assert dig.summary().startswith(
        "DigComp 2.2: 1 of 21 competences addressed; missed: DigComp-1.1 Browsing,"
    )
    assert "DigComp-4.4" not in dig.summary() and "DigComp-5.4 Identifying digital" in dig.summary()
    assert green.summary().startswith(
        "GreenComp: 0 of 12 competences addressed; missed: GreenComp-1.1 Valuing sustainability,"
    )
    assert "areas addressed as a whole, counting for no competence: 4 of 4" in green.area_summary()


def test_competence_coverage_counts_named_competences_not_areas(tmp_path):
    write(
        tmp_path,
        "comp.yaml",
        """
    rubric: {id: comp, version: "1", title: Competences}
    @SCALE@
    criteria:
      - {id: a, title: A, scale: q, maps_to: [DigComp-1.1, DigComp-3.4, GreenComp-2.1]}
      - {id: b, title: B, scale: q, maps_to: [DigComp-1.1, DigComp-2, GreenComp-4.3]}
    @THRESHOLDS@
    """,
    )
    dig, green = coverage(load_library([tmp_path]).get("comp")).competences
    assert dig.addressed == {"DigComp-1.1": ["a", "b"], "DigComp-3.4": ["a"]}
    assert dig.areas == {"DigComp-2": ["b"]}
    assert "DigComp-2.1" in dig.missed and len(dig.missed) == 19
    assert dig.summary().startswith("DigComp 2.2: 2 of 21 competences addressed; missed: ")
    assert green.summary().startswith("GreenComp: 2 of 12 competences addressed; missed: ")
    assert "GreenComp-2.1" not in green.summary()


def test_unknown_competence_is_a_located_error(tmp_path):
    path = write(
        tmp_path,
        "comp.yaml",
        """
    rubric: {id: comp, version: "1", title: Competences}
    @SCALE@
    criteria:
      - id: a
        title: A
        scale: q
        maps_to:
          - DigComp-4.4
          - DigComp-6.1
          - GreenComp-4.4
          - digcomp:2.3
    @THRESHOLDS@
    """,
    )
    text = "\n".join(problems_for(tmp_path))
    lines = path.read_text().splitlines()

    def line_of(fragment: str) -> int:
        return next(i + 1 for i, line in enumerate(lines) if fragment in line)

    assert (
        f"{path}:{line_of('DigComp-6.1')}: criterion 'a': unknown maps_to reference 'DigComp-6.1':"
        " DigComp 2.2 has no competence or area '6.1'"
        " (areas DigComp-1 … DigComp-5, competences DigComp-1.1 … DigComp-5.4)"
    ) in text
    assert (
        f"{path}:{line_of('GreenComp-4.4')}: criterion 'a': unknown maps_to reference"
        " 'GreenComp-4.4': GreenComp has no competence or area '4.4'"
        " (areas GreenComp-1 … GreenComp-4, competences GreenComp-1.1 … GreenComp-4.3)"
    ) in text
    assert (
        f"{path}:{line_of('digcomp:2.3')}: criterion 'a': unknown maps_to reference"
        " 'digcomp:2.3': write it 'DigComp-2.3'"
    ) in text
    assert f"{path}:{line_of('DigComp-4.4')}:" not in text


def test_esg_rubric_has_all_ten_standards():
    rubric = load_library([RUBRICS]).get("esg-2015-part1")
    mapped = {ref for c in rubric.criteria for ref in c.criterion.maps_to if ref.startswith("ESG-")}
    assert mapped == set(ESG)


def test_content_hash_is_stable_and_changes_with_content(tmp_path):
    body = """
    rubric: {id: r1, version: "1", title: T}
    @SCALE@
    criteria:
      - {id: a, title: A, scale: q}
    @THRESHOLDS@
    """
    write(tmp_path, "r1.yaml", body)
    h1 = load_library([tmp_path]).get("r1").content_hash
    assert load_library([tmp_path]).get("r1").content_hash == h1
    write(tmp_path, "r1.yaml", body.replace("title: A", "title: B"))
    assert load_library([tmp_path]).get("r1").content_hash != h1


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        ("rubric: {id: x, version: '1', title: T\n", 2, "not valid YAML"),
        (
            "rubric: {id: x, version: '1', title: T, colour: red}\ncriteria: []\n",
            1,
            "unknown key 'colour'",
        ),
        ("rubric: {id: x, version: '1'}\n", 1, "missing field 'title'"),
    ],
)
def test_structural_problems_are_named(tmp_path, body, line, needle):
    path = write(tmp_path, "x.yaml", body)
    found = problems_for(tmp_path)
    assert any(p.startswith(f"{path}:{line}:") and needle in p for p in found), found


def test_semantic_problems_each_on_their_line(tmp_path):
    path = write(
        tmp_path,
        "bad.yaml",
        """
    rubric:
      id: bad
      version: "1"
      title: Bad rubric
    @SCALE@
    criteria:
      - id: a
        title: A
        scale: q
        weight: 0
      - id: a
        title: A again
        scale: q
      - id: b
        title: B
        scale: q
        gate: {min_level: 7}
      - id: c
        title: C
        scale: q
        maps_to: [ESG-1.11, EU-P3]
      - id: d
        title: D
        scale: nope
    @THRESHOLDS@
    """,
    )
    found = problems_for(tmp_path)
    text = "\n".join(found)
    lines = path.read_text().splitlines()

    def line_of(fragment: str, nth: int = 0) -> int:
        hits = [i + 1 for i, line in enumerate(lines) if fragment in line]
        return hits[nth]

    assert f"{path}:{line_of('weight: 0')}: criterion 'a': weight must be positive" in text
    assert f"{path}:{line_of('- id: a', 1)}: duplicate criterion id 'a'" in text
    assert (
        f"{path}:{line_of('gate:')}: criterion 'b': gate level 7 is beyond the scale (0–3)" in text
    )
    assert (
        f"{path}:{line_of('maps_to')}: criterion 'c': unknown maps_to reference 'ESG-1.11'" in text
    )
    assert f"{path}:{line_of('scale: nope')}: criterion 'd': unknown scale 'nope'" in text
    assert "EU-P3" not in text


def test_include_cycle_and_unknown_include(tmp_path):
    a = write(
        tmp_path,
        "a.yaml",
        """
    rubric: {id: a, version: "1", title: A}
    includes:
      - {rubric: b, weight: 1}
    @THRESHOLDS@
    """,
    )
    write(
        tmp_path,
        "b.yaml",
        """
    rubric: {id: b, version: "1", title: B}
    includes:
      - {rubric: a, weight: 1}
      - {rubric: ghost, weight: 1}
    @THRESHOLDS@
    """,
    )
    found = problems_for(tmp_path)
    assert any(p.startswith(f"{a}:3:") and "include cycle: b -> a -> b" in p for p in found), found
    assert any("include cycle: a -> b -> a" in p for p in found), found
    assert any("includes unknown rubric 'ghost'" in p for p in found), found
    with pytest.raises(RubricError):
        load_library([tmp_path]).get("a")


def test_duplicate_yaml_key_is_reported(tmp_path):
    path = write(
        tmp_path,
        "d.yaml",
        """
    rubric: {id: d, version: "1", title: D}
    @SCALE@
    criteria:
      - id: a
        title: A
        title: A2
        scale: q
    @THRESHOLDS@
    """,
    )
    found = problems_for(tmp_path)
    assert any(p.startswith(f"{path}:") and "duplicate key 'title'" in p for p in found), found


def test_thresholds_must_reach_zero_and_be_ordered(tmp_path):
    write(
        tmp_path,
        "t.yaml",
        """
    rubric: {id: t, version: "1", title: T}
    @SCALE@
    criteria:
      - {id: a, title: A, scale: q}
    thresholds:
      - {outcome: approved, min_score: 0.3}
      - {outcome: rejected, min_score: 0.5}
    """,
    )
    text = "\n".join(problems_for(tmp_path))
    assert "without an outcome" in text
    assert "below the one for the worse outcome" in text


def test_non_utf8_and_empty_files(tmp_path):
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00rubric")
    (tmp_path / "empty.yaml").write_text("")
    text = "\n".join(problems_for(tmp_path))
    assert "bin.yaml:1: not UTF-8" in text
    assert "empty.yaml:1: the file is empty" in text
