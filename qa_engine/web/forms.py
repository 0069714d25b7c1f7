"""HTML forms generated from the rubric, and read back into the entries the services check.

Field names: ``score.<criterion>``, ``narrative.<criterion>``, ``evidence.<criterion>``
(self-assessment) and ``comment.<criterion>`` (review). A form sends text; a score must be one of
the scale's values.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from threading import Lock
from typing import Any

from markupsafe import Markup

from qa_engine.domain.entries import EntriesInvalid
from qa_engine.domain.errors import QAError
from qa_engine.domain.rubric import ResolvedCriterion, Rubric


@dataclass(frozen=True)
class CriterionFrame:
    """What the rubric says of one criterion: the same on every form of every case that uses it.

    Its HTML is rendered once per rubric version (`frames_of`): the heading with tags, guidance and
    evidence asked for, and the answer part (the levels as radio buttons) once per answer that is
    chosen in it; a form adds only the texts that were entered."""

    id: str
    title: str
    guidance: str
    kind: str
    evidence_asked: tuple[str, ...]
    maps_to: tuple[str, ...]
    levels: tuple[tuple[int, str, str], ...]  # value, label, descriptor
    gate_min: int | None
    weight: float
    head_html: Markup = Markup("")
    _choices: dict[tuple[str, bool, bool], Markup] = field(
        default_factory=dict, compare=False, repr=False
    )

    def choices_html(self, chosen: str, editable: bool, has_error: bool) -> Markup:
        """The answer part with `chosen` checked (a handful of variants per criterion, each rendered
        once)."""
        key = (chosen, editable, has_error)
        html = self._choices.get(key)
        if html is None:
            html = Markup(_macros().answer_choices(self, chosen, editable, has_error))
            if chosen in self._answers:  # never one per value someone typed: the cache stays small
                self._choices[key] = html
        return html

    @property
    def _answers(self) -> set[str]:
        return {"", "yes", "no", *(str(value) for value, _, _ in self.levels)}


@dataclass
class CriterionView:
    """One criterion as a form shows it: the rubric's frame, and what is entered."""

    frame: CriterionFrame
    score: Any = None
    text: str = ""
    evidence: str = ""
    error: str = ""
    context: dict[str, Any] = field(
        default_factory=dict
    )  # e.g. the self-assessment shown to reviewers

    @property
    def id(self) -> str:
        return self.frame.id

    @property
    def title(self) -> str:
        return self.frame.title

    @property
    def kind(self) -> str:
        return self.frame.kind

    @property
    def scored(self) -> bool:
        return self.kind in ("scale", "yes_no")

    @property
    def score_text(self) -> str:
        if self.score is None or self.score == "":
            return ""
        if self.kind == "yes_no":
            return "yes" if self.score in (True, 1, "yes") else "no"
        return str(self.score)

    def choices_html(self, editable: bool) -> Markup:
        return self.frame.choices_html(self.score_text, editable, bool(self.error))


# Rubrics come from a cache keyed by content hash (services.rubrics), so the same object serves
# every form of a rubric version; the entry holds the rubric itself, so its id cannot be reused
# meanwhile.
_FRAMES: OrderedDict[int, tuple[Rubric, list[CriterionFrame]]] = OrderedDict()
_FRAMES_LOCK = Lock()
_FRAMES_SIZE = 32


def frames_of(rubric: Rubric) -> list[CriterionFrame]:
    """The frames of the criteria a person fills in, with their HTML, rendered once per rubric."""
    found = _FRAMES.get(id(rubric))
    if found is not None and found[0] is rubric:
        return found[1]
    frames = [_frame(rubric, rc) for rc in rubric.reviewer_criteria]
    with _FRAMES_LOCK:
        _FRAMES[id(rubric)] = (rubric, frames)
        _FRAMES.move_to_end(id(rubric))
        while len(_FRAMES) > _FRAMES_SIZE:
            _FRAMES.popitem(last=False)
    return frames


def _macros() -> Any:
    """The macros of rubric_form.html (a template module: its attributes are its macros)."""
    from qa_engine.web.templating import env

    return env.get_template("rubric_form.html").module


