"""Read a micro-credential description from an ELM v3 (Europass) JSON-LD file.

The file is a `Qualification`, an ELM credential (`EuropeanDigitalCredential` /
`VerifiableCredential`) whose claim is specified by one, or such a credential sealed as EDC seals
it (``{"payload": "<the credential as a JSON string>", "signatures": [...]}``). Its values become
the raw values `parse_credential` takes, and every problem is named by its JSON path
(``$.credentialSubject.hasClaim.specifiedBy.creditPoint[0].point: …``); nothing is returned unless
the whole description is valid.

Limits come first, before the text becomes objects: the size (`MAX_ELM_BYTES`), the nesting
(`MAX_ELM_DEPTH`), JSON itself, then JSON-LD: a ``@context`` naming only the ELM context and the
W3C VC contexts (nothing is ever fetched). Coded values are read back through the shared EU
vocabulary table (`eu_vocabularies.value_of`), the provider's code and the elements ELM has no
property for through `elm_terms` (what the engine's ELM export writes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from qa_engine.adapters import elm_terms
from qa_engine.adapters.credential_io import ImportInvalid, ImportProblem, decode_json_text
from qa_engine.adapters.eu_vocabularies import concept, value_of
from qa_engine.domain.credential import (
    FIELD_BY_NAME,
    FIELDS,
    SUPERVISION_VALUES,
    Credential,
    CredentialInvalid,
    parse_credential,
)
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.institutions import provider_code
from qa_engine.domain.limits import MAX_ELM_BYTES, MAX_ELM_DEPTH, check_size

ELM_CONTEXT = "http://data.europa.eu/snb/model/context/edc-ap"
W3C_CONTEXTS = ("https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/v2")
SUFFIXES = (".jsonld", ".json-ld")
CREDENTIAL_TYPES = ("EuropeanDigitalCredential", "VerifiableCredential")
DCF_PREFIX = "http://data.europa.eu/snb/dcf/"
# an "@context" key, or one inside a sealed payload (a JSON string: its quotes escaped)
_CONTEXT_KEY = re.compile(rb'(?:"@context"|\\"@context\\")\s*:')
# how a person gives an element the file lacks, on the command line and on the upload page
_SUPPLY = 'give it when importing (--set, or "Values the file lacks" on the upload page):'
_TOO_DEEP = (
    "nested more than {limit} levels deep; an ELM credential nests far less (the official "
    "samples: 10 levels), so this is not one"
)
_LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "cs": "Czech", "pl": "Polish"}
_LANGUAGE_NAMES |= {"it": "Italian", "da": "Danish", "es": "Spanish"}


@dataclass(frozen=True)
class ElmImport:
    """The credential read from an ELM file, and what a person should know about the reading
    (which Qualification, which language, what was left out, the seal not checked)."""

    credential: Credential
    notes: list[str] = field(default_factory=list)


def is_elm_file(path: Path) -> bool:
    """Whether a credentials file is to be read as ELM: by its extension (.jsonld, .json-ld), or a
    .json file that is JSON-LD (it has a ``@context``, also inside a sealed payload)."""
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        return True
    if suffix != ".json":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(MAX_ELM_BYTES + 1)
    except OSError:
        return False
    return _CONTEXT_KEY.search(head) is not None


def read_elm(
    path: Path,
    *,
    max_bytes: int,
    known_providers: set[str] | None = None,
    supplied: Mapping[str, str] | None = None,
) -> ElmImport:
    """Read an ELM file (at most `max_bytes` and `MAX_ELM_BYTES`) into one validated credential;
    `supplied` gives engine fields the file lacks or replaces (``--set FIELD=VALUE``)."""
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationFailed(f"{name}: file not found") from None
    check_size(size, min(max_bytes, MAX_ELM_BYTES), name)
    return parse_elm(
        path.read_bytes(), name=name, known_providers=known_providers, supplied=supplied
    )


def parse_elm(
    data: bytes,
    *,
    name: str,
    known_providers: set[str] | None = None,
    supplied: Mapping[str, str] | None = None,
) -> ElmImport:
    """The credential an ELM file describes, or `ImportInvalid` listing every problem by path."""
    check_size(len(data), MAX_ELM_BYTES, name)
    supplied = dict(supplied or {})
    unknown = sorted(k for k in supplied if k not in FIELD_BY_NAME)
    if unknown:
        raise ValidationFailed(
            f"--set {unknown[0]}=…: no such credential field (fields: "
            f"{', '.join(f.name for f in FIELDS)})"
        )
    doc = _decode(data, name, "")
    notes: list[str] = []
    prefix = ""
    if isinstance(doc, dict) and "@context" not in doc and "payload" in doc:
        doc, prefix = _unseal(doc, name)
        notes.append(
            "the file is a sealed credential: its payload was read, its seal was not checked "
            "here (`qa-engine exports verify FILE` checks it)"
        )
    _check_contexts(doc, name, prefix)
    reader = _Reader(doc, prefix)
    reader.find_qualification(name)
    reader.read()
    return reader.finish(name, known_providers, supplied, notes)


def parse_assignments(lines: Iterable[str]) -> dict[str, str]:
    """``FIELD=VALUE`` lines (``--set`` options, the upload page's "Values the file lacks") by
    field; blank lines are skipped, a line that is not FIELD=VALUE, an unknown field or one given
    twice is a `ValidationFailed` naming it."""
    out: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValidationFailed(f"{line.strip()!r}: write FIELD=VALUE, e.g. reference=MC-01")
        if name not in FIELD_BY_NAME:
            raise ValidationFailed(
                f"{name!r} is not a credential field (fields: {', '.join(FIELD_BY_NAME)})"
            )
        if name in out:
            raise ValidationFailed(f"{name} is given twice")
        out[name] = value.strip()
    return out


# --------------------------------------------------------------------------- text to JSON


def _decode(data: bytes, name: str, prefix: str) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportInvalid(
            name, [ImportProblem(prefix or "$", f"not UTF-8 text (byte {exc.start})")]
        ) from None
    if not text.strip():
        raise ImportInvalid(name, [ImportProblem(prefix or "$", "the file is empty")])
    try:
        return decode_json_text(text, name=name, max_depth=MAX_ELM_DEPTH, too_deep=_TOO_DEEP)
    except ImportInvalid as exc:
        if not prefix:
            raise
        raise ImportInvalid(
            name, [ImportProblem(f"{prefix} {p.where}", p.message, p.text) for p in exc.problems]
        ) from None


def _unseal(envelope: dict[str, Any], name: str) -> tuple[Any, str]:
    """The credential inside a sealed envelope (EDC's JAdES: the payload as a JSON string)."""
    payload = envelope.get("payload")
    if not isinstance(payload, str) or "signatures" not in envelope:
        raise ImportInvalid(
            name,
            [
                ImportProblem(
                    "$",
                    "not JSON-LD: no @context. An ELM file is a Qualification or a credential "
                    f'with "@context" naming {ELM_CONTEXT}, or a sealed credential '
                    '{"payload": "<the credential as a JSON string>", "signatures": [...]}',
                )
            ],
        )
    return _decode(payload.encode("utf-8"), name, "$.payload:"), "$.payload:"


def _check_contexts(doc: Any, name: str, prefix: str) -> None:
    if not isinstance(doc, dict):
        raise ImportInvalid(
            name,
            [
                ImportProblem(
                    f"{prefix}$", "expected a JSON-LD object (a Qualification or credential)"
                )
            ],
        )
    if "@context" not in doc:
        raise ImportInvalid(
            name,
            [
                ImportProblem(
                    f"{prefix}$",
                    f'not JSON-LD: no @context; an ELM file names its context, "@context": '
                    f'["{W3C_CONTEXTS[0]}", "{ELM_CONTEXT}"]',
                )
            ],
        )
    problems = list(_context_problems(doc, f"{prefix}$"))
    if not problems and ELM_CONTEXT not in _as_strings(doc["@context"]):
        problems.append(
            ImportProblem(
                f"{prefix}$.@context",
                f"not an ELM file: its @context does not name the ELM context {ELM_CONTEXT}",
            )
        )
    if problems:
        raise ImportInvalid(name, problems)


def _as_strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str)]


