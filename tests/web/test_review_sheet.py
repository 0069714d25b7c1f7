"""The offline review sheet: written with the rubric's descriptors and allowed scores, read back
with errors that name the cell. No database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qa_engine.adapters.review_sheet import (
    FIRST_ROW,
    ReviewSheetInvalid,
    build_review_sheet,
    locate,
    read_review_sheet,
)
from qa_engine.domain.entries import EntriesInvalid, EntryProblem
from qa_engine.services.rubrics import load

RUBRIC = load("4eu-mici")
HASH = RUBRIC.content_hash
LIMITS = {"max_bytes": 5_000_000, "max_unzipped_bytes": 50_000_000}
KEYS = {"case_id": 3, "round_": 1}  # the case and round of the sheets written here


def sheet(tmp_path: Path, fill=None, **kw) -> Path:
    data = build_review_sheet(
        rubric=RUBRIC,
        rubric_hash=HASH,
        assignment_id=7,
        case_id=3,
        round_=1,
        draft_version=kw.pop("draft_version", 0),
        credential_title='=HYPERLINK("http://evil")',
        **kw,
    )
    wb = load_workbook(io.BytesIO(data))
    if fill:
        fill(wb)
    path = tmp_path / "review.xlsx"
    wb.save(path)
    return path


def rows(wb):
    ws = wb["Review"]
    return {
        ws.cell(row=r, column=1).value: r
        for r in range(FIRST_ROW, ws.max_row + 1)
        if ws.cell(row=r, column=1).value
    }


def fill_all(wb, score=3):
    ws = wb["Review"]
    for key, r in rows(wb).items():
        rc = RUBRIC.criterion(key)
        if rc is not None:
            if rc.criterion.kind == "scale":
                ws.cell(row=r, column=3, value=score)
            elif rc.criterion.kind == "yes_no":
                ws.cell(row=r, column=3, value="yes")
            ws.cell(row=r, column=4, value=f"Comment on {key}")
        elif key == "recommendation":
            ws.cell(row=r, column=3, value="approved_with_conditions")
        elif key == "overall_comment":
            ws.cell(row=r, column=4, value="Overall fine.")


def test_the_sheet_has_one_row_per_criterion_descriptors_lists_and_a_hidden_key(tmp_path):
    wb = load_workbook(sheet(tmp_path, scores={"esg-1.1": 2}, comments={"esg-1.1": "=SUM(A1)"}))
    ws = wb["Review"]
    keys = rows(wb)
    assert [k for k in keys if RUBRIC.criterion(k)] == [rc.id for rc in RUBRIC.reviewer_criteria]
    r = keys["esg-1.1"]
    assert ws.cell(row=r, column=3).value == 2
    assert (
        ws.cell(row=r, column=4).value == "=SUM(A1)" and ws.cell(row=r, column=4).data_type == "s"
    )
    assert ws["A1"].data_type == "s", "user text is never a formula"
    assert "3 Meets the standard" in ws.cell(row=r, column=5).value
    lists = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert '"0,1,2,3,4"' in lists and f"C{r}" in lists['"0,1,2,3,4"'].split()
    assert '"yes,no"' in lists
    assert wb["Meta"].sheet_state == "hidden"
    assert wb["Meta"]["B1"].value == 7 and wb["Meta"]["B2"].value == HASH


def test_a_filled_sheet_reads_back_into_review_entries(tmp_path):
    got = read_review_sheet(
        sheet(tmp_path, fill_all),
        rubric=RUBRIC,
        rubric_hash=HASH,
        assignment_id=7,
        **KEYS,
        **LIMITS,
    )
    assert (
        got.recommendation == "approved_with_conditions" and got.overall_comment == "Overall fine."
    )
    assert got.entries["esg-1.1"] == {"score": 3, "comment": "Comment on esg-1.1"}
    assert got.entries["dg-stackable"]["score"] is True
    assert got.entries["eu-notes"] == {"comment": "Comment on eu-notes"}


def test_every_wrong_cell_is_named(tmp_path):
    def spoil(wb):
        fill_all(wb)
        ws = wb["Review"]
        k = rows(wb)
        ws.cell(row=k["esg-1.2"], column=3, value=7)
        ws.cell(row=k["esg-1.3"], column=3, value="three")
        ws.cell(row=k["esg-1.4"], column=3, value=2.5)
        ws.cell(row=k["dg-stackable"], column=3, value="perhaps")
        ws.cell(row=k["eu-notes"], column=3, value=2)
        ws.cell(row=k["recommendation"], column=3, value="great")
        ws.cell(row=k["esg-1.5"], column=1, value="esg-9.9")

    with pytest.raises(ReviewSheetInvalid) as err:
        read_review_sheet(
            sheet(tmp_path, spoil),
            rubric=RUBRIC,
            rubric_hash=HASH,
            assignment_id=7,
            **KEYS,
            **LIMITS,
        )
    details = err.value.details
    wb = load_workbook(sheet(tmp_path, fill_all))
    k = rows(wb)
    expected = [
        f"Review!C{k['esg-1.2']}: 7 is not a level of the scale",
        f"Review!C{k['esg-1.3']}: 'three' is not a score",
        f"Review!C{k['esg-1.4']}: 2.5 is not a whole number",
        f"Review!C{k['dg-stackable']}: write yes or no",
        f"Review!C{k['eu-notes']}: this criterion takes no score",
        f"Review!C{k['recommendation']}: 'great' is not one of",
        f"Review!A{k['esg-1.5']}: unknown criterion 'esg-9.9'",
    ]
    for prefix in expected:
        assert any(d.startswith(prefix) for d in details), (prefix, details)


def test_a_sheet_of_another_assignment_or_rubric_version_is_refused(tmp_path):
    path = sheet(tmp_path, fill_all)
    with pytest.raises(ReviewSheetInvalid, match="1 problem") as err:
        read_review_sheet(path, rubric=RUBRIC, rubric_hash=HASH, assignment_id=8, **KEYS, **LIMITS)
    assert err.value.details[0].startswith("Meta!B1: this sheet belongs to assignment 7, not 8")
    with pytest.raises(ReviewSheetInvalid) as err:
        read_review_sheet(
            path, rubric=RUBRIC, rubric_hash="0" * 64, assignment_id=7, **KEYS, **LIMITS
        )
    assert err.value.details[0].startswith(
        "Meta!B2: the sheet was made for another version of the rubric"
    )


def test_not_a_review_sheet(tmp_path):
    from openpyxl import Workbook

    other = tmp_path / "other.xlsx"
    Workbook().save(other)
    with pytest.raises(ReviewSheetInvalid, match="not a review sheet"):
        read_review_sheet(other, rubric=RUBRIC, rubric_hash=HASH, assignment_id=7, **KEYS, **LIMITS)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(Exception, match="not an .xlsx workbook"):
        read_review_sheet(junk, rubric=RUBRIC, rubric_hash=HASH, assignment_id=7, **KEYS, **LIMITS)


def test_service_problems_are_located_in_the_sheet(tmp_path):
    got = read_review_sheet(
        sheet(tmp_path, fill_all),
        rubric=RUBRIC,
        rubric_hash=HASH,
        assignment_id=7,
        **KEYS,
        **LIMITS,
    )
    exc = EntriesInvalid(
        [
            EntryProblem("esg-1.1", "a score is required"),
            EntryProblem("esg-1.2", "a comment is required"),
        ]
    )
    located = locate(got, exc, "review.xlsx")
    r1, r2 = got.rows["esg-1.1"], got.rows["esg-1.2"]
    assert located.details == [
        f"Review!C{r1}: a score is required",
        f"Review!D{r2}: a comment is required",
    ]


def test_a_sheet_of_another_round_or_case_is_refused(tmp_path):
    path = sheet(tmp_path, fill_all)
    with pytest.raises(ReviewSheetInvalid) as err:
        read_review_sheet(
            path, rubric=RUBRIC, rubric_hash=HASH, assignment_id=7, case_id=3, round_=2, **LIMITS
        )
    assert err.value.details == [
        "Meta!B6: this sheet belongs to round 1, not 2: download the sheet of this review again"
    ]
    with pytest.raises(ReviewSheetInvalid) as err:
        read_review_sheet(
            path, rubric=RUBRIC, rubric_hash=HASH, assignment_id=7, case_id=4, round_=1, **LIMITS
        )
    assert err.value.details[0].startswith("Meta!B4: this sheet belongs to case 3, not 4")


def test_the_markers_sit_in_a_hidden_protected_sheet_and_name_the_draft_version(tmp_path):
    wb = load_workbook(sheet(tmp_path, draft_version=5))
    meta = wb["Meta"]
    assert meta.sheet_state == "hidden" and meta.protection.sheet
    marks = {
        meta.cell(row=r, column=1).value: meta.cell(row=r, column=2).value for r in range(1, 8)
    }
    assert marks["case_id"] == 3 and marks["round"] == 1 and marks["draft_version"] == 5
    got = read_review_sheet(
        sheet(tmp_path, fill_all, draft_version=5),
        rubric=RUBRIC,
        rubric_hash=HASH,
        assignment_id=7,
        **KEYS,
        **LIMITS,
    )
    assert got.draft_version == 5 and got.version_cell == "Meta!B7"


@pytest.mark.parametrize(
    ("spoil", "where"),
    [
        (lambda ws: ws.insert_cols(3), ["Review!C4", "Review!D4", "Review!E4", "Review!F4"]),
        (lambda ws: ws.delete_cols(2), ["Review!B4", "Review!C4", "Review!D4", "Review!E4"]),
        (lambda ws: ws.cell(row=4, column=4, value="Remarks"), ["Review!D4"]),
        (lambda ws: ws.cell(row=4, column=8, value="Extra"), ["Review!H4"]),
    ],
    ids=["inserted", "deleted", "renamed", "unknown"],
)
def test_a_moved_renamed_or_unknown_column_is_refused_before_any_cell_is_read(
    tmp_path, spoil, where
):
    def change(wb):
        fill_all(wb)
        spoil(wb["Review"])

    with pytest.raises(ReviewSheetInvalid) as err:
        read_review_sheet(
            sheet(tmp_path, change),
            rubric=RUBRIC,
            rubric_hash=HASH,
            assignment_id=7,
            **KEYS,
            **LIMITS,
        )
    assert [d.split(":")[0] for d in err.value.details][: len(where)] == where, err.value.details
