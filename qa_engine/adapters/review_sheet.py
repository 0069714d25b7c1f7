"""The offline review sheet: a workbook with one row per criterion (score, comment, the scale's
descriptors, a list of allowed scores), read back into review entries with errors that name the cell
(``Review!C7: message``). A hidden, protected sheet ties the file to its case, assignment, round,
rubric version and the draft version it was made from; the sheet name and the column titles are
checked before any cell is read, so a moved, renamed or inserted column is refused, never read
into the wrong field."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from qa_engine.adapters.safe_xlsx import open_untrusted_workbook, write_cell
from qa_engine.domain.entries import EntriesInvalid, Gettext, Ngettext, check_score, render
from qa_engine.domain.errors import Detail, ValidationFailed
from qa_engine.domain.i18n import N_, Message, Nn_
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubric import ResolvedCriterion, Rubric

SHEET = "Review"
META = "Meta"
FORMAT = "qa-engine-review-sheet/1"
FIRST_ROW = 5
HEADER_ROW = FIRST_ROW - 1
COLUMNS = ("Criterion", "Title", "Score", "Comment", "Allowed scores and descriptors", "Guidance")
SCORE_COL, COMMENT_COL = "C", "D"
RECOMMENDATION_KEY = "recommendation"
OVERALL_KEY = "overall_comment"
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
NO_INPUT_FILL = PatternFill("solid", fgColor="E7E6E6")
WRAP = Alignment(wrap_text=True, vertical="top")
YES = {"yes", "y", "true", "1", "ja", "oui", "si", "sì", "tak", "ano"}
NO = {"no", "n", "false", "0", "nein", "non", "nie", "ne", "nej"}


def _m(text: str, **params: object) -> Message:
    """A problem's text for the message catalogs (marked with N_ where it is written), shown in the
    reader's language; the cell reference stays as it is."""
    return Message(text, params=params)


@dataclass
class SheetProblem:
    """A wrong cell (`where`: ``Review!C7``, or the file's name) and what is wrong with it: plain
    (English) text or a `Message`, shown in the reader's language."""

    where: str
    message: Detail

    @property
    def text(self) -> str:
        return self.message.english() if isinstance(self.message, Message) else self.message

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


class ReviewSheetInvalid(ValidationFailed):
    def __init__(self, source: str, problems: list[SheetProblem]) -> None:
        self.problems = problems
        self.count = Nn_(
            "%(file)s: %(num)s problem; nothing was saved",
            "%(file)s: %(num)s problems; nothing was saved",
            len(problems),
            file=source,
        )
        super().__init__(self.count.english(), details=[str(p) for p in problems])

    def in_language(self, gettext: Gettext, ngettext: Ngettext) -> tuple[str, list[str]]:
        return self.count.render(gettext, ngettext), [
            f"{p.where}: {render(p.message, gettext, ngettext)}" for p in self.problems
        ]


class StaleReviewSheet(ReviewSheetInvalid):
    """The sheet was made from an older draft than the stored one."""

    status = 409
    code = "stale_update"


@dataclass
class ReviewSheet:
    entries: dict[str, dict[str, Any]]
    recommendation: str | None
    overall_comment: str
    rows: dict[str, int] = field(default_factory=dict)  # criterion id (or key) -> row number

    draft_version: int = 0  # the version of the draft the sheet was made from
    version_cell: str = f"{META}!B1"

    def cell_of(self, criterion_id: str, column: str = SCORE_COL) -> str:
        row = self.rows.get(criterion_id)
        return f"{SHEET}!{column}{row}" if row else f"{SHEET} ({criterion_id})"


# --------------------------------------------------------------------------- writing


def _descriptors(rubric: Rubric, rc: ResolvedCriterion) -> tuple[str, str | None]:
    c = rc.criterion
    if c.kind == "scale":
        scale = rubric.scale_of_scored(c)
        text = "\n".join(
            f"{lv.value} {lv.label}: {lv.descriptor}".rstrip(": ") for lv in scale.levels
        )
        return text, ",".join(str(lv.value) for lv in scale.levels)
    if c.kind == "yes_no":
        return "yes or no", "yes,no"
    return "No score: a comment only.", None


