"""Offline validation of an ELM v3 / European Digital Credential JSON-LD document against the
official EDC shapes (`qa_engine/formats/elm`): `elm_problems(doc)` lists every problem in words,
an empty list when the document conforms.

1. JSON-LD -> RDF with pyld. Its document loader knows only the vendored contexts (the EDC
   application profile context and the W3C VC contexts, `qa_engine.formats`); any other context
   URL is a problem, and nothing is ever fetched from the network.
2. Every JSON key must be a term the contexts define: JSON-LD silently drops an unknown key, so
   the shapes would never see a misspelt property. The keys pyld drops are reported with their
   JSON paths, and so is a `type` the contexts do not define (the node would be untyped, and no
   shape would apply to it).
3. pyshacl with `EDC-generic-no-cv.ttl` + `EDC-generic-full.ttl` as one shapes graph (loaded once
   per process; no OWL imports, no inference: RDFS inference with the ELM ontology would add
   false violations). Each result is reported as "focus node, path: message".

The sealed form `{"payload": "<credential JSON>", "signatures": [...]}` is validated through its
payload (the seal itself is checked elsewhere).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import pyshacl
from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from qa_engine.config import packaged

# context URL -> (package, file) of the vendored copy
CONTEXTS: dict[str, tuple[str, str]] = {
    "http://data.europa.eu/snb/model/context/edc-ap": (
        "qa_engine.formats.elm",
        "edc-ap-context.jsonld",
    ),
    "https://www.w3.org/2018/credentials/v1": ("qa_engine.formats.w3c", "credentials-v1.jsonld"),
    "https://www.w3.org/ns/credentials/v2": ("qa_engine.formats.w3c", "credentials-v2.jsonld"),
}
SHAPES: tuple[str, ...] = ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl")

_PREFIXES = {
    "elm": "http://data.europa.eu/snb/model/elm/",
    "dc": "http://purl.org/dc/terms/",
    "cred": "https://www.w3.org/2018/credentials#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "adms": "http://www.w3.org/ns/adms#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "rov": "http://www.w3.org/ns/regorg#",
    "edc": "http://data.europa.eu/snb/model/ap/edc-generic-no-cv/",
    "edc-full": "http://data.europa.eu/snb/model/ap/edc-generic-full/",
}


TOO_DEEP = "$: the document is nested too deeply to be read"
_RESOLVED: Any = LRUCache(maxsize=32)


class _Refused(Exception):
    """A context URL that is not vendored."""


@functools.cache
def _context_document(url: str) -> Any:
    package, name = CONTEXTS[url]
    return json.loads(packaged(package, name).read_text("utf-8"))


@functools.cache
def shapes_graph() -> Graph:
    """The EDC shapes (no-cv + full) as one graph, parsed once per process."""
    graph = Graph()
    for name in SHAPES:
        graph.parse(packaged("qa_engine.formats.elm", name), format="turtle")
    return graph


def _loader(refused: list[str]) -> Any:
    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url not in CONTEXTS:
            refused.append(url)
            raise _Refused(url)
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": _context_document(url),
        }

    return load


def _terms(context: Any, out: set[str]) -> None:
    """Every term a context defines, with its scoped contexts."""
    if isinstance(context, list):
        for item in context:
            _terms(item, out)
    elif isinstance(context, str) and context in CONTEXTS:
        _terms(_context_document(context).get("@context"), out)
    elif isinstance(context, dict):
        for key, value in context.items():
            if not key.startswith("@"):
                out.add(key)
            if isinstance(value, dict) and "@context" in value:
                _terms(value["@context"], out)


def _walk(node: Any, path: str = "$") -> Iterator[tuple[str, str, Any]]:
    """(JSON path of the object, key, value) of every key in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, f"{path}[{i}]")


def _key_problems(doc: dict[str, Any], dropped: list[str | None]) -> list[str]:
    problems: list[str] = []
    for name in sorted({d for d in dropped if d}):
        where = [f"{p}.{k}" for p, k, _ in _walk(doc) if k == name]
        shown = ", ".join(where[:5]) + (f" and {len(where) - 5} more" if len(where) > 5 else "")
        problems.append(
            f"{shown or name}: the key {name!r} is not a term of the document's @context, so "
            "JSON-LD drops it (misspelt, or a property ELM does not have)"
        )
    if None in dropped:
        problems.append("$: a key the @context maps to null was dropped")
    terms: set[str] = set()
    _terms(doc.get("@context"), terms)
    for path, key, value in _walk(doc):
        if key != "type":
            continue
        for t in value if isinstance(value, list) else [value]:
            if isinstance(t, str) and t not in terms and ":" not in t:
                problems.append(
                    f"{path}.type: {t!r} is not a class the @context defines, so the node has no "
                    "type and no shape applies to it"
                )
    return problems


