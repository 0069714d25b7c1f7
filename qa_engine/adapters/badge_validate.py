"""Offline checks of the Open Badges 3.0 and DEQAR exports: each problem in words with its JSON path
("$.credentialSubject.achievement.criteria: 'criteria' is a required property").

- `ob3_problems`: the vendored 1EdTech JSON Schema (`qa_engine/formats/obv3`, draft 2019-09, with
  formats checked: `date-time` through rfc3339-validator), and the JSON-LD terms: every key must be
  defined by the VC v2 / OB 3.0 contexts, because a JSON-LD processor silently drops any other.
- `deqar_problems`: `deqar_report.schema.json` beside this module (the DEQAR submission API v2
  report record).

`check_ob3` / `check_deqar` raise `ExportInvalid` instead, for callers that must not hand out an
export that fails its format. Schemas and contexts are loaded and compiled once per process.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

from jsonschema import Draft201909Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from pyld import jsonld

from qa_engine.config import packaged
from qa_engine.domain.decision_record import ExportInvalid

# the remote contexts an OB 3.0 credential may name -> the vendored copies (no network, ever)
CONTEXTS: dict[str, tuple[str, str]] = {
    "https://www.w3.org/ns/credentials/v2": ("qa_engine.formats.w3c", "credentials-v2.jsonld"),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": (
        "qa_engine.formats.obv3",
        "context-3.0.3.json",
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": (
        "qa_engine.formats.obv3",
        "ob-v3p0-extensions.json",
    ),
}


def _load(package: str, name: str) -> Any:
    return json.loads(packaged(package, name).read_text("utf-8"))


@functools.cache
def _ob3_validator() -> Draft201909Validator:
    schema = _load("qa_engine.formats.obv3", "achievementcredential.json")
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema, format_checker=FormatChecker())


@functools.cache
def _deqar_validator() -> Draft201909Validator:
    schema = _load("qa_engine.adapters", "deqar_report.schema.json")
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema, format_checker=FormatChecker())


@functools.cache
def _context(url: str) -> Any:
    return _load(*CONTEXTS[url])


def _document_loader(url: str, options: Any = None) -> dict[str, Any]:
    if url not in CONTEXTS:
        raise ValueError(f"the context {url} is not one of the vendored ones")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": _context(url),
    }


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _alternatives(error: ValidationError) -> list[str] | None:
    """The key sets of a oneOf/anyOf made only of `required` alternatives, else None."""
    value = error.validator_value if error.validator in ("oneOf", "anyOf") else None
    if isinstance(value, list) and all(
        isinstance(a, dict) and list(a) == ["required"] for a in value
    ):
        return [" and ".join(a["required"]) for a in value]
    return None


def _problem(error: ValidationError) -> str:
    names = _alternatives(error)
    if names is not None:
        # alternatives of required keys: say which keys are wanted, or which exclude each other
        said = "give only one of" if not error.context else "give one of"
        return f"{error.json_path}: {said}: {'; '.join(names)}"
    # "x is not valid under any of the given schemas" says little: give the closest reason
    best: ValidationError = best_match(error.context) if error.context else error
    return f"{best.json_path}: {_short(best.message)}"


def _schema_problems(validator: Draft201909Validator, doc: Any) -> list[str]:
    out: list[str] = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: (e.json_path, e.message)):
        out.append(_problem(error))
    return list(dict.fromkeys(out))


# Markers put on every object before expansion: the processor visits an object's keys in sorted
# order, so a first and a last marker bracket the object and tell which path a dropped key is at.
_OPEN, _CLOSE = "\u0000", "\U0010ffff"


def _marked(node: Any, path: str, paths: list[str]) -> Any:
    if isinstance(node, dict):
        index = len(paths)
        paths.append(path)
        out: dict[str, Any] = {f"{_OPEN}{index}": True}
        for key, value in node.items():
            out[key] = value if key == "@context" else _marked(value, f"{path}.{key}", paths)
        out[f"{_CLOSE}{index}"] = True
        return out
    if isinstance(node, list):
        return [_marked(v, f"{path}[{i}]", paths) for i, v in enumerate(node)]
    return node


def undefined_terms(doc: Any) -> list[str]:
    """The JSON paths of keys the document's JSON-LD contexts do not define (a processor drops
    them, so no verifier or wallet would ever see them). The path comes from markers bracketing
    each object; where an embedded context makes that impossible (a language or index map, whose
    keys are not terms, cannot hold a marker), the key is named as "$..key" (somewhere)."""
    paths: list[str] = []
    stack: list[str] = []
    found: list[str] = []

    def dropped(key: str | None) -> None:
        if key and key[0] == _OPEN:
            stack.append(paths[int(key[1:])])
        elif key and key[0] == _CLOSE:
            stack.pop()
        else:
            found.append(f"{stack[-1] if stack else '$.'}.{key}")

    expand: Callable[..., Any] = jsonld.expand
    options = {"documentLoader": _document_loader}
    try:
        expand(_marked(doc, "$", paths), options, on_property_dropped=dropped)
    except Exception:
        # the same document without markers: a real error is raised again, to the caller
        stack.clear()
        found.clear()
        expand(doc, options, on_property_dropped=dropped)
    return found


def _reason(exc: BaseException) -> str:
    """The innermost cause of a JSON-LD error, in words (pyld wraps the loader's own error)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        details = getattr(current, "details", None)
        nested = details.get("cause") if isinstance(details, dict) else None
        current = nested if isinstance(nested, BaseException) else current.__cause__
    inner = seen[-1]
    text = inner.args[0] if inner.args and isinstance(inner.args[0], str) else str(inner)
    return _short(text)


def _term_problems(doc: Any) -> list[str]:
    try:
        paths = undefined_terms(doc)
    except Exception as exc:  # pyld raises its JsonLdError for any malformed document
        return [f"$: not a JSON-LD document the OB 3.0 contexts can read: {_reason(exc)}"]
    return [
        f"{path}: '{path.rsplit('.', 1)[-1]}' is not a term of the VC v2 or OB 3.0 contexts"
        " (JSON-LD processors drop it)"
        for path in paths
    ]


def ob3_problems(doc: dict[str, Any]) -> list[str]:
    """Every way the document fails the OB 3.0 AchievementCredential schema or its contexts."""
    problems = _schema_problems(_ob3_validator(), doc)
    if isinstance(doc, dict) and isinstance(doc.get("@context"), list):
        problems += _term_problems(doc)
    return problems


def deqar_problems(doc: dict[str, Any]) -> list[str]:
    """Every way the document fails the DEQAR report record schema."""
    return _schema_problems(_deqar_validator(), doc)


def _raise_if(problems: Iterable[str], what: str) -> None:
    listed = list(problems)
    if listed:
        where, _, _ = listed[0].partition(": ")
        raise ExportInvalid(where, f"the {what} fails its format: " + "; ".join(listed))


def check_ob3(doc: dict[str, Any]) -> None:
    """Raise `ExportInvalid` listing every problem of an OB 3.0 credential."""
    _raise_if(ob3_problems(doc), "Open Badges 3.0 credential")


def check_deqar(doc: dict[str, Any]) -> None:
    """Raise `ExportInvalid` listing every problem of a DEQAR report record."""
    _raise_if(deqar_problems(doc), "DEQAR report record")
