"""What changed between two versions of a credential, element by element (a revision round shows
it beside the version it reviews)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_engine.domain.credential import FIELDS
from qa_engine.domain.credential import Credential as CredentialData


@dataclass(frozen=True)
class ElementChange:
    """One element that differs: its values as text, and for a list (learning outcomes, languages,
    skills …) the items added and removed."""

    field: str  # the credential field, e.g. "ects"
    element: str  # the standard element it carries ("EU-A1.7"), "" for the alliance's own fields
    label: str  # the field's name as people read it, e.g. "ECTS"
    before: str
    after: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def is_list(self) -> bool:
        return bool(self.added or self.removed)


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def diff_credentials(before: CredentialData, after: CredentialData) -> list[ElementChange]:
    """Every field whose value differs between the two versions, in the order of the form."""
    out: list[ElementChange] = []
    for spec in FIELDS:
        old, new = getattr(before, spec.name), getattr(after, spec.name)
        if old == new:
            continue
        added: tuple[str, ...] = ()
        removed: tuple[str, ...] = ()
        if isinstance(old, list) and isinstance(new, list):
            added = tuple(str(v) for v in new if v not in old)
            removed = tuple(str(v) for v in old if v not in new)
        out.append(
            ElementChange(
                spec.name,
                spec.element or "",
                spec.header,
                _text(old),
                _text(new),
                added,
                removed,
            )
        )
    return out