def _context_problems(value: Any, where: str) -> Iterator[ImportProblem]:
    """Every @context (at any depth) that is not one the engine reads without fetching."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _context_problems(item, f"{where}[{i}]")
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        at = f"{where}.{key}"
        if key == "@context":
            entries = item if isinstance(item, list) else [item]
            for i, entry in enumerate(entries):
                spot = f"{at}[{i}]" if isinstance(item, list) else at
                if isinstance(entry, str):
                    if entry not in (ELM_CONTEXT, *W3C_CONTEXTS):
                        yield ImportProblem(
                            spot,
                            f"unknown context {entry!r}; only the ELM context {ELM_CONTEXT} and "
                            f"the W3C credentials contexts ({', '.join(W3C_CONTEXTS)}) are read, "
                            "and no context is fetched",
                        )
                else:
                    yield ImportProblem(
                        spot,
                        "an embedded context definition; only the ELM context "
                        f"{ELM_CONTEXT} and the W3C credentials contexts are read",
                    )
        else:
            yield from _context_problems(item, at)


# --------------------------------------------------------------------------- JSON-LD values


def _types(obj: Any) -> list[str]:
    if not isinstance(obj, dict):
        return []
    value = obj.get("type", obj.get("@type"))
    return [t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)]


def _items(value: Any, where: str) -> list[tuple[Any, str]]:
    """A property's values with their paths: one value, or each of a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return [(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return [(value, where)]


