"""Placeholder: replaced by the real module at merge."""

from __future__ import annotations

from typing import Any


def elm_problems(doc: dict[str, Any]) -> list[str]:
    return [] if doc.get("type") else ["type: missing"]
