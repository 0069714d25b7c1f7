"""Checking what a person enters against a rubric: scores, narratives, comments, evidence."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from qa_engine.domain.credential import Said, said
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_, Message, Nn_
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubric import Rubric

MAX_TEXT = 20_000
_LINK = re.compile(r"^(https?://\S+|file:[\w.\- ]+)$")
# the texts of an entry in words (a review's comment, a self-assessment's narrative)
_TEXT_NAMES = {"comment": N_("comment"), "narrative": N_("narrative")}


@dataclass(frozen=True)
class EntryProblem:
    """A problem of one criterion's entry: `message` in English, `text` the same to say in the
    reader's language (the criterion id stays as it is)."""

    criterion: str
    message: str
    text: Message | None = dataclass_field(default=None, compare=False)

    @classmethod
    def of(cls, criterion: str, text: Message) -> EntryProblem:
        return cls(criterion, text.english(), text)

    def in_language(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> str:
        return self.message if self.text is None else self.text.render(gettext, ngettext)

    def __str__(self) -> str:
        return f"{self.criterion}: {self.message}"


class EntriesInvalid(ValidationFailed):
    def __init__(self, problems: list[EntryProblem]) -> None:
        self.problems = problems
        self.count = Nn_(
            "%(num)s problem(s) in the scores", "%(num)s problem(s) in the scores", len(problems)
        )
        super().__init__(
            "%(text)s",
            details=[
                Said("%(text)s", params={"text": p.text or p.message}, where=p.criterion)
                for p in problems
            ],
            text=self.count.english(),
        )

    def in_language(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> tuple[str, list[str]]:
        _, details = super().in_language(gettext, ngettext)
        return self.count.render(gettext, ngettext), details


def check_score(rubric: Rubric, criterion_id: str, value: Any) -> tuple[int | None, str | None]:
    """Return (clean score, problem in English). Strict: `true` is not 1 and `"5"` is not 5 on a
    scale."""
    score, problem = score_problem(rubric, criterion_id, value)
    return score, None if problem is None else problem.english()


def score_problem(
    rubric: Rubric, criterion_id: str, value: Any
) -> tuple[int | None, Message | None]:
    """Return (clean score, problem to say in the reader's language)."""
    rc = rubric.criterion(criterion_id)
    if rc is None:
        return None, said(N_("unknown criterion"))
    c = rc.criterion
    if value is None:
        return None, None
    if c.kind == "text":
        return None, said(N_("a text criterion takes no score"))
    if c.kind == "elements_check":
        return None, said(N_("scored by the engine (standard elements check), not by a person"))
    if c.kind == "yes_no":
        if isinstance(value, bool):
            return int(value), None
        if type(value) is int and value in (0, 1):
            return value, None
        return None, said(N_("expected yes or no (true/false), not %(value)s"), value=repr(value))
    if type(value) is not int:
        return None, said(
            N_("expected a whole number on the scale, not %(value)s"), value=repr(value)
        )
    scale = rubric.scale_of_scored(c)
    if scale.level(value) is None:
        allowed = ", ".join(str(lv.value) for lv in scale.levels)
        return None, said(
            N_("%(value)s is not a level of the scale (%(allowed)s)"), value=value, allowed=allowed
        )
    return value, None


def _text(value: Any, what: str, criterion: str, problems: list[EntryProblem]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(
            EntryProblem.of(
                criterion, said(N_("%(what)s must be text"), what=Said(_TEXT_NAMES.get(what, what)))
            )
        )
        return ""
    if len(value) > MAX_TEXT:
        problems.append(
            EntryProblem.of(
                criterion,
                said(
                    N_("%(what)s is %(length)s characters; the limit is %(limit)s"),
                    what=Said(_TEXT_NAMES.get(what, what)),
                    length=len(value),
                    limit=MAX_TEXT,
                ),
            )
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
        raise EntriesInvalid(
            [EntryProblem.of("(all)", said(N_("expected one entry per criterion")))]
        )
    for cid, entry in raw.items():
        rc = rubric.criterion(str(cid))
        if rc is None or rc.criterion.kind == "elements_check":
            problems.append(
                EntryProblem.of(
                    str(cid),
                    said(N_("unknown criterion"))
                    if rc is None
                    else said(N_("scored by the engine, not by a person")),
                )
            )
            continue
        if not isinstance(entry, Mapping):
            problems.append(
                EntryProblem.of(str(cid), said(N_("expected an object with a score and text")))
            )
            continue
        allowed = {"score", text_key} | ({"evidence"} if allow_evidence else set())
        for extra in set(entry) - allowed:
            problems.append(
                EntryProblem.of(str(cid), said(N_("unknown field %(name)s"), name=repr(extra)))
            )
        score, problem = score_problem(rubric, str(cid), entry.get("score"))
        if problem is not None:
            problems.append(EntryProblem.of(str(cid), problem))
        text = _text(entry.get(text_key), text_key, str(cid), problems)
        clean: dict[str, Any] = {"score": score, text_key: text}
        if allow_evidence:
            evidence = entry.get("evidence") or []
            if isinstance(evidence, str):
                evidence = [e for e in (x.strip() for x in evidence.splitlines()) if e]
            if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
                problems.append(
                    EntryProblem.of(str(cid), said(N_("evidence must be a list of links")))
                )
                evidence = []
            for e in evidence:
                if not _LINK.match(e.strip()):
                    problems.append(
                        EntryProblem.of(
                            str(cid),
                            said(
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
                problems.append(EntryProblem.of(rc.id, said(N_("a score is required"))))
            if (
                require_text
                and rc.criterion.scored
                and not entry.get(text_key)
                and not any(p.criterion == rc.id for p in problems)
            ):
                problems.append(
                    EntryProblem.of(
                        rc.id,
                        said(N_("a comment is required"))
                        if text_key == "comment"
                        else said(N_("a narrative is required")),
                    )
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
