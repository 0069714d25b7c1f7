"""HTML forms generated from the rubric, and read back into the entries the services check.

Field names: ``score.<criterion>``, ``narrative.<criterion>``, ``evidence.<criterion>`` (self-assessment)
and ``comment.<criterion>`` (review). A form sends text; a score must be one of the scale's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qa_engine.domain.entries import EntriesInvalid
from qa_engine.domain.errors import QAError
from qa_engine.domain.rubric import ResolvedCriterion, Rubric


@dataclass
class CriterionView:
    """One criterion as a form shows it: texts, the scale, and what is entered."""

    id: str
    title: str
    guidance: str
    kind: str
    evidence_asked: list[str]
    maps_to: list[str]
    levels: list[tuple[int, str, str]]  # value, label, descriptor
    gate_min: int | None
    weight: float
    score: Any = None
    text: str = ""
    evidence: str = ""
    error: str = ""
    context: dict[str, Any] = field(default_factory=dict)  # e.g. the self-assessment shown to reviewers

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


def criterion_views(rubric: Rubric, values: Mapping[str, Mapping[str, Any]] | None = None, *, text_key: str,
                    errors: Mapping[str, str] | None = None) -> list[CriterionView]:
    values = values or {}
    errors = errors or {}
    out = []
    for rc in rubric.reviewer_criteria:
        out.append(_view(rubric, rc, values.get(rc.id) or {}, text_key, errors.get(rc.id, "")))
    return out


def _view(rubric: Rubric, rc: ResolvedCriterion, value: Mapping[str, Any], text_key: str, error: str) -> CriterionView:
    c = rc.criterion
    scale = rubric.scale_of(c)
    levels = [(lv.value, lv.label, lv.descriptor) for lv in scale.levels] if scale else []
    evidence = value.get("evidence") or []
    return CriterionView(id=rc.id, title=c.title, guidance=c.guidance, kind=c.kind, evidence_asked=list(c.evidence),
                         maps_to=list(c.maps_to), levels=levels, gate_min=c.gate.min_level if c.gate else None,
                         weight=rc.effective_weight, score=value.get("score"), text=value.get(text_key) or "",
                         evidence="\n".join(evidence) if isinstance(evidence, list) else str(evidence), error=error)


def _parse_score(rubric: Rubric, rc: ResolvedCriterion, raw: str | None) -> tuple[Any, str]:
    text = (raw or "").strip()
    if not text:
        return None, ""
    if rc.criterion.kind == "yes_no":
        if text in ("yes", "no"):
            return text == "yes", ""
        return None, f"choose yes or no, not {text[:20]!r}"
    if rc.criterion.kind != "scale":
        return None, "this criterion takes no score"
    if not text.lstrip("-").isdigit() or len(text) > 6:
        return None, f"{text[:20]!r} is not a score on the scale"
    return int(text), ""


def entries_from_form(rubric: Rubric, form: Mapping[str, Any], *, text_key: str,
                      with_evidence: bool) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The entries of a submitted rubric form, and the problems found while reading it (by criterion)."""
    entries: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    for rc in rubric.reviewer_criteria:
        score, problem = _parse_score(rubric, rc, _str(form.get(f"score.{rc.id}")))
        if problem:
            problems[rc.id] = problem
        entry: dict[str, Any] = {text_key: _str(form.get(f"{text_key}.{rc.id}")) or ""}
        if rc.criterion.kind != "text":
            entry["score"] = score
        if with_evidence:
            entry["evidence"] = [line.strip() for line in (_str(form.get(f"evidence.{rc.id}")) or "").splitlines()
                                 if line.strip()]
        entries[rc.id] = entry
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


def form_int(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
        return int(value.strip())
    return None
