"""Placeholder: replaced by the real module at merge."""

from __future__ import annotations

from typing import Any


def ob3_problems(doc: dict[str, Any]) -> list[str]:
    return [] if doc.get("credentialSubject") else ["credentialSubject: missing"]


def deqar_problems(doc: dict[str, Any]) -> list[str]:
    return [] if doc.get("decision") in (1, 2, 3) else ["decision: not 1, 2 or 3"]
