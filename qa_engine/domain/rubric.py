"""The rubric model: what a rubric file says once it has been read, checked and composed.

A rubric file (YAML, see ``rubrics/README.md``) is parsed by :mod:`qa_engine.domain.rubric_loader`
into the `RubricFile` shape below, then composed with its includes into a `Rubric`, whose
criteria carry their effective weight in the overall score.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.outcomes import Outcome

Kind = Literal["scale", "yes_no", "elements_check", "text"]
SCORED_KINDS = ("scale", "yes_no", "elements_check")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The texts of an object in the languages a rubric declares: language -> field -> text (a list
# of texts for `evidence`). Filled by the loader from the per-language texts of a rubric file
# (`domain.rubric_i18n`); empty for a rubric in one language. The fields themselves hold the
# texts in the rubric's own `language`.
Translations = dict[str, dict[str, str | list[str]]]


class Level(_Strict):
    value: StrictInt
    label: str = Field(min_length=1)
    descriptor: str = ""
    translations: Translations = Field(default_factory=dict)


class Scale(_Strict):
    id: str = Field(min_length=1)
    title: str = ""
    levels: list[Level] = Field(min_length=2)
    translations: Translations = Field(default_factory=dict)

    @property
    def minimum(self) -> int:
        return min(level.value for level in self.levels)

    @property
    def maximum(self) -> int:
        return max(level.value for level in self.levels)

    def level(self, value: int) -> Level | None:
        return next((lv for lv in self.levels if lv.value == value), None)


class Gate(_Strict):
    """A criterion that must reach `min_level`; otherwise the outcome is at best `otherwise`."""

    min_level: StrictInt
    otherwise: Outcome = Outcome.REVISION_REQUESTED


class Criterion(_Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    title: str = Field(min_length=1)
    guidance: str = ""
    kind: Kind = "scale"
    scale: str | None = None
    weight: float = 1.0
    gate: Gate | None = None
    evidence: list[str] = Field(default_factory=list)
    maps_to: list[str] = Field(default_factory=list)
    elements: list[str] = Field(default_factory=list)
    translations: Translations = Field(default_factory=dict)

    @property
    def scored(self) -> bool:
        return self.kind in SCORED_KINDS and self.weight > 0


class Include(_Strict):
    rubric: str = Field(min_length=1)
    weight: float = 1.0


class Threshold(_Strict):
    outcome: Outcome
    min_score: Annotated[float, Field(ge=0.0, le=1.0)]


class Meta(_Strict):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    language: str = "en"
    languages: list[str] = Field(default_factory=list)  # declared; `language` among them
    frameworks: list[str] = Field(default_factory=list)
    description: str = ""
    status: Literal["draft", "active", "retired"] = "active"
    translations: Translations = Field(default_factory=dict)


class RubricFile(_Strict):
    """One rubric file as written, before its includes are resolved."""

    rubric: Meta
    scales: list[Scale] = Field(default_factory=list)
    criteria: list[Criterion] = Field(default_factory=list)
    includes: list[Include] = Field(default_factory=list)
    thresholds: list[Threshold] = Field(default_factory=list)


class ResolvedCriterion(_Strict):
    """A criterion of a composed rubric, with where it came from and its share of the total."""

    criterion: Criterion
    source: str
    effective_weight: float
    path: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.criterion.id


class Rubric(_Strict):
    """A rubric composed with everything it includes: what a case is scored against."""

    meta: Meta
    scales: dict[str, Scale]
    criteria: list[ResolvedCriterion]
    thresholds: list[Threshold]
    includes: list[Include] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)  # rubric id -> version

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    def criterion(self, criterion_id: str) -> ResolvedCriterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    def scale_of(self, criterion: Criterion) -> Scale | None:
        if criterion.kind == "scale" and criterion.scale:
            return self.scales.get(criterion.scale)
        return None

    def scale_of_scored(self, criterion: Criterion) -> Scale:
        """The scale of a scale criterion (the loader has checked that it names one of the
        rubric's)."""
        scale = self.scale_of(criterion)
        if scale is None:
            raise ValidationFailed(
                f"criterion '{criterion.id}' of rubric '{self.id}' has no scale "
                f"('{criterion.scale}' is not one of {sorted(self.scales)})"
            )
        return scale

    def score_range(self, criterion: Criterion) -> tuple[int, int]:
        """Lowest and highest raw score a criterion can have."""
        if criterion.kind == "scale":
            scale = self.scale_of_scored(criterion)
            return scale.minimum, scale.maximum
        if criterion.kind == "yes_no":
            return 0, 1
        if criterion.kind == "elements_check":
            return 0, len(criterion.elements)
        return 0, 0

    @property
    def scored_criteria(self) -> list[ResolvedCriterion]:
        return [c for c in self.criteria if c.criterion.scored]

    @property
    def reviewer_criteria(self) -> list[ResolvedCriterion]:
        """Criteria a person scores or comments on (element checks are automated)."""
        return [c for c in self.criteria if c.criterion.kind != "elements_check"]

    def canonical(self) -> dict[str, Any]:
        """The content, every language included; a rubric in one language has no empty
        `translations` or `languages` keys, so its hash is what it was before rubrics had
        translations."""
        content: dict[str, Any] = _drop_empty_translations(self.model_dump(mode="json"))
        return content

    @property
    def content_hash(self) -> str:
        data = json.dumps(
            self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    def maps(self) -> set[str]:
        return {ref for c in self.criteria for ref in c.criterion.maps_to} | {
            ref for c in self.criteria for ref in c.criterion.elements
        }


def _drop_empty_translations(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _drop_empty_translations(v)
            for k, v in value.items()
            if v or k not in ("translations", "languages")
        }
    if isinstance(value, list):
        return [_drop_empty_translations(v) for v in value]
    return value


RawScore = StrictInt | StrictBool
