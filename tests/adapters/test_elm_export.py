"""The ELM v3 export (Qualification + Accreditation, and a sample issued credential) checked
offline against the official EDC shapes, and its values against the credential."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qa_engine.adapters.elm_validate import elm_problems

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"


def test_the_official_sealed_sample_conforms() -> None:
    sealed = json.loads((FORMATS / "Sample-MC-Annex1-signed.jsonld").read_text("utf-8"))
    assert set(sealed) == {"payload", "signatures"}
    assert elm_problems(sealed) == []


def test_the_official_unsealed_sample_fails_with_the_two_known_results() -> None:
    draft = json.loads((FORMATS / "Sample-MC-Annex1-unsigned.jsonld").read_text("utf-8"))
    problems = elm_problems(draft)
    assert len(problems) == 2, problems
    assert any("cred:issued" in p and "Less than 1" in p for p in problems)
    assert any("IssuerNodeShape" in p and "elm:eidasLegalIdentifier" in p for p in problems)


def _official_payload() -> dict[str, Any]:
    sealed = json.loads((FORMATS / "Sample-MC-Annex1-signed.jsonld").read_text("utf-8"))
    payload: dict[str, Any] = json.loads(sealed["payload"])
    return payload


def test_an_unknown_key_in_the_official_sample_is_found() -> None:
    doc = _official_payload()
    doc["credentialSubject"]["hasClaim"]["specifiedBy"]["ectsCredits"] = 5
    problems = elm_problems(doc)
    assert problems == [
        "$.credentialSubject.hasClaim.specifiedBy.ectsCredits: the key 'ectsCredits' is not a "
        "term of the document's @context, so JSON-LD drops it (misspelt, or a property ELM "
        "does not have)"
    ]


def test_a_document_nested_too_deeply_is_refused_in_words() -> None:
    doc: dict[str, Any] = {"@context": "http://data.europa.eu/snb/model/context/edc-ap"}
    node = doc
    for _ in range(10_000):
        node["additionalNote"] = {}
        node = node["additionalNote"]
    assert elm_problems(doc) == ["$: the document is nested too deeply to be read"]


def test_an_unknown_context_is_refused_without_the_network() -> None:
    doc = _official_payload()
    doc["@context"] = ["https://example.org/elsewhere.jsonld"]
    problems = elm_problems(doc)
    assert len(problems) == 1
    assert "'https://example.org/elsewhere.jsonld' is not one of the contexts" in problems[0]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([1, 2], "$: an ELM document is a JSON object, not list"),
        ({"title": {"en": "x"}}, "$: no @context"),
        ({"payload": "{not json", "signatures": []}, "$.payload: not JSON"),
        ({"payload": 5, "signatures": []}, "$.payload: a sealed credential's payload"),
    ],
)
def test_what_is_not_an_elm_document_is_refused_in_words(doc: Any, expected: str) -> None:
    problems = elm_problems(doc)
    assert len(problems) == 1 and problems[0].startswith(expected), problems