def build_review_sheet(
    *,
    rubric: Rubric,
    rubric_hash: str,
    assignment_id: int,
    case_id: int,
    round_: int,
    draft_version: int,
    credential_title: str,
    scores: dict[str, Any] | None = None,
    comments: dict[str, str] | None = None,
    recommendation: str | None = None,
    overall_comment: str = "",
) -> bytes:
    """The workbook a reviewer fills in offline, pre-filled with their draft (`draft_version`: its
    version, 0 when there is none yet)."""
    scores, comments = scores or {}, comments or {}
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    write_cell(ws, 1, 1, f"Offline review — case {case_id}: {credential_title}").font = Font(
        bold=True, size=13
    )
    write_cell(
        ws,
        2,
        1,
        f"Rubric {rubric.meta.title} ({rubric.id} {rubric.version}), assignment {assignment_id}. "
        "Fill in column C (score, from the list) and column D (comment) on every row; do not "
        "change column A. Upload the file on the review page; the sheet is checked like any "
        "import and nothing is saved while a cell is wrong.",
    )
    ws.merge_cells("A2:F2")
    ws.row_dimensions[2].height = 45
    ws["A2"].alignment = WRAP
    for col, head in enumerate(COLUMNS, 1):
        cell = write_cell(ws, HEADER_ROW, col, head)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
    lists: dict[str, DataValidation] = {}
    row = FIRST_ROW
    for rc in rubric.reviewer_criteria:
        c = rc.criterion
        text, allowed = _descriptors(rubric, rc)
        write_cell(ws, row, 1, rc.id)
        write_cell(ws, row, 2, c.title).alignment = WRAP
        score = scores.get(rc.id)
        if c.kind == "yes_no" and score is not None:
            score = "yes" if score else "no"
        score_cell = ws.cell(row=row, column=3, value=score)
        score_cell.fill = INPUT_FILL if allowed else NO_INPUT_FILL
        write_cell(ws, row, 4, comments.get(rc.id) or None).alignment = WRAP
        ws.cell(row=row, column=4).fill = INPUT_FILL
        write_cell(ws, row, 5, text).alignment = WRAP
        write_cell(ws, row, 6, c.guidance).alignment = WRAP
        if allowed:
            dv = lists.get(allowed)
            if dv is None:
                dv = DataValidation(
                    type="list",
                    formula1=f'"{allowed}"',
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="Not an allowed score",
                    error=f"Choose one of: {allowed}",
                )
                ws.add_data_validation(dv)
                lists[allowed] = dv
            dv.add(f"{SCORE_COL}{row}")
        ws.row_dimensions[row].height = 110 if c.kind == "scale" else 45
        row += 1
    row += 1
    outcomes = ",".join(o.value for o in Outcome)
    write_cell(ws, row, 1, RECOMMENDATION_KEY)
    write_cell(ws, row, 2, "Overall recommendation").font = Font(bold=True)
    write_cell(ws, row, 3, recommendation or None).fill = INPUT_FILL
    write_cell(
        ws, row, 5, "approved, approved_with_conditions, revision_requested or rejected"
    ).alignment = WRAP
    dv = DataValidation(
        type="list",
        formula1=f'"{outcomes}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not an outcome",
        error=f"Choose one of: {outcomes}",
    )
    ws.add_data_validation(dv)
    dv.add(f"{SCORE_COL}{row}")
    row += 1
    write_cell(ws, row, 1, OVERALL_KEY)
    write_cell(ws, row, 2, "Overall comment").font = Font(bold=True)
    write_cell(ws, row, 4, overall_comment or None).alignment = WRAP
    ws.cell(row=row, column=4).fill = INPUT_FILL
    ws.row_dimensions[row].height = 60
    for letter, width in zip("ABCDEF", (16, 34, 12, 60, 60, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"C{FIRST_ROW}"

    meta = wb.create_sheet(META)
    for r, (key, value) in enumerate(
        (
            ("assignment_id", assignment_id),
            ("rubric_hash", rubric_hash),
            ("rubric", f"{rubric.id}@{rubric.version}"),
            ("case_id", case_id),
            ("format", FORMAT),
            ("round", round_),
            ("draft_version", draft_version),
        ),
        start=1,
    ):
        write_cell(meta, r, 1, key)
        write_cell(meta, r, 2, value)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True  # not changed by accident when someone unhides it
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- reading


def _score(rubric: Rubric, rc: ResolvedCriterion, value: Any) -> tuple[Any, Message | None]:
    """What a person typed in a score cell, made into the value the rubric expects."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    kind = rc.criterion.kind
    if kind == "yes_no":
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value), None
        if text in YES:
            return True, None
        if text in NO:
            return False, None
        return None, _m(N_("write yes or no, not %(value)s"), value=repr(value))
    if kind != "scale":
        return None, _m(N_("this criterion takes no score; write a comment in column D"))
    if isinstance(value, bool):
        return None, _m(N_("expected a score from the list, not %(value)s"), value=repr(value))
    if isinstance(value, float):
        if not value.is_integer():
            return None, _m(N_("%(value)s is not a whole number"), value=f"{value:g}")
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            return None, _m(
                N_("%(value)s is not a score; choose one from the list"), value=repr(text)
            )
        value = int(text)
    elif not isinstance(value, int):
        return None, _m(N_("%(value)s is not a score"), value=repr(value))
    clean, problem = check_score(rubric, rc.id, value)
    return clean, problem


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _open(path: Path, name: str, *, max_bytes: int, max_unzipped_bytes: int) -> Any:
    """The workbook, or `ReviewSheetInvalid` naming the person's own file (never where the upload
    was stored)."""
    try:
        return open_untrusted_workbook(
            path, max_bytes=max_bytes, max_unzipped_bytes=max_unzipped_bytes
        )
    except ValidationFailed as exc:
        why: Detail = exc.message.removeprefix(f"{path.name}: ").replace(path.name, name)
        if str(why).startswith("cannot read the workbook"):
            why = _m(N_("cannot read the workbook: save it again as an Excel workbook (.xlsx)"))
        raise ReviewSheetInvalid(name, [SheetProblem(name, why)]) from None


def _columns(ws: Any) -> list[SheetProblem]:
    """The column titles, each in its place: a column inserted, deleted, moved or renamed would put
    scores into comments (or the other way round), so such a sheet is not read at all."""
    row = next(
        ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, max_col=40, values_only=True), ()
    )
    found = [_text(v) for v in row]
    found += [""] * (len(COLUMNS) - len(found))
    problems: list[SheetProblem] = []
    for i, title in enumerate(COLUMNS):
        got = found[i]
        if got == title:
            continue
        where = f"{SHEET}!{get_column_letter(i + 1)}{HEADER_ROW}"
        if title in found:
            message = _m(
                N_(
                    "the column %(title)s belongs in column %(column)s, not %(moved)s: a column"
                    " was inserted, deleted or moved; undo the change or download a new sheet"
                ),
                title=repr(title),
                column=get_column_letter(i + 1),
                moved=get_column_letter(found.index(title) + 1),
            )
        elif got:
            message = _m(
                N_(
                    "expected the column %(title)s here, not %(found)s; undo the change or"
                    " download a new sheet"
                ),
                title=repr(title),
                found=repr(got),
            )
        else:
            message = _m(
                N_("the column %(title)s is missing; undo the change or download a new sheet"),
                title=repr(title),
            )
        problems.append(SheetProblem(where, message))
    for i, got in enumerate(found[len(COLUMNS) :], start=len(COLUMNS)):
        if got and got not in COLUMNS:
            problems.append(
                SheetProblem(
                    f"{SHEET}!{get_column_letter(i + 1)}{HEADER_ROW}",
                    _m(
                        N_(
                            "unknown column %(found)s: the sheet has no such column; undo the"
                            " change or download a new sheet"
                        ),
                        found=repr(got),
                    ),
                )
            )
    return problems


def read_review_sheet(
    path: Path,
    *,
    rubric: Rubric,
    rubric_hash: str,
    assignment_id: int,
    case_id: int,
    round_: int,
    max_bytes: int,
    max_unzipped_bytes: int,
    source: str | None = None,
) -> ReviewSheet:
    """Read a filled-in sheet; raise `ReviewSheetInvalid` listing every wrong cell.

    The hidden sheet must name this case, assignment, round and rubric version and the draft
    version the sheet was made from (returned: the service refuses it when the draft has changed
    since), and every column must have its title in its place."""
    name = source or path.name
    wb = _open(path, name, max_bytes=max_bytes, max_unzipped_bytes=max_unzipped_bytes)
    problems: list[SheetProblem] = []
    try:
        if META not in wb.sheetnames:
            raise ReviewSheetInvalid(
                name,
                [
                    SheetProblem(
                        name,
                        _m(
                            N_(
                                "this is not a review sheet of the engine (download it from the"
                                " review page)"
                            )
                        ),
                    )
                ],
            )
        if SHEET not in wb.sheetnames:
            raise ReviewSheetInvalid(
                name,
                [
                    SheetProblem(
                        name,
                        _m(
                            N_(
                                "the sheet %(sheet)s is missing (renamed?): give it back its name"
                                " or download a new sheet"
                            ),
                            sheet=repr(SHEET),
                        ),
                    )
                ],
            )
        meta_ws = wb[META]
        meta_ws.reset_dimensions()
        meta: dict[str, tuple[Any, int]] = {}
        for r, values in enumerate(
            meta_ws.iter_rows(min_row=1, max_row=20, max_col=2, values_only=True), start=1
        ):
            if values and values[0] is not None:
                meta[str(values[0]).strip()] = (values[1] if len(values) > 1 else None, r)
        for key, wanted_value, belongs in (
            (
                "case_id",
                case_id,
                N_(
                    "this sheet belongs to case %(found)s, not %(wanted)s: download the sheet of"
                    " this review again"
                ),
            ),
            (
                "assignment_id",
                assignment_id,
                N_(
                    "this sheet belongs to assignment %(found)s, not %(wanted)s: download the"
                    " sheet of this review again"
                ),
            ),
            (
                "round",
                round_,
                N_(
                    "this sheet belongs to round %(found)s, not %(wanted)s: download the sheet of"
                    " this review again"
                ),
            ),
        ):
            got, row = meta.get(key, (None, 0))
            if _text(got) != str(wanted_value):
                problems.append(
                    SheetProblem(
                        f"{META}!B{row}" if row else name,
                        _m(belongs, found=_text(got) or "?", wanted=wanted_value),
                    )
                )
        got_hash, hash_row = meta.get("rubric_hash", (None, 0))
        if _text(got_hash) != rubric_hash:
            problems.append(
                SheetProblem(
                    f"{META}!B{hash_row}" if hash_row else name,
                    _m(
                        N_(
                            "the sheet was made for another version of the rubric: download a new"
                            " sheet"
                        )
                    ),
                )
            )
        got_version, version_row = meta.get("draft_version", (None, 0))
        version_text = _text(got_version)
        if not version_text.isdigit() or len(version_text) > 9:
            problems.append(
                SheetProblem(
                    f"{META}!B{version_row}" if version_row else name,
                    _m(
                        N_(
                            "the sheet does not say which draft it was made from: download the"
                            " sheet of this review again"
                        )
                    ),
                )
            )
        if problems:
            raise ReviewSheetInvalid(name, problems)
        draft_version = int(version_text)

        ws = wb[SHEET]
        ws.reset_dimensions()
        problems = _columns(ws)
        if problems:
            raise ReviewSheetInvalid(name, problems)
        wanted = {rc.id: rc for rc in rubric.reviewer_criteria}
        entries: dict[str, dict[str, Any]] = {}
        rows: dict[str, int] = {}
        recommendation: str | None = None
        overall = ""
        for r, values in enumerate(
            ws.iter_rows(min_row=FIRST_ROW, max_col=4, values_only=True), start=FIRST_ROW
        ):
            if r > FIRST_ROW + 500:
                problems.append(
                    SheetProblem(
                        f"{SHEET}!A{r}",
                        _m(N_("more rows than any rubric has; is this the right file?")),
                    )
                )
                break
            key = _text(values[0]) if values else ""
            if not key:
                if any(v not in (None, "") for v in values[1:4]):
                    problems.append(
                        SheetProblem(
                            f"{SHEET}!A{r}",
                            _m(N_("a row without a criterion id: keep column A as it was")),
                        )
                    )
                continue
            score_value = values[2] if len(values) > 2 else None
            comment_value = values[3] if len(values) > 3 else None
            if key in rows:
                problems.append(
                    SheetProblem(
                        f"{SHEET}!A{r}",
                        _m(
                            N_("%(criterion)s appears twice (first in row %(row)s)"),
                            criterion=key,
                            row=rows[key],
                        ),
                    )
                )
                continue
            rows[key] = r
            if key == RECOMMENDATION_KEY:
                text = _text(score_value).lower().replace(" ", "_")
                if text:
                    try:
                        recommendation = Outcome(text).value
                    except ValueError:
                        problems.append(
                            SheetProblem(
                                f"{SHEET}!{SCORE_COL}{r}",
                                _m(
                                    N_("%(value)s is not one of: %(allowed)s"),
                                    value=repr(_text(score_value)),
                                    allowed=", ".join(o.value for o in Outcome),
                                ),
                            )
                        )
                continue
            if key == OVERALL_KEY:
                overall = _text(comment_value) or _text(score_value)
                continue
            if key not in wanted:
                problems.append(
                    SheetProblem(f"{SHEET}!A{r}", _m(N_("unknown criterion %(id)s"), id=repr(key)))
                )
                continue
            score, problem = _score(rubric, wanted[key], score_value)
            if problem:
                problems.append(SheetProblem(f"{SHEET}!{SCORE_COL}{r}", problem))
            comment = _text(comment_value)
            if len(comment) > 20_000:
                problems.append(
                    SheetProblem(
                        f"{SHEET}!{COMMENT_COL}{r}",
                        _m(
                            N_("the comment is %(length)s characters; the limit is %(limit)s"),
                            length=len(comment),
                            limit=20_000,
                        ),
                    )
                )
            if wanted[key].criterion.kind == "text":
                entries[key] = {"comment": comment}
            else:
                entries[key] = {"score": score, "comment": comment}
        if problems:
            raise ReviewSheetInvalid(name, problems)
        return ReviewSheet(
            entries,
            recommendation,
            overall,
            rows,
            draft_version=draft_version,
            version_cell=f"{META}!B{version_row}",
        )
    finally:
        wb.close()


def locate(sheet: ReviewSheet, exc: ValidationFailed, source: str) -> ReviewSheetInvalid:
    """Turn the service's verdict on the entries (criterion: message) into cells of the sheet."""
    problems: list[SheetProblem] = []
    if isinstance(exc, EntriesInvalid):
        for p in exc.problems:
            column = COMMENT_COL if "comment" in p.text else SCORE_COL
            problems.append(SheetProblem(sheet.cell_of(p.criterion, column), p.message))
    elif "recommendation" in exc.message:
        problems.append(SheetProblem(sheet.cell_of(RECOMMENDATION_KEY), _said(exc)))
    else:
        problems.append(SheetProblem(source, _said(exc)))
    return ReviewSheetInvalid(source, problems)


def _said(exc: ValidationFailed) -> Detail:
    """A service's refusal as a problem's text (its msgid and values: translated where shown)."""
    return Message(exc.msgid, params=exc.params)


def stale(sheet: ReviewSheet, source: str, current: int) -> StaleReviewSheet:
    """The draft changed after the sheet was downloaded (it is now version `current`): a 409
    naming the cell of the sheet's draft version."""
    return StaleReviewSheet(
        source,
        [
            SheetProblem(
                sheet.version_cell,
                _m(
                    N_(
                        "the sheet was made from draft version %(version)s, but the draft has"
                        " been saved since (now version %(current)s); nothing was saved. Download"
                        " a new sheet (it holds the saved draft) and copy your changes into it"
                    ),
                    version=sheet.draft_version,
                    current=current,
                ),
            )
        ],
    )
