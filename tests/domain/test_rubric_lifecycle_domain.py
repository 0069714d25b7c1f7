"""Rubric drafts (a file on its own, or against the installed set) and the comparison of two
versions in words, with the effect on standards coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from qa_engine.domain.rubric import Rubric
from qa_engine.domain.rubric_diff import diff_rubrics
from qa_engine.domain.rubric_drafts import check_drafts, draft_library, version_key
from qa_engine.domain.rubric_loader import read_rubric_file

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = ROOT / "rubrics"
ESG = RUBRICS / "esg-2015-part1.yaml"


def esg_data() -> dict:
    return yaml.safe_load(ESG.read_text())


def write(folder: Path, data: dict, name: str = "esg-2015-part1.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def compose(path: Path) -> Rubric:
    pf = read_rubric_file(path)
    assert pf.problems == [], pf.problems
    return draft_library([pf], [RUBRICS]).get(pf.model.rubric.id)


def criterion(data: dict, cid: str) -> dict:
    return next(c for c in data["criteria"] if c["id"] == cid)


# ----------------------------------------------------------------------------------- versions


def test_versions_are_ordered_as_numbers():
    assert version_key("1.10.0") > version_key("1.9.2")
    assert version_key("2.0") > version_key("1.99")
    assert version_key("1.0.0") == version_key("1.0.0")
    assert version_key("1.0.0-rc1") < version_key("1.0.0.1")


# ----------------------------------------------------------------------------------- drafts


def test_a_copy_of_a_shipped_rubric_validates_on_its_own(tmp_path):
    copy = tmp_path / "drafts" / ESG.name
    copy.parent.mkdir()
    shutil.copyfile(ESG, copy)
    # changed, it is still valid on its own: it takes the place of the installed file
    copy.write_text(ESG.read_text().replace("weight: 1.5", "weight: 2.5"))
    found = check_drafts([copy], None, RUBRICS)
    assert found.problems == []


def test_the_same_version_and_content_against_the_installed_set_is_identical(tmp_path):
    copy = tmp_path / ESG.name
    shutil.copyfile(ESG, copy)
    found = check_drafts([copy], RUBRICS, RUBRICS)
    assert found.problems == []
    assert found.notes == [f"{copy}: identical to {ESG} (rubric 'esg-2015-part1' 1.1.0)"]


def test_the_same_version_with_other_content_names_the_other_file_and_line(tmp_path):
    data = esg_data()
    criterion(data, "esg-1.4")["weight"] = 3
    draft = write(tmp_path, data)
    found = check_drafts([draft], RUBRICS, RUBRICS)
    assert [str(p) for p in found.problems] == [
        f"{draft}:3: rubric 'esg-2015-part1' version 1.1.0 is also at {ESG}:6 with other content;"
        " a version is never changed in place: give this file a version above 1.1.0"
    ]


def test_a_higher_version_is_a_valid_new_version(tmp_path):
    data = esg_data()
    data["rubric"]["version"] = "1.2.0"
    criterion(data, "esg-1.4")["weight"] = 3
    draft = write(tmp_path, data)
    found = check_drafts([draft], RUBRICS, RUBRICS)
    assert found.problems == []
    assert found.notes == [
        f"{draft}: new version 1.2.0 of rubric 'esg-2015-part1' (installed: 1.1.0 at {ESG}:6)"
    ]


def test_a_lower_version_is_refused(tmp_path):
    data = esg_data()
    data["rubric"]["version"] = "0.9.0"
    draft = write(tmp_path, data)
    found = check_drafts([draft], RUBRICS, RUBRICS)
    assert [str(p) for p in found.problems] == [
        f"{draft}:3: rubric 'esg-2015-part1' version 0.9.0 is older than the installed"
        f" version 1.1.0 at {ESG}:6; a new version must be above it"
    ]


def test_a_draft_still_reports_its_own_problems(tmp_path):
    data = esg_data()
    data["rubric"]["version"] = "1.2.0"
    criterion(data, "esg-1.4")["maps_to"] = ["ESG-9.9"]
    draft = write(tmp_path, data)
    found = check_drafts([draft], RUBRICS, RUBRICS)
    assert len(found.problems) == 1
    assert "unknown maps_to reference 'ESG-9.9'" in str(found.problems[0])
    assert str(found.problems[0]).startswith(f"{draft}:")


# ----------------------------------------------------------------------------------- diff


def test_an_unchanged_rubric_has_no_differences():
    old = compose(ESG)
    assert diff_rubrics(old, old).unchanged


def test_diff_says_in_words_what_changed_and_the_coverage_effect(tmp_path):
    old = compose(ESG)
    data = esg_data()
    data["rubric"]["version"] = "2.0.0"
    criterion(data, "esg-1.4")["weight"] = 2.0  # raised weight
    criterion(data, "esg-1.6")["gate"] = {"min_level": 2, "otherwise": "rejected"}  # new gate
    criterion(data, "esg-1.7")["id"] = "esg-1.7-info"  # renamed, same title
    data["criteria"] = [c for c in data["criteria"] if c["id"] != "esg-1.9"]  # removed
    # maps_to: 1.10 no longer serves EU-P1, now serves DigComp-4.4 and the optional element O1
    criterion(data, "esg-1.10")["maps_to"] = ["ESG-1.10", "DigComp-4.4", "EU-A1.O1"]
    data["thresholds"][0]["min_score"] = 0.8
    new = compose(write(tmp_path, data))

    found = diff_rubrics(old, new)
    texts = [c.text for c in found.changes]
    assert "version: 1.1.0 → 2.0.0" in texts
    assert "weight of 'esg-1.4' raised from 1 to 2" in texts
    assert "gate added on 'esg-1.6': at least 2, otherwise rejected" in texts
    assert "criterion 'esg-1.7' renamed 'esg-1.7-info'" in texts
    assert any(t.startswith("criterion 'esg-1.9' (") and " removed " in t for t in texts)
    assert "maps_to of 'esg-1.10' gains DigComp-4.4, EU-A1.O1" in texts
    assert "maps_to of 'esg-1.10' loses EU-P1" in texts
    assert "threshold for approved raised from 0.75 to 0.8" in texts
    assert any(
        c.area == "weights" and c.text.startswith("share in the overall") for c in found.changes
    )
    # nothing about the renamed criterion except its new id; no criterion added or removed twice
    assert not any("'esg-1.7-info' (" in t and "added" in t for t in texts)

    coverage = {c.reference: c for c in found.coverage}
    # ESG-1.9 was covered by esg-1.9 only; EU-P1 is still served by 1.1 and 1.5
    assert set(coverage) == {"ESG-1.9", "DigComp-4.4", "EU-A1.O1"}
    assert coverage["ESG-1.9"].covered is False
    assert coverage["ESG-1.9"].criteria == ("esg-1.9",)
    assert coverage["DigComp-4.4"].covered is True
    assert coverage["DigComp-4.4"].criteria == ("esg-1.10",)
    lines = found.lines()
    assert "coverage:" in lines
    assert any(
        line.strip().startswith("ESG-1.9 ")
        and "is no longer covered; was covered by esg-1.9" in line
        for line in lines
    )
    assert any("DigComp-4.4" in line and "becomes covered; by esg-1.10" in line for line in lines)


def test_diff_of_gates_scales_and_includes(tmp_path):
    mici = RUBRICS / "4eu-mici.yaml"
    old = compose(mici)
    data = yaml.safe_load(mici.read_text())
    data["rubric"]["version"] = "1.2.0"
    data["includes"][0]["weight"] = 0.5
    data["includes"] = [i for i in data["includes"] if i["rubric"] != "digital-green-skills"]
    gated = next(c for c in data["criteria"] if c.get("kind", "scale") == "scale")
    gated["gate"] = {"min_level": 1}
    folder = tmp_path / "d"
    new = compose(write(folder, data, "4eu-mici.yaml"))
    texts = [c.text for c in diff_rubrics(old, new).changes]
    first = yaml.safe_load(mici.read_text())["includes"][0]
    assert "include 'digital-green-skills' (weight 0.25) removed" in texts
    assert f"weight of include '{first['rubric']}' raised from {first['weight']:g} to 0.5" in texts
    assert f"gate added on '{gated['id']}': at least 1, otherwise revision requested" in texts
    assert any(t.startswith("criterion 'dg-") and "removed" in t for t in texts)


def test_diff_of_a_scale_and_a_gate_level(tmp_path):
    old = compose(ESG)
    data = esg_data()
    data["rubric"]["version"] = "1.1.1"
    data["scales"][0]["levels"][4]["label"]["en"] = "Outstanding"
    data["scales"][0]["levels"][2]["descriptor"]["en"] = "Partly there."
    criterion(data, "esg-1.2")["gate"]["min_level"] = 3
    texts = [c.text for c in diff_rubrics(old, compose(write(tmp_path, data))).changes]
    assert "scale 'quality-0-4': label of level 4: 'Exemplary' → 'Outstanding'" in texts
    assert "scale 'quality-0-4': descriptor of level 2 (Developing) reworded" in texts
    assert "gate of 'esg-1.2' raised from 2 to 3" in texts


def test_two_drafts_with_one_id_are_reported_in_both(tmp_path):
    first = write(tmp_path / "a", esg_data())
    data = esg_data()
    data["rubric"]["version"] = "1.2.0"
    second = write(tmp_path / "b", data)
    found = [str(p) for p in check_drafts([first, second], None, RUBRICS).problems]
    assert f"{first}:2: rubric id 'esg-2015-part1' is also used by {second}" in found
    assert f"{second}:2: rubric id 'esg-2015-part1' is also used by {first}" in found