def _frame(rubric: Rubric, rc: ResolvedCriterion) -> CriterionFrame:
    c = rc.criterion
    scale = rubric.scale_of(c)
    frame = CriterionFrame(
        id=rc.id,
        title=c.title,
        guidance=c.guidance,
        kind=c.kind,
        evidence_asked=tuple(c.evidence),
        maps_to=tuple(c.maps_to),
        levels=tuple((lv.value, lv.label, lv.descriptor) for lv in scale.levels) if scale else (),
        gate_min=c.gate.min_level if c.gate else None,
        weight=rc.effective_weight,
    )
    return replace(frame, head_html=Markup(_macros().criterion_head(frame)))


def criterion_views(
    rubric: Rubric,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    text_key: str,
    errors: Mapping[str, str] | None = None,
) -> list[CriterionView]:
    values = values or {}
    errors = errors or {}
    out = []
    for frame in frames_of(rubric):
        value = values.get(frame.id) or {}
        evidence = value.get("evidence") or []
        out.append(
            CriterionView(
                frame,
                score=value.get("score"),
                text=value.get(text_key) or "",
                evidence="\n".join(evidence) if isinstance(evidence, list) else str(evidence),
                error=errors.get(frame.id, ""),
            )
        )
    return out


def _parse_score(raw: str | None) -> tuple[Any, str]:
    text = (raw or "").strip()
    if not text:
        return None, ""
    if text in ("yes", "no"):
        return text == "yes", ""
    if not text.lstrip("-").isdigit() or len(text) > 6:
        return None, f"{text[:20]!r} is not a score on the scale"
    return int(text), ""


def entries_from_form(
    form: Mapping[str, Any], *, text_key: str, with_evidence: bool
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The entries of a submitted rubric form by criterion, and the scores that could not be read.

    Read by the field names alone: the service checks each entry against the rubric (a level of the
    scale, yes or no, no score for a text criterion), so a form is read without loading anything."""
    entries: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    fields = {"score", text_key} | ({"evidence"} if with_evidence else set())
    for key in form.keys():
        field, _, criterion = key.partition(".")
        if field not in fields or not criterion:
            continue
        entry = entries.setdefault(criterion, {text_key: ""})
        value = _str(form.get(key))
        if field == "score":
            entry["score"], problem = _parse_score(value)
            if problem:
                problems[criterion] = problem
        elif field == "evidence":
            entry["evidence"] = [
                line.strip() for line in (value or "").splitlines() if line.strip()
            ]
        else:
            entry[text_key] = value or ""
    return entries, problems


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def problems_by_criterion(exc: QAError) -> tuple[dict[str, str], list[str]]:
    """Split a service's refusal into messages per criterion and general messages."""
    if isinstance(exc, EntriesInvalid):
        by: dict[str, str] = {}
        for p in exc.problems:
            by[p.criterion] = (by[p.criterion] + "; " if p.criterion in by else "") + p.message
        return by, []
    return {}, [exc.message, *exc.details]


def form_text(value: Any) -> str:
    """A form field's text ("" for a missing field or a file)."""
    return value if isinstance(value, str) else ""


def form_int(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
        return int(value.strip())
    return None


@dataclass(frozen=True)
class DraftDifference:
    """One field where the person's refused input and the stored draft differ."""

    label: str
    mine_score: str
    mine_text: str
    saved_score: str
    saved_text: str


def draft_differences(
    mine: list[CriterionView],
    saved: list[CriterionView],
    overall: Sequence[tuple[str, str, str]] = (),
) -> list[DraftDifference]:
    """Where the person's input (`mine`) and the stored draft (`saved`, the same criteria in the
    same order) differ, criterion by criterion, then the overall fields (label, mine, saved)."""
    out: list[DraftDifference] = []
    for m, s in zip(mine, saved, strict=True):
        m_text = "\n".join(t for t in (m.text, m.evidence) if t)
        s_text = "\n".join(t for t in (s.text, s.evidence) if t)
        if (m.score_text, m_text) != (s.score_text, s_text):
            out.append(
                DraftDifference(f"{m.id} {m.title}", m.score_text, m_text, s.score_text, s_text)
            )
    for label, m_value, s_value in overall:
        if m_value != s_value:
            out.append(DraftDifference(label, "", m_value, "", s_value))
    return out
