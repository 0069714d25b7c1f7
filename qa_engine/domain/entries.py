"""Checking what a person enters against a rubric: scores, narratives, comments, evidence."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubric import Rubric

MAX_TEXT = 20_000
_LINK = re.compile(r"^(https?://\S+|file:[\w.\- ]+)$")


@dataclass(frozen=True)
class EntryProblem:
    criterion: str
    message: str

    def __str__(self) -> str:
        return f"{self.criterion}: {self.message}"


class EntriesInvalid(ValidationFailed):
    def __init__(self, problems: list[EntryProblem]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the scores", details=[str(p) for p in problems]
        )


def check_score(rubric: Rubric, criterion_id: str, value: Any) -> tuple[int | None, str | None]:
    """Return (clean score, problem). Strict: `true` is not 1 and `"5"` is not 5 on a scale."""
    rc = rubric.criterion(criterion_id)
    if rc is None:
        return None, "unknown criterion"
    c = rc.criterion
    if value is None:
        return None, None
    if c.kind == "text":
        return None, "a text criterion takes no score"
    if c.kind == "elements_check":
        return None, "scored by the engine (standard elements check), not by a person"
    if c.kind == "yes_no":
        if isinstance(value, bool):
            return int(value), None
        if type(value) is int and value in (0, 1):
            return value, None
        return None, f"expected yes or no (true/false), not {value!r}"
    if type(value) is not int:
        return None, f"expected a whole number on the scale, not {value!r}"
    scale = rubric.scale_of_scored(c)
    if scale.level(value) is None:
        allowed = ", ".join(str(lv.value) for lv in scale.levels)
        return None, f"{value} is not a level of the scale ({allowed})"
    return value, None


def _text(value: Any, what: str, criterion: str, problems: list[EntryProblem]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(EntryProblem(criterion, f"{what} must be text"))
        return ""
    if len(value) > MAX_TEXT:
        problems.append(
            EntryProblem(criterion, f"{what} is {len(value)} characters; the limit is {MAX_TEXT}")
        )
    return value.strip()


def clean_entries(
    rubric: Rubric,
    raw: Mapping[str, Any],
    *,
    text_key: str,
    require_complete: bool,
    require_text: bool,
    allow_evidence: bool,
) -> dict[str, dict[str, Any]]:
    """Check every criterion entry; return the cleaned entries or raise naming every problem.

    `raw` maps criterion id → {"score": …, text_key: "…", "evidence": [...]}.
    """
    problems: list[EntryProblem] = []
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(raw, Mapping):
        raise EntriesInvalid([EntryProblem("(all)", "expected one entry per criterion")])
    for cid, entry in raw.items():
        rc = rubric.criterion(str(cid))
        if rc is None or rc.criterion.kind == "elements_check":
            problems.append(
                EntryProblem(
                    str(cid),
                    "unknown criterion" if rc is None else "scored by the engine, not by a person",
                )
            )
            continue
        if not isinstance(entry, Mapping):
            problems.append(EntryProblem(str(cid), "expected an object with a score and text"))
            continue
        allowed = {"score", text_key} | ({"evidence"} if allow_evidence else set())
        for extra in set(entry) - allowed:
            problems.append(EntryProblem(str(cid), f"unknown field '{extra}'"))
        score, problem = check_score(rubric, str(cid), entry.get("score"))
        if problem:
            problems.append(EntryProblem(str(cid), problem))
        text = _text(entry.get(text_key), text_key, str(cid), problems)
        clean: dict[str, Any] = {"score": score, text_key: text}
        if allow_evidence:
            evidence = entry.get("evidence") or []
            if isinstance(evidence, str):
                evidence = [e for e in (x.strip() for x in evidence.splitlines()) if e]
            if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
                problems.append(EntryProblem(str(cid), "evidence must be a list of links"))
                evidence = []
            for e in evidence:
                if not _LINK.match(e.strip()):
                    problems.append(
                        EntryProblem(
                            str(cid), f"evidence {e!r} is not an http(s) link or an uploaded file"
                        )
                    )
            clean["evidence"] = [e.strip() for e in evidence][:50]
        out[str(cid)] = clean
    if require_complete:
        for rc in rubric.reviewer_criteria:
            entry = out.get(rc.id, {})
            if (
                rc.criterion.scored
                and entry.get("score") is None
                and not any(p.criterion == rc.id for p in problems)
            ):
                problems.append(EntryProblem(rc.id, "a score is required"))
            if (
                require_text
                and rc.criterion.scored
                and not entry.get(text_key)
                and not any(p.criterion == rc.id for p in problems)
            ):
                problems.append(EntryProblem(rc.id, f"a {text_key} is required"))
    if problems:
        raise EntriesInvalid(problems)
    return out


def check_recommendation(value: Any, *, required: bool) -> Outcome | None:
    if value is None or value == "":
        if required:
            raise ValidationFailed(
                f"an overall recommendation is required ({', '.join(o.value for o in Outcome)})"
            )
        return None
    try:
        return Outcome(value)
    except ValueError:
        raise ValidationFailed(
            f"recommendation {value!r} is not one of: {', '.join(o.value for o in Outcome)}"
        ) from None
