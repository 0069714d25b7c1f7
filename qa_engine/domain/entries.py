"""Checking what a person enters against a rubric: scores, narratives, comments, evidence."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from qa_engine.domain.errors import Detail, ValidationFailed
from qa_engine.domain.i18n import N_, Message, Nn_
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubric import Rubric

MAX_TEXT = 20_000
Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]
_LINK = re.compile(r"^(https?://\S+|file:[\w.\- ]+)$")


def _m(text: str, **params: object) -> Message:
    """A problem's text for the message catalogs (marked with N_ where it is written), translated
    where it is shown."""
    return Message(text, params=params)


@dataclass(frozen=True)
class EntryProblem:
    """What is wrong with one criterion's entry: `message` is plain (English) text or a `Message`,
    shown in the reader's language (`text` is the English)."""

    criterion: str
    message: Detail

    @property
    def text(self) -> str:
        return self.message.english() if isinstance(self.message, Message) else self.message

    def __str__(self) -> str:
        return f"{self.criterion}: {self.text}"


def render(detail: Detail, gettext: Gettext, ngettext: Ngettext) -> str:
    """A problem's text in the language of `gettext` (a plain text as it is)."""
    return detail.render(gettext, ngettext) if isinstance(detail, Message) else detail


class EntriesInvalid(ValidationFailed):
    def __init__(self, problems: list[EntryProblem]) -> None:
        self.problems = problems
        self.count = Nn_(
            "%(num)s problem in the scores", "%(num)s problems in the scores", len(problems)
        )
        super().__init__(self.count.english(), details=[str(p) for p in problems])

    def in_language(self, gettext: Gettext, ngettext: Ngettext) -> tuple[str, list[str]]:
        return self.count.render(gettext, ngettext), [
            f"{p.criterion}: {render(p.message, gettext, ngettext)}" for p in self.problems
        ]


def check_score(rubric: Rubric, criterion_id: str, value: Any) -> tuple[int | None, Message | None]:
    """Return (clean score, problem). Strict: `true` is not 1 and `"5"` is not 5 on a scale."""
    rc = rubric.criterion(criterion_id)
    if rc is None:
        return None, _m(N_("unknown criterion"))
    c = rc.criterion
    if value is None:
        return None, None
    if c.kind == "text":
        return None, _m(N_("a text criterion takes no score"))
    if c.kind == "elements_check":
        return None, _m(N_("scored by the engine (standard elements check), not by a person"))
    if c.kind == "yes_no":
        if isinstance(value, bool):
            return int(value), None
        if type(value) is int and value in (0, 1):
            return value, None
        return None, _m(N_("expected yes or no (true/false), not %(value)s"), value=repr(value))
    if type(value) is not int:
        return None, _m(
            N_("expected a whole number on the scale, not %(value)s"), value=repr(value)
        )
    scale = rubric.scale_of_scored(c)
    if scale.level(value) is None:
        allowed = ", ".join(str(lv.value) for lv in scale.levels)
        return None, _m(
            N_("%(value)s is not a level of the scale (%(allowed)s)"), value=value, allowed=allowed
        )
    return value, None


def _text(value: Any, what: str, criterion: str, problems: list[EntryProblem]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(EntryProblem(criterion, _m(N_("%(field)s must be text"), field=what)))
        return ""
    if len(value) > MAX_TEXT:
        problems.append(
            EntryProblem(
                criterion,
                _m(
                    N_("%(field)s is %(length)s characters; the limit is %(limit)s"),
                    field=what,
                    length=len(value),
                    limit=MAX_TEXT,
                ),
            )
        )
    return value.strip()


# what a complete entry lacks, by the name of its text
_REQUIRED_TEXT = {
    "comment": _m(N_("a comment is required")),
    "narrative": _m(N_("a narrative is required")),
}


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
        raise EntriesInvalid([EntryProblem("(all)", _m(N_("expected one entry per criterion")))])
    for cid, entry in raw.items():
        rc = rubric.criterion(str(cid))
        if rc is None or rc.criterion.kind == "elements_check":
            problems.append(
                EntryProblem(
                    str(cid),
                    _m(N_("unknown criterion"))
                    if rc is None
                    else _m(N_("scored by the engine, not by a person")),
                )
            )
            continue
        if not isinstance(entry, Mapping):
            problems.append(
                EntryProblem(str(cid), _m(N_("expected an object with a score and text")))
            )
            continue
        allowed = {"score", text_key} | ({"evidence"} if allow_evidence else set())
        for extra in set(entry) - allowed:
            problems.append(
                EntryProblem(str(cid), _m(N_("unknown field '%(field)s'"), field=extra))
            )
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
                problems.append(EntryProblem(str(cid), _m(N_("evidence must be a list of links"))))
                evidence = []
            for e in evidence:
                if not _LINK.match(e.strip()):
                    problems.append(
                        EntryProblem(
                            str(cid),
                            _m(
                                N_("evidence %(link)s is not an http(s) link or an uploaded file"),
                                link=repr(e),
                            ),
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
                problems.append(EntryProblem(rc.id, _m(N_("a score is required"))))
            if (
                require_text
                and rc.criterion.scored
                and not entry.get(text_key)
                and not any(p.criterion == rc.id for p in problems)
            ):
                problems.append(
                    EntryProblem(rc.id, _REQUIRED_TEXT.get(text_key) or f"a {text_key} is required")
                )
    if problems:
        raise EntriesInvalid(problems)
    return out


def check_recommendation(value: Any, *, required: bool) -> Outcome | None:
    if value is None or value == "":
        if required:
            raise ValidationFailed(
                N_("an overall recommendation is required (%(outcomes)s)"),
                outcomes=", ".join(o.value for o in Outcome),
            )
        return None
    try:
        return Outcome(value)
    except ValueError:
        raise ValidationFailed(
            N_("recommendation %(value)s is not one of: %(outcomes)s"),
            value=repr(value),
            outcomes=", ".join(o.value for o in Outcome),
        ) from None
