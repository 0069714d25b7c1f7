"""The EU controlled vocabularies of the ELM v3 export and import (`eu_vocabularies.yaml`, package
data): concept schemes, and the concept URIs of the engine's coded values, both ways.

`concept(kind, value, field=…)` gives the concept of a value or raises `ExportInvalid` naming the
field; `value_of(kind, uri)` reads a concept URI back into the engine's value (None when the table
does not know it)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import yaml

from qa_engine.config import packaged
from qa_engine.domain.decision_record import ExportInvalid


@dataclass(frozen=True)
class Concept:
    uri: str
    scheme: str
    label: str = ""

    def as_jsonld(self) -> dict[str, Any]:
        """The concept as the EDC samples write it: typed, with its scheme (and label)."""
        out: dict[str, Any] = {
            "id": self.uri,
            "type": "Concept",
            "inScheme": {"id": self.scheme, "type": "ConceptScheme"},
        }
        if self.label:
            out["prefLabel"] = {"en": self.label}
        return out


@functools.cache
def _table() -> dict[str, Any]:
    path = packaged("qa_engine.adapters", "eu_vocabularies.yaml")
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def scheme(kind: str) -> str:
    return str(_table()["schemes"][kind])


def concept(kind: str, value: str | int, *, field: str) -> Concept:
    """The concept of one coded value, or `ExportInvalid` naming the field and the table."""
    t = _table()
    text = str(value)
    if kind in ("eqf", "isced_f"):
        ok = (kind == "eqf" and text.isdigit() and 1 <= int(text) <= 8) or (
            kind == "isced_f" and re.fullmatch(r"\d{2,4}", text) is not None
        )
        if ok:
            return Concept(t["patterns"][kind] + text, scheme(kind))
    elif kind == "language":
        code = t["languages"].get(text.lower())
        if code:
            return Concept(t["patterns"]["language"] + code, scheme(kind))
    elif kind == "country":
        code = t["countries"].get(text.upper())
        if code:
            return Concept(t["patterns"]["country"] + code, scheme(kind))
    else:
        entry = t["concepts"].get(kind, {}).get(text)
        if entry:
            return Concept(entry["uri"], scheme(kind), entry.get("label", ""))
    raise ExportInvalid(
        field,
        f"{text!r} has no concept in the EU vocabulary table ({kind}); add its concept URI to "
        "eu_vocabularies.yaml, or correct the value",
    )


def known(kind: str, value: str | int) -> bool:
    try:
        concept(kind, value, field=kind)
    except ExportInvalid:
        return False
    return True


@functools.cache
def _reverse() -> dict[str, tuple[str, str]]:
    t = _table()
    out: dict[str, tuple[str, str]] = {}
    for kind, entries in t["concepts"].items():
        for value, entry in entries.items():
            out.setdefault(entry["uri"], (kind, value))
    for iso, code in t["languages"].items():
        out[t["patterns"]["language"] + code] = ("language", iso)
    for iso, code in t["countries"].items():
        out[t["patterns"]["country"] + code] = ("country", iso)
    return out


def value_of(kind: str, uri: str) -> str | None:
    """The engine's value for a concept URI of this kind, or None when the table does not know
    it. EQF levels and ISCED-F codes are read from the URI itself."""
    t = _table()
    if kind in ("eqf", "isced_f"):
        prefix = t["patterns"][kind]
        if uri.startswith(prefix):
            code = uri[len(prefix) :]
            if (kind == "eqf" and re.fullmatch(r"[1-8]", code)) or (
                kind == "isced_f" and re.fullmatch(r"\d{2,4}", code)
            ):
                return code
        return None
    found = _reverse().get(uri)
    if found is None or found[0] != kind:
        return None
    return found[1]