def _concept_id(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        found = value.get("id", value.get("@id"))
        return found if isinstance(found, str) else None
    return None


# how the engine's ELM export states in words a competence without an EU concept id
_COMPETENCE_NOTE = re.compile(r"(DigComp 2\.2|GreenComp) competence (\d+\.\d+)\b")
_DURATION = re.compile(
    r"P(?:(?P<Y>\d+)Y)?(?:(?P<Mo>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<H>\d+(?:\.\d+)?)H)?(?:(?P<Mi>\d+(?:\.\d+)?)M)?(?:(?P<S>\d+(?:\.\d+)?)S)?)?"
)


def duration_hours(text: str) -> int:
    """The whole hours of an ISO 8601 duration given in hours (``PT60H``, ``PT90M``); a duration
    in days, weeks, months or years is refused: a day of learning is not a number of hours."""
    m = _DURATION.fullmatch(text.strip())
    if m is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration (e.g. PT60H for 60 hours)")
    if any(m.group(k) and int(m.group(k)) for k in ("Y", "Mo", "W", "D")):
        raise ValueError(
            f"{text!r} counts days, weeks, months or years; give the notional learning hours "
            "in hours, e.g. PT60H"
        )
    hours = Decimal(m.group("H") or 0) + Decimal(m.group("Mi") or 0) / 60
    hours += Decimal(m.group("S") or 0) / 3600
    if hours != hours.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of hours")
    return int(hours)


# the hints for an engine element the file does not carry: where it would be, what to add
def _missing_hint(field: str) -> tuple[str, str]:
    if field in elm_terms.NOTE_LABELS and field != "provider":
        label = elm_terms.NOTE_LABELS[field]
        return ".additionalNote", f'add a note whose noteLiteral reads "{label}: …"'
    ects = concept("credit_system", "ECTS", field="ects").uri
    hints: dict[str, tuple[str, str]] = {
        "reference": (
            ".identifier",
            f'add an identifier with schemeName "{elm_terms.REFERENCE_SCHEME}" and the code as '
            "its notation",
        ),
        "provider": (
            ".awardingOpportunity.awardingBody.legalName",
            "name one of the alliance's institutions as the awarding body (its legal name), or "
            f'add a note "{elm_terms.NOTE_LABELS["provider"]}: CODE"',
        ),
        "awarding_body": (
            ".awardingOpportunity.awardingBody.legalName",
            "add the awarding body (an Organisation with its legalName)",
        ),
        "country": (
            ".awardingOpportunity.awardingBody.location.address.countryCode",
            "add the awarding body's address with its country concept",
        ),
        "title": (".title", 'add a title, e.g. {"en": "…"}'),
        "learning_outcomes": (".learningOutcome", "add the learning outcomes, each with a title"),
        "ects": (".creditPoint", f"add a creditPoint with the ECTS framework ({ects})"),
        "eqf_level": (".eqfLevel", "add the EQF level concept (http://data.europa.eu/snb/eqf/N)"),
        "assessment_type": (
            ".provenBy",
            "add the assessment: a LearningAssessmentSpecification with a title or description",
        ),
        "participation_form": (
            ".mode",
            "add the mode of learning and assessment concept (online, blended or presential)",
        ),
        "isced_f": (
            ".thematicArea",
            "add the ISCED-F field concept (http://data.europa.eu/snb/isced-f/CODE)",
        ),
        "languages": (".language", "add the language concept(s) of instruction"),
    }
    return hints.get(field, ("", "add it"))


class _Reader:
    """Reads one Qualification (and the claim and credential around it) into raw values."""

    def __init__(self, doc: dict[str, Any], prefix: str) -> None:
        self.doc = doc
        self.root = f"{prefix}$"
        self.raw: dict[str, Any] = {}
        self.origin: dict[str, str] = {}
        self.problems: list[ImportProblem] = []
        self.notes: list[str] = []
        self.other_languages: dict[str, list[str]] = {}  # language -> what was read in it
        self.q: dict[str, Any] = {}
        self.qpath = self.root
        self.claim: dict[str, Any] | None = None
        self.claim_path = ""
        self._index: dict[str, tuple[dict[str, Any], str]] | None = None
        self.unknown_body: tuple[str, str] | None = None  # an awarding body not of the alliance
        self.several = False  # the credential holds several Qualifications
        self.engine_notes = False  # the Qualification carries notes of `elm_terms`
        self.in_words: dict[str, list[tuple[str, str]]] = {}  # competences stated in notes
        # the items of a list element with their paths, to place a problem with one of them
        self.item_paths: dict[str, list[tuple[str, str]]] = {}

    # ----------------------------------------------------------- finding the Qualification

    def find_qualification(self, name: str) -> None:
        types = _types(self.doc)
        if "Qualification" in types:
            self.q = self.doc
            return
        if not any(t in types for t in CREDENTIAL_TYPES):
            found = " / ".join(types) if types else "an object without a type"
            raise ImportInvalid(
                name,
                [
                    ImportProblem(
                        f"{self.root}.type",
                        f"no Qualification found: the file is {found}; expected a Qualification "
                        "or an ELM credential (EuropeanDigitalCredential) whose claim is "
                        "specified by a Qualification",
                    )
                ],
            )
        found_claims: list[str] = []
        candidates: list[tuple[dict[str, Any], str, dict[str, Any], str]] = []
        for subject, spath in _items(
            self.doc.get("credentialSubject"), f"{self.root}.credentialSubject"
        ):
            if not isinstance(subject, dict):
                continue
            for claim, cpath in self._claims(subject.get("hasClaim"), f"{spath}.hasClaim"):
                specs = self._objects(claim.get("specifiedBy"), f"{cpath}.specifiedBy")
                spec_types = [" / ".join(_types(s)) or "no type" for s, _ in specs]
                found_claims.append(
                    f"{' / '.join(_types(claim)) or 'a claim'} at {cpath}"
                    + (f" specified by {', '.join(spec_types)}" if specs else "")
                )
                for spec, path in specs:
                    if isinstance(spec, dict) and "Qualification" in _types(spec):
                        candidates.append((spec, path, claim, cpath))
        if not candidates:
            what = "; ".join(found_claims) if found_claims else "no claims (hasClaim)"
            raise ImportInvalid(
                name,
                [
                    ImportProblem(
                        f"{self.root}.credentialSubject.hasClaim",
                        f"no Qualification found: the credential holds {what}; only a "
                        "Qualification describes a micro-credential",
                    )
                ],
            )
        self.q, self.qpath, self.claim, self.claim_path = candidates[0]
        self.several = len(candidates) > 1
        if len(candidates) > 1:
            others = ", ".join(
                f"{path} ({self._title_of(spec)})" for spec, path, *_ in candidates[1:]
            )
            self.notes.append(
                f"the credential holds {len(candidates)} Qualifications: the first, at "
                f"{self.qpath} ({self._title_of(self.q)}), was read; not read: {others}"
            )

    def _claims(self, value: Any, where: str) -> Iterator[tuple[dict[str, Any], str]]:
        """The claims and, after them, their parts (depth-first: the top claims come first)."""
        for claim, path in _items(value, where):
            if isinstance(claim, dict):
                yield claim, path
                yield from self._claims(claim.get("hasPart"), f"{path}.hasPart")

    def _title_of(self, obj: dict[str, Any]) -> str:
        title = obj.get("title")
        if isinstance(title, dict) and title:
            first = title.get("en", next(iter(title.values())))
            return repr(first) if isinstance(first, str) else "untitled"
        return repr(title) if isinstance(title, str) else "untitled"

    def _objects(self, value: Any, where: str) -> list[tuple[Any, str]]:
        """A property's values with their paths (`_items`); an object given by its id only is
        the fullest object with that id in the file, at its own path."""
        out = []
        for item, path in _items(value, where):
            if isinstance(item, str):
                if self._index is None:
                    self._index = {}
                    self._collect(self.doc, self.root)
                item, path = self._index.get(item, (item, path))
            out.append((item, path))
        return out

    def _collect(self, value: Any, where: str) -> None:
        assert self._index is not None
        if isinstance(value, list):
            for i, item in enumerate(value):
                self._collect(item, f"{where}[{i}]")
        elif isinstance(value, dict):
            ident = value.get("id")
            if isinstance(ident, str) and len(value) > len(self._index.get(ident, ({}, ""))[0]):
                self._index[ident] = (value, where)
            for key, item in value.items():
                self._collect(item, f"{where}.{key}")

    # ----------------------------------------------------------- values

    def text(self, value: Any, where: str, label: str) -> tuple[str, str] | None:
        """A language map's text (English, else the first language) and its path, or a
        problem."""
        if value is None:
            return None
        if isinstance(value, str):
            return value, where
        if isinstance(value, list):  # several values: each its own language map or text
            texts = [self.text(v, f"{where}[{i}]", label) for i, v in enumerate(value)]
            kept = [t for t in texts if t is not None]
            if not kept:
                return None
            return "\n".join(t[0] for t in kept), where
        if not isinstance(value, dict) or not value:
            self.problems.append(
                ImportProblem(where, 'expected a text in a language map, e.g. {"en": "…"}')
            )
            return None
        lang = "en" if "en" in value else next(iter(value))
        text = value[lang]
        at = f"{where}.{lang}"
        if isinstance(text, list):
            text = "\n".join(t for t in text if isinstance(t, str))
        if not isinstance(text, str):
            self.problems.append(ImportProblem(at, "expected text"))
            return None
        if lang != "en":
            self.other_languages.setdefault(lang, []).append(label)
        return text, at

    def put(self, name: str, value: Any, where: str) -> None:
        if name not in self.raw:
            self.raw[name] = value
            self.origin[name] = where

    def read(self) -> None:
        q, qp = self.q, self.qpath
        self._notes(q, qp)
        self._identifier(q, qp)
        found = self.text(q.get("title"), f"{qp}.title", "title")
        if found:
            self.put("title", *found)
        self._description(q, qp)
        self._credit(q, qp)
        self._workload(q, qp)
        self._coded(q.get("eqfLevel"), f"{qp}.eqfLevel", "eqf", "eqf_level", "EQF level")
        self._outcomes(q, qp)
        for note, path in _items(q.get("entryRequirement"), f"{qp}.entryRequirement"):
            found = self.text(
                note.get("noteLiteral") if isinstance(note, dict) else note,
                f"{path}.noteLiteral" if isinstance(note, dict) else path,
                "entry requirements",
            )
            if found:
                self.put("prerequisites", *found)
        self._coded(q.get("mode"), f"{qp}.mode", "mode", "participation_form", "mode of learning")
        self._thematic_area(q, qp)
        self._languages(q, qp)
        self._assessment(q, qp)
        self._awarding_body(q, qp)

    def _description(self, q: dict[str, Any], qp: str) -> None:
        """A description is the further information, unless the file states the engine's
        elements in notes (as the engine's export does, whose description is a summary of the
        other elements): then the note says it, or there is none."""
        if q.get("description") is None:
            return
        if self.engine_notes:
            label = elm_terms.NOTE_LABELS["further_information"]
            self.notes.append(
                f"{qp}.description: not read as further information: the file states the "
                f'engine\'s elements in notes, further information in a "{label}: …" note'
            )
            return
        found = self.text(q.get("description"), f"{qp}.description", "description")
        if found:
            self.put("further_information", *found)

    def _notes(self, q: dict[str, Any], qp: str) -> None:
        for note, path in _items(q.get("additionalNote"), f"{qp}.additionalNote"):
            if not isinstance(note, dict):
                continue
            found = self.text(note.get("noteLiteral"), f"{path}.noteLiteral", "note")
            if found is None:
                continue
            parsed = elm_terms.parse_note(found[0])
            if parsed is None:
                self._competence_note(found[0], found[1])
            else:
                self.engine_notes = True
                if parsed[0] in self.raw:
                    self.problems.append(
                        ImportProblem(
                            found[1],
                            f'a second "{elm_terms.NOTE_LABELS[parsed[0]]}" note (the first is at '
                            f"{self.origin[parsed[0]]}); keep one",
                        )
                    )
                self.put(parsed[0], parsed[1], found[1])

    def _competence_note(self, text: str, where: str) -> None:
        """A competence the engine's export states in words for want of an EU concept id
        ("DigComp 2.2 competence 1.3 …", "GreenComp competence 2.1 …")."""
        m = _COMPETENCE_NOTE.match(text)
        if m is None:
            return
        field_name = "greencomp" if m.group(1) == "GreenComp" else "digcomp"
        self.in_words.setdefault(field_name, []).append((m.group(2), where))

    def _identifier(self, q: dict[str, Any], qp: str) -> None:
        for ident, path in _items(q.get("identifier"), f"{qp}.identifier"):
            if isinstance(ident, dict) and ident.get("schemeName") == elm_terms.REFERENCE_SCHEME:
                self.put("reference", ident.get("notation"), f"{path}.notation")

    def _credit(self, q: dict[str, Any], qp: str) -> None:
        ects = concept("credit_system", "ECTS", field="ects").uri
        others: list[tuple[str, str]] = []
        for credit, path in _items(q.get("creditPoint"), f"{qp}.creditPoint"):
            if not isinstance(credit, dict):
                self.problems.append(ImportProblem(path, "expected a CreditPoint object"))
                continue
            framework = _concept_id(credit.get("framework"))
            if framework == ects:
                point = credit.get("point")
                if point is None:
                    self.problems.append(ImportProblem(f"{path}.point", "no credit points given"))
                else:
                    self.put("ects", point, f"{path}.point")
                return
            others.append((path, framework or "no framework"))
        for path, framework in others:
            self.problems.append(
                ImportProblem(
                    f"{path}.framework",
                    f"credit points in the framework {framework}; the engine records ECTS "
                    f"credits: add a creditPoint with the ECTS framework ({ects})",
                )
            )

    def _workload(self, q: dict[str, Any], qp: str) -> None:
        value, path = q.get("volumeOfLearning"), f"{qp}.volumeOfLearning"
        if value is None:
            return
        if not isinstance(value, str):
            self.problems.append(ImportProblem(path, "expected an ISO 8601 duration, e.g. PT60H"))
            return
        try:
            self.put("workload_hours", duration_hours(value), path)
        except ValueError as exc:
            self.problems.append(ImportProblem(path, str(exc)))

    def _coded(self, value: Any, where: str, kind: str, name: str, what: str) -> None:
        """One concept of a known scheme (the first the table knows, when several)."""
        unknown: list[tuple[str, str]] = []
        for item, path in _items(value, where):
            uri = _concept_id(item)
            found = value_of(kind, uri) if uri else None
            if found is None:
                unknown.append((path, uri or "a concept without an id"))
                continue
            if kind == "supervision" and found in SUPERVISION_VALUES:
                same = [v for v in SUPERVISION_VALUES if _concept_uri(kind, v) == uri]
                if len(same) > 1:
                    self.notes.append(
                        f"{path}: supervision {uri} does not say whether online or on site; not "
                        f"imported: give it with --set supervision=… ({' or '.join(same)})"
                    )
                    return
            self.put(name, int(found) if kind == "eqf" else found, f"{path}.id")
            return
        for path, uri in unknown:
            self.problems.append(
                ImportProblem(f"{path}.id", f"{uri} is not a {what} concept the engine knows")
            )

    def _outcomes(self, q: dict[str, Any], qp: str) -> None:
        outcomes: list[str] = []
        esco: list[str] = []
        digcomp: list[str] = []
        for outcome, path in self._objects(q.get("learningOutcome"), f"{qp}.learningOutcome"):
            if not isinstance(outcome, dict):
                self.problems.append(ImportProblem(path, "expected a LearningOutcome object"))
                continue
            found = self.text(outcome.get("title"), f"{path}.title", "learning outcome")
            if found is None:
                self.problems.append(ImportProblem(f"{path}.title", "the outcome has no title"))
            else:
                outcomes.append(found[0])
                self.item_paths.setdefault("learning_outcomes", []).append(found)
            for skill, spath in _items(outcome.get("relatedESCOSkill"), f"{path}.relatedESCOSkill"):
                uri = _concept_id(skill)
                if uri:
                    esco.append(uri)
                    self.item_paths.setdefault("esco_skills", []).append((uri, f"{spath}.id"))
            for skill, spath in _items(outcome.get("relatedSkill"), f"{path}.relatedSkill"):
                uri = _concept_id(skill) or ""
                code = value_of("digcomp", uri)
                if code is not None:
                    digcomp.append(code)
                elif uri.startswith(DCF_PREFIX):
                    self.notes.append(
                        f"{spath}: {uri} is not a DigComp 2.2 competence the engine's table "
                        "knows; not imported"
                    )
                else:
                    self.notes.append(f"{spath}: the skill {uri or '(no id)'} was not imported")
        where = f"{qp}.learningOutcome"
        if outcomes:
            self.put("learning_outcomes", outcomes, where)
        if esco:
            self.put("esco_skills", list(dict.fromkeys(esco)), where)
        for name, codes in (("digcomp", digcomp), ("greencomp", [])):
            stated = self.in_words.get(name, [])
            merged = codes + [code for code, _ in stated]
            if merged:
                self.put(name, list(dict.fromkeys(merged)), where if codes else stated[0][1])

    def _thematic_area(self, q: dict[str, Any], qp: str) -> None:
        codes: list[tuple[str, str]] = []
        for item, path in _items(q.get("thematicArea"), f"{qp}.thematicArea"):
            uri = _concept_id(item)
            code = value_of("isced_f", uri) if uri else None
            if code is None:
                self.problems.append(
                    ImportProblem(f"{path}.id", f"{uri} is not an ISCED-F field concept")
                )
            else:
                codes.append((code, f"{path}.id"))
        if not codes:
            return
        chosen = max(codes, key=lambda c: len(c[0]))  # the most specific; the first among equals
        self.put("isced_f", *chosen)
        if len(codes) > 1:
            left = ", ".join(c for c, _ in codes if (c, _) != chosen)
            self.notes.append(
                f"{qp}.thematicArea: the engine records one ISCED-F field; the most specific, "
                f"{chosen[0]}, was read ({left} not)"
            )

    def _languages(self, q: dict[str, Any], qp: str) -> None:
        langs: list[str] = []
        for item, path in _items(q.get("language"), f"{qp}.language"):
            uri = _concept_id(item)
            code = value_of("language", uri) if uri else None
            if code is None:
                self.problems.append(
                    ImportProblem(f"{path}.id", f"{uri} is not a language concept the engine knows")
                )
            else:
                langs.append(code)
        if langs:
            self.put("languages", langs, f"{qp}.language")

    def _assessment(self, q: dict[str, Any], qp: str) -> None:
        """The assessment of the Qualification (`provenBy`), else of the claim in a credential;
        supervision and grading beside it when no note says them."""
        specs = self._objects(q.get("provenBy"), f"{qp}.provenBy")
        assessments: list[tuple[Any, str]] = []
        if not specs and self.claim is not None:
            assessments = self._objects(self.claim.get("provenBy"), f"{self.claim_path}.provenBy")
            for assessment, path in assessments:
                if isinstance(assessment, dict):
                    specs += self._objects(assessment.get("specifiedBy"), f"{path}.specifiedBy")
        for spec, path in specs:
            if not isinstance(spec, dict):
                continue
            title = self.text(spec.get("title"), f"{path}.title", "assessment")
            described = self.text(spec.get("description"), f"{path}.description", "assessment")
            # the description says how outcomes are assessed; a title alone when there is none
            # (the engine's export titles every specification "Assessment")
            chosen = described or title
            if chosen is not None:
                self.put("assessment_type", *chosen)
            for scheme, gpath in self._objects(spec.get("gradingScheme"), f"{path}.gradingScheme"):
                if isinstance(scheme, dict):
                    found = self.text(
                        scheme.get("description") or scheme.get("title"),
                        f"{gpath}.{'description' if scheme.get('description') else 'title'}",
                        "grading",
                    )
                    if found:
                        self.put("grading", *found)
            break
        for assessment, path in assessments:
            if isinstance(assessment, dict) and "supervision" not in self.raw:
                if assessment.get("idVerification") is not None:
                    self._coded(
                        assessment["idVerification"],
                        f"{path}.idVerification",
                        "supervision",
                        "supervision",
                        "supervision and identity verification",
                    )

    def _awarding_body(self, q: dict[str, Any], qp: str) -> None:
        bodies: list[tuple[Any, str]] = []
        for opportunity, path in self._objects(
            q.get("awardingOpportunity"), f"{qp}.awardingOpportunity"
        ):
            if isinstance(opportunity, dict):
                bodies += self._objects(opportunity.get("awardingBody"), f"{path}.awardingBody")
        if not bodies and self.claim is not None:
            for process, path in self._objects(
                self.claim.get("awardedBy"), f"{self.claim_path}.awardedBy"
            ):
                if isinstance(process, dict):
                    bodies += self._objects(process.get("awardingBody"), f"{path}.awardingBody")
        for body, path in bodies:
            if not isinstance(body, dict):
                continue
            name = self.text(body.get("legalName"), f"{path}.legalName", "awarding body")
            if name:
                self.put("awarding_body", *name)
                self._provider(body, path, name[0])
            for location, lpath in self._objects(body.get("location"), f"{path}.location"):
                if not isinstance(location, dict):
                    continue
                for address, apath in self._objects(location.get("address"), f"{lpath}.address"):
                    if isinstance(address, dict) and address.get("countryCode") is not None:
                        self._coded(
                            address["countryCode"],
                            f"{apath}.countryCode",
                            "country",
                            "country",
                            "country",
                        )
            return

    def _provider(self, body: dict[str, Any], path: str, shown: str) -> None:
        for key in ("legalName", "altLabel"):
            names = body.get(key)
            values = names.values() if isinstance(names, dict) else [names]
            for value in values:
                for text in value if isinstance(value, list) else [value]:
                    code = provider_code(text) if isinstance(text, str) else None
                    if code is not None:
                        self.put("provider", code, f"{path}.{key}")
                        return
        if "provider" not in self.raw:
            self.unknown_body = (f"{path}.legalName", shown)

    # ----------------------------------------------------------- validation

    def finish(
        self,
        name: str,
        known_providers: set[str] | None,
        supplied: dict[str, str],
        notes: list[str],
    ) -> ElmImport:
        notes = notes + self.notes
        if self.qpath != self.root and not self.several:
            notes.insert(
                0, f"the Qualification at {self.qpath} ({self._title_of(self.q)}) was read"
            )
        for field_name, value in supplied.items():
            if field_name in self.raw:
                notes.append(
                    f"{field_name}: --set replaced the file's value at {self.origin[field_name]}"
                )
            self.raw[field_name] = value
            self.origin[field_name] = f"--set {field_name}"
        problems = list(self.problems)
        try:
            credential = parse_credential(self.raw, known_providers=known_providers)
        except CredentialInvalid as exc:
            problems += [self._located(p.field, p.message) for p in exc.problems]
            credential = None
        if problems or credential is None:
            raise ImportInvalid(name, sorted(set(problems), key=problems.index))
        languages = [
            f"read in {_LANGUAGE_NAMES.get(lang, lang)} ({lang}), the file having no English "
            f"for it: {_counted(labels)}"
            for lang, labels in self.other_languages.items()
        ] or ["texts read in English (en)"]
        return ElmImport(credential, notes + languages)

    def _located(self, field_name: str, message: str) -> ImportProblem:
        spec = FIELD_BY_NAME.get(field_name)
        label = spec.header if spec else field_name
        for value, where in self.item_paths.get(field_name, []):
            shown = value if len(value) <= 60 else value[:60] + "…"
            if repr(shown) in message:  # the domain quotes the item it refuses
                return ImportProblem(where, f"{label}: {message}")
        if field_name in self.origin:
            return ImportProblem(self.origin[field_name], f"{label}: {message}")
        where, hint = _missing_hint(field_name)
        if field_name == "provider" and self.unknown_body is not None:
            where, shown = self.unknown_body
            return ImportProblem(
                where,
                f"{label}: the awarding body {shown!r} is not one of the alliance's institutions; "
                f'add a note "{elm_terms.NOTE_LABELS["provider"]}: CODE", or {_SUPPLY} '
                "provider=CODE",
            )
        where = f"{self.qpath}{where}"
        if message.startswith("required"):
            return ImportProblem(
                where,
                f"{label} is missing: {hint}, or {_SUPPLY} {field_name}=VALUE",
            )
        return ImportProblem(where, f"{label}: {message}")


def _counted(labels: list[str]) -> str:
    """``title, learning outcome (3 times)``."""
    counts = dict.fromkeys(labels, 0)
    for label in labels:
        counts[label] += 1
    return ", ".join(f"{k} ({n} times)" if n > 1 else k for k, n in counts.items())


def _concept_uri(kind: str, value: str) -> str | None:
    try:
        return concept(kind, value, field=kind).uri
    except ValidationFailed:
        return None