def _short(node: Node | None) -> str:
    if node is None:
        return "?"
    text = str(node)
    if isinstance(node, URIRef):
        for prefix, ns in _PREFIXES.items():
            if text.startswith(ns):
                return f"{prefix}:{text[len(ns) :]}"
    return text


def _path_text(path: Node | None) -> str:
    if path is None:
        return "(node)"
    if isinstance(path, URIRef):
        return _short(path)
    return "(complex path)"


def _result_text(results: Graph, data: Graph, result: Node) -> str:
    focus = results.value(result, SH.focusNode)
    path = results.value(result, SH.resultPath)
    message = results.value(result, SH.resultMessage)
    shape = results.value(result, SH.sourceShape)
    severity = results.value(result, SH.resultSeverity)
    level = "" if severity == SH.Violation else f" [{str(severity).rsplit('#', 1)[-1]}]"
    types = ", ".join(sorted(_short(t) for t in data.objects(focus, RDF.type))) or "untyped"
    named = f" (shape {_short(shape)})" if isinstance(shape, URIRef) else ""
    return f"{_short(focus)} ({types}), {_path_text(path)}: {message}{named}{level}"


def _shacl_problems(data: Graph) -> list[str]:
    _conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        inference="none",
        do_owl_imports=False,
        allow_warnings=False,
        advanced=False,
    )
    assert isinstance(results, Graph)
    details = set(results.objects(None, SH.detail))
    problems: list[str] = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if result in details:
            continue  # reported inside the result it explains
        text = _result_text(results, data, result)
        inner = [_result_text(results, data, d) for d in results.objects(result, SH.detail)]
        problems.append(text + "".join(f"; because {d}" for d in sorted(inner)))
    return sorted(problems)


def _unseal(doc: Any) -> tuple[dict[str, Any] | None, list[str]]:
    if not isinstance(doc, dict):
        return None, [f"$: an ELM document is a JSON object, not {type(doc).__name__}"]
    if "payload" in doc and "signatures" in doc and "@context" not in doc:
        payload = doc["payload"]
        if not isinstance(payload, str):
            return None, ["$.payload: a sealed credential's payload is the credential as a string"]
        try:
            inner = json.loads(payload)
        except ValueError as exc:
            return None, [f"$.payload: not JSON ({exc})"]
        if not isinstance(inner, dict):
            return None, ["$.payload: the sealed payload is not a JSON object"]
        return inner, []
    return doc, []


def elm_problems(doc: Any) -> list[str]:
    """Every problem of an ELM JSON-LD document (or of a sealed one's payload), in words; an
    empty list when it conforms to the EDC shapes."""
    try:
        return _problems(doc)
    except RecursionError:
        return [TOO_DEEP]


def _problems(doc: Any) -> list[str]:
    credential, problems = _unseal(doc)
    if credential is None:
        return problems
    if "@context" not in credential:
        return ["$: no @context: the document is not JSON-LD (expected the EDC context)"]
    refused: list[str] = []
    dropped: list[str | None] = []
    processor = jsonld.JsonLdProcessor(on_property_dropped=dropped.append)
    loader = _loader(refused)
    options = {
        "documentLoader": loader,
        # resolved contexts are cached apart from pyld's process-wide cache, so that a context
        # another part of the process resolved is never taken from there
        "contextResolver": ContextResolver(_RESOLVED, loader),
        "format": "application/n-quads",
    }
    try:
        nquads = processor.to_rdf(credential, options)
    except RecursionError:
        return [TOO_DEEP]
    except Exception as exc:  # pyld wraps every failure in its own error types
        if refused:
            known = ", ".join(CONTEXTS)
            return [
                f"$.@context: the context {url!r} is not one of the contexts the engine knows "
                f"({known}); contexts are never fetched from the network"
                for url in dict.fromkeys(refused)
            ]
        return [f"$: not valid JSON-LD: {str(exc).splitlines()[0]}"]
    problems.extend(_key_problems(credential, dropped))
    dataset = Dataset()
    dataset.parse(data=nquads, format="nquads")
    data = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        data.add((s, p, o))
    if len(data) == 0:
        return [*problems, "$: the document yields no RDF statements"]
    problems.extend(_shacl_problems(data))
    return problems
