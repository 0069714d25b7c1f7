"""HTML forms generated from the rubric, and read back into the entries the services check.

Field names: ``score.<criterion>``, ``narrative.<criterion>``, ``evidence.<criterion>``
(self-assessment) and ``comment.<criterion>`` (review). A form sends text; a score must be one of
the scale's values.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from threading import Lock
from typing import Any

from markupsafe import Markup

from qa_engine.domain import i18n
from qa_engine.domain.entries import EntriesInvalid
from qa_engine.domain.errors import Detail, QAError
from qa_engine.domain.i18n import N_, Message
from qa_engine.domain.rubric import ResolvedCriterion, Rubric
from qa_engine.domain.rubric_i18n import localised

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


@dataclass(frozen=True)
class CriterionFrame:
    """What the rubric says of one criterion: the same on every form of every case that uses it.

    Its HTML is rendered once per rubric version and language (`frames_of`): the heading with tags,
    guidance and evidence asked for, and the answer part (the levels as radio buttons) once per
    answer that is chosen in it; a form adds only the texts that were entered. Its texts are the
    rubric's in the reader's language `lang`."""

    id: str
    title: str
    guidance: str
    kind: str
    evidence_asked: tuple[str, ...]
    maps_to: tuple[str, ...]
    levels: tuple[tuple[int, str, str], ...]  # value, label, descriptor
    gate_min: int | None
    weight: float
    lang: str = i18n.DEFAULT
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
            html = _in_language(
                self.lang, lambda: _macros().answer_choices(self, chosen, editable, has_error)
            )
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
# every form of a rubric version; an entry, one per rubric and language, holds the rubric itself,
# so its id cannot be reused meanwhile.
_FRAMES: OrderedDict[tuple[int, str], tuple[Rubric, list[CriterionFrame]]] = OrderedDict()
_FRAMES_LOCK = Lock()
_FRAMES_SIZE = 64


def frames_of(rubric: Rubric, lang: str | None = None) -> list[CriterionFrame]:
    """The frames of the criteria a person fills in, with their HTML, in `lang` (the rubric's
    texts: `rubric_i18n.localised`, and the form's words), rendered once per rubric and language;
    without `lang`, in the language of the page being rendered (English outside a rendering)."""
    lang = i18n.supported(lang) or (_current_language() if lang is None else i18n.DEFAULT)
    key = (id(rubric), lang)
    found = _FRAMES.get(key)
    if found is not None and found[0] is rubric:
        return found[1]
    shown = localised(rubric, lang)
    frames = [_frame(shown, rc, lang) for rc in shown.reviewer_criteria]
    with _FRAMES_LOCK:
        _FRAMES[key] = (rubric, frames)
        _FRAMES.move_to_end(key)
        while len(_FRAMES) > _FRAMES_SIZE:
            _FRAMES.popitem(last=False)
    return frames


def _macros() -> Any:
    """The macros of rubric_form.html (a template module: its attributes are its macros)."""
    from qa_engine.web.templating import env

    return env.get_template("rubric_form.html").module


def _current_language() -> str:
    from qa_engine.web.templating import current_language

    return current_language()


def _in_language(lang: str, make: Callable[[], str]) -> Markup:
    """HTML of the macros rendered in `lang` (their words and figures)."""
    from qa_engine.web.templating import rendering_in

    with rendering_in(lang):
        return Markup(make())


def _frame(rubric: Rubric, rc: ResolvedCriterion, lang: str) -> CriterionFrame:
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
        lang=lang,
    )
    return replace(frame, head_html=_in_language(lang, lambda: _macros().criterion_head(frame)))


def criterion_views(
    rubric: Rubric,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    text_key: str,
    errors: Mapping[str, str] | None = None,
    lang: str | None = None,
) -> list[CriterionView]:
    """The criteria of a form in `lang` (the reader's language), with what is entered and the
    messages per criterion."""
    values = values or {}
    errors = errors or {}
    out = []
    for frame in frames_of(rubric, lang):
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


def _parse_score(raw: str | None) -> tuple[Any, Message | None]:
    text = (raw or "").strip()
    if not text:
        return None, None
    if text in ("yes", "no"):
        return text == "yes", None
    if not text.lstrip("-").isdigit() or len(text) > 6:
        return None, Message(
            N_("%(value)s is not a score on the scale"), params={"value": repr(text[:20])}
        )
    return int(text), None


def entries_from_form(
    form: Mapping[str, Any],
    *,
    text_key: str,
    with_evidence: bool,
    gettext: Gettext | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The entries of a submitted rubric form by criterion, and the scores that could not be read
    (in the language of `gettext`, English without one).

    Read by the field names alone: the service checks each entry against the rubric (a level of the
    scale, yes or no, no score for a text criterion), so a form is read without loading anything."""
    entries: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    say = gettext or (lambda text: text)
    fields = {"score", text_key} | ({"evidence"} if with_evidence else set())
    for key in form.keys():
        field, _, criterion = key.partition(".")
        if field not in fields or not criterion:
            continue
        entry = entries.setdefault(criterion, {text_key: ""})
        value = _str(form.get(key))
        if field == "score":
            entry["score"], problem = _parse_score(value)
            if problem is not None:
                problems[criterion] = problem.render(say, _english_plural)
        elif field == "evidence":
            entry["evidence"] = [
                line.strip() for line in (value or "").splitlines() if line.strip()
            ]
        else:
            entry[text_key] = value or ""
    return entries, problems


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def said(detail: Detail, gettext: Gettext, ngettext: Ngettext = _english_plural) -> str:
    """A text of a message (a `Message` or a plain line) in the language of `gettext`."""
    return detail.render(gettext, ngettext) if isinstance(detail, Message) else gettext(detail)


def problems_by_criterion(
    exc: QAError, gettext: Gettext | None = None, ngettext: Ngettext | None = None
) -> tuple[dict[str, str], list[str]]:
    """Split a service's refusal into messages per criterion and general messages, in the language
    of `gettext`/`ngettext` (English without them)."""
    say = gettext or (lambda text: text)
    plural = ngettext or _english_plural
    if isinstance(exc, EntriesInvalid):
        by: dict[str, str] = {}
        for p in exc.problems:
            text = said(p.message, say, plural)
            by[p.criterion] = (by[p.criterion] + "; " if p.criterion in by else "") + text
        return by, []
    message, details = exc.in_language(say, plural)
    return {}, [message, *details]


def needs_attention(catalog: Any, count: int, *, submit: bool) -> str:
    """The head of a refused form's messages: how many criteria to look at, in the language of
    `catalog` (a gettext catalog)."""
    if submit:
        text = catalog.ngettext(
            "%(num)s criterion needs attention before you can submit.",
            "%(num)s criteria need attention before you can submit.",
            count,
        )
    else:
        text = catalog.ngettext(
            "%(num)s criterion needs attention before you can save.",
            "%(num)s criteria need attention before you can save.",
            count,
        )
    return str(text) % {"num": count}


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
