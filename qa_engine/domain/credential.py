"""The micro-credential: the EU standard elements (Annex I), the optional ones, and what the
alliance adds (skills, field, languages, provider, contact).

`parse_credential` accepts what a person would reasonably type (``"5,0"`` ECTS, ``"EQF 6"``,
outcomes one per line, dates as text) and reports *every* problem with the field it concerns.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.standards import (
    DIGCOMP,
    EU_ELEMENTS,
    EU_OPTIONAL_ELEMENTS,
    GREENCOMP,
    normalise_competence,
)

ParticipationForm = Literal["online", "onsite", "blended"]
Supervision = Literal[
    "unsupervised_no_id",
    "supervised_no_id",
    "supervised_online_with_id",
    "supervised_onsite_with_id",
]
Stackability = Literal["stand_alone", "stackable"]
Cycle = Literal["short", "first", "second", "third"]

PARTICIPATION_FORMS: tuple[str, ...] = ("online", "onsite", "blended")
SUPERVISION_VALUES: tuple[str, ...] = (
    "unsupervised_no_id",
    "supervised_no_id",
    "supervised_online_with_id",
    "supervised_onsite_with_id",
)
STACKABILITY_VALUES: tuple[str, ...] = ("stand_alone", "stackable")
CYCLES: tuple[str, ...] = ("short", "first", "second", "third")

# ISO 3166-1 alpha-2 codes of the EU/EEA, Switzerland and the candidate countries: where an
# alliance credential can be issued. Others are accepted only as two capital letters.
_ISO_COUNTRY = re.compile(r"^[A-Z]{2}$")
_ISO_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_ISCED_F = re.compile(r"^\d{2,4}$")
_ESCO_URI = re.compile(
    r"^http://data\.europa\.eu/esco/(skill|knowledge|competence)/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,63}$")

# Notional workload: 1 ECTS is 25 to 30 hours of work (ECTS Users' Guide 2015).
HOURS_PER_ECTS = (25, 30)


class Credential(BaseModel):
    """A validated micro-credential description (one version of it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: str = Field(description="The provider's own code for the credential")
    provider: str = Field(description="Code of the provider institution, e.g. CUNI")
    # Annex I, mandatory
    learner_identification: str
    title: str
    country: str
    region: str | None = None
    awarding_body: str
    date_of_issuing: date
    learning_outcomes: list[str]
    ects: Decimal
    workload_hours: int | None = None
    eqf_level: int
    qf_ehea_cycle: Cycle | None = None
    assessment_type: str
    participation_form: ParticipationForm
    quality_assurance: str
    # Annex I, optional
    prerequisites: str | None = None
    supervision: Supervision | None = None
    grading: str | None = None
    stackability: Stackability | None = None
    stackable_towards: str | None = None
    further_information: str | None = None
    # what the alliance adds
    isced_f: str
    languages: list[str]
    esco_skills: list[str] = Field(default_factory=list)
    digcomp: list[str] = Field(default_factory=list)
    greencomp: list[str] = Field(default_factory=list)
    contact_email: str
    contact_name: str | None = None

    def canonical(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def content_hash(self) -> str:
        data = json.dumps(
            self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    def element_value(self, element_id: str) -> Any:
        field = (EU_ELEMENTS.get(element_id) or EU_OPTIONAL_ELEMENTS[element_id])[1]
        return getattr(self, field)

    def element_present(self, element_id: str) -> bool:
        value = self.element_value(element_id)
        if value is None:
            return False
        if isinstance(value, str | list):
            return bool(value)
        return True


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CredentialInvalid(ValidationFailed):
    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("the credential is not valid", details=[str(p) for p in problems])


@dataclass(frozen=True)
class FieldSpec:
    name: str
    header: str
    required: bool
    help: str
    choices: tuple[str, ...] = ()
    multi: bool = False
    element: str | None = None


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "reference",
        "Reference",
        True,
        "Your institution's own code for this credential (letters, digits, - _ . /);"
        " importing the same reference again stores a new version.",
    ),
    FieldSpec(
        "provider",
        "Provider institution",
        True,
        "Code of the providing institution: CUNI, UHEI, UPA, SU, UCPH, UNIMI, UW or UNIGE.",
    ),
    FieldSpec("title", "Title", True, "Title of the micro-credential.", element="EU-A1.2"),
    FieldSpec(
        "learner_identification",
        "Identification of the learner",
        True,
        "How the learner is identified on the credential"
        " (e.g. full name, date of birth, student number).",
        element="EU-A1.1",
    ),
    FieldSpec(
        "country",
        "Country of the issuer",
        True,
        "ISO 3166 two-letter code, e.g. CZ, DE, FR, DK, IT, PL, CH.",
        element="EU-A1.3",
    ),
    FieldSpec(
        "region", "Region of the issuer", False, "Region, where relevant (e.g. Île-de-France)."
    ),
    FieldSpec(
        "awarding_body",
        "Awarding body",
        True,
        "Legal name of the body that awards the credential.",
        element="EU-A1.4",
    ),
    FieldSpec(
        "date_of_issuing",
        "Date of issuing",
        True,
        "Date the credential is (first) issued: a date cell or YYYY-MM-DD.",
        element="EU-A1.5",
    ),
    FieldSpec(
        "learning_outcomes",
        "Learning outcomes",
        True,
        "One learning outcome per line in the cell.",
        multi=True,
        element="EU-A1.6",
    ),
    FieldSpec(
        "ects",
        "ECTS",
        True,
        "Notional workload in ECTS credits, e.g. 5 or 2.5 (5,0 is fine too).",
        element="EU-A1.7",
    ),
    FieldSpec(
        "workload_hours",
        "Workload (hours)",
        False,
        "Notional learning hours; 1 ECTS is 25–30 hours.",
    ),
    FieldSpec(
        "eqf_level", "EQF level", True, "EQF level 1–8 (6, EQF 6 or Level 6).", element="EU-A1.8"
    ),
    FieldSpec(
        "qf_ehea_cycle",
        "QF-EHEA cycle",
        False,
        "short, first, second or third, where applicable.",
        choices=CYCLES,
    ),
    FieldSpec(
        "assessment_type",
        "Type of assessment",
        True,
        "How learning outcomes are assessed (e.g. written exam, project).",
        element="EU-A1.9",
    ),
    FieldSpec(
        "participation_form",
        "Form of participation",
        True,
        "online, onsite or blended.",
        choices=PARTICIPATION_FORMS,
        element="EU-A1.10",
    ),
    FieldSpec(
        "quality_assurance",
        "Type of quality assurance",
        True,
        "The quality assurance that underpins the credential.",
        element="EU-A1.11",
    ),
    FieldSpec(
        "prerequisites",
        "Prerequisites",
        False,
        "Prerequisites needed to enrol.",
        element="EU-A1.O1",
    ),
    FieldSpec(
        "supervision",
        "Supervision and identity verification",
        False,
        "unsupervised_no_id, supervised_no_id, supervised_online_with_id"
        " or supervised_onsite_with_id.",
        choices=SUPERVISION_VALUES,
        element="EU-A1.O2",
    ),
    FieldSpec("grading", "Grading", False, "Grading scheme or grade achieved.", element="EU-A1.O3"),
    FieldSpec(
        "stackability",
        "Stackability",
        False,
        "stand_alone or stackable.",
        choices=STACKABILITY_VALUES,
        element="EU-A1.O4",
    ),
    FieldSpec(
        "stackable_towards",
        "Stackable towards",
        False,
        "The credential or programme it stacks towards.",
    ),
    FieldSpec(
        "further_information",
        "Further information",
        False,
        "Anything else a learner or employer should know.",
        element="EU-A1.O5",
    ),
    FieldSpec(
        "isced_f",
        "ISCED-F field",
        True,
        "ISCED-F 2013 field code (2 to 4 digits), e.g. 0613 or 0521.",
    ),
    FieldSpec(
        "languages",
        "Languages",
        True,
        "Languages of instruction, ISO 639-1 codes separated by commas or lines (en, fr, cs …).",
        multi=True,
    ),
    FieldSpec("esco_skills", "ESCO skills", False, "ESCO concept URIs, one per line.", multi=True),
    FieldSpec(
        "digcomp",
        "DigComp competences",
        False,
        "DigComp 2.2 competences, e.g. 1.2, 4.4 (one per line or comma-separated).",
        multi=True,
    ),
    FieldSpec(
        "greencomp",
        "GreenComp competences",
        False,
        "GreenComp competences, e.g. 2.1, 4.2.",
        multi=True,
    ),
    FieldSpec(
        "contact_email", "Contact e-mail", True, "Address for questions about the credential."
    ),
    FieldSpec("contact_name", "Contact name", False, "Name of the contact person."),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
FIELD_BY_HEADER = {f.header.lower(): f for f in FIELDS}


# --------------------------------------------------------------------------- lenient parsing


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


def _split_list(value: Any, *, commas: bool) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [_text(v) for v in value]
    else:
        text = _text(value) or ""
        pattern = r"[\n;]" + ("|," if commas else "")
        items = [_text(part) for part in re.split(pattern, text)]
    out = []
    for item in items:
        if item:
            item = re.sub(r"^(?:[-•*]|\d+[.)])\s+", "", item).strip()
            if item:
                out.append(item)
    return out


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
        return Decimal(str(value))
    if not isinstance(value, str):
        raise ValueError(f"expected a number, not {type(value).__name__}")
    text = (_text(value) or "").lower().replace("ects", "").replace("credits", "").strip()
    text = text.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{_text(value)!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{_text(value)!r} is not a number")
    return number


def parse_eqf(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a level 1–8, not true/false")
    if isinstance(value, int):
        level = value
    elif isinstance(value, float) and value.is_integer():
        level = int(value)
    else:
        text = (_text(value) or "").lower()
        m = re.fullmatch(r"(?:eqf|level|niveau|stufe|livello|poziom|úroveň)?\s*[-:]?\s*(\d+)", text)
        if not m:
            raise ValueError(f"{_text(value)!r} is not an EQF level (write 6, EQF 6 or Level 6)")
        level = int(m.group(1))
    if not 1 <= level <= 8:
        raise ValueError(f"EQF level must be 1 to 8, not {level}")
    return level


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        raise ValueError("missing")
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD)")


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number")
    if isinstance(value, int):
        return value
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"{_text(value)!r} is not a whole number")
    return int(number)


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    text = (_text(value) or "").lower().replace("-", "_").replace(" ", "_")
    aliases = {
        "on_site": "onsite",
        "on_line": "online",
        "hybrid": "blended",
        "standalone": "stand_alone",
    }
    text = aliases.get(text, text)
    if text not in choices:
        raise ValueError(f"{_text(value)!r} is not one of: {', '.join(choices)}")
    return text


def parse_credential(
    raw: Mapping[str, Any], *, known_providers: set[str] | None = None
) -> Credential:
    """Build a `Credential` from loosely typed input, or raise `CredentialInvalid` naming every
    problem."""
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    unknown = [k for k in raw if k not in FIELD_BY_NAME]
    for key in unknown:
        problems.append(FieldProblem(str(key), "unknown field"))

    for spec in FIELDS:
        value = raw.get(spec.name)
        try:
            parsed = _parse_field(spec, value)
        except ValueError as exc:
            problems.append(FieldProblem(spec.name, str(exc)))
            continue
        if parsed is None or parsed == []:
            if spec.required:
                problems.append(
                    FieldProblem(
                        spec.name, "required" + (f" ({spec.help})" if spec.choices else "")
                    )
                )
            continue
        values[spec.name] = parsed

    problems.extend(_cross_checks(values, known_providers))
    if problems:
        raise CredentialInvalid(problems)
    return Credential(**values)


def _parse_field(spec: FieldSpec, value: Any) -> Any:
    name = spec.name
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dict) or (isinstance(value, list | tuple) and not spec.multi):
        raise ValueError(f"expected a single value, not a {type(value).__name__}")
    if name == "ects":
        number = parse_decimal(value)
        if number <= 0:
            raise ValueError(f"ECTS must be more than 0, not {number}")
        if number > 60:
            raise ValueError(
                f"ECTS {number} is more than a year of study (60); a micro-credential is smaller"
            )
        if number != number.quantize(Decimal("0.1")):
            raise ValueError(f"ECTS {number}: use at most one decimal place")
        return number.quantize(Decimal("0.1"))
    if name == "eqf_level":
        return parse_eqf(value)
    if name == "workload_hours":
        hours = parse_int(value)
        if hours <= 0:
            raise ValueError("hours must be more than 0")
        return hours
    if name == "date_of_issuing":
        return parse_date(value)
    if spec.choices:
        return _choice(value, spec.choices)
    if name == "learning_outcomes":
        outcomes = _split_list(value, commas=False)
        for o in outcomes:
            if len(o) < 10:
                raise ValueError(
                    f"outcome {o!r} is too short to be assessable (10 characters at least)"
                )
        return outcomes
    if name == "languages":
        langs = [s.lower() for s in _split_list(value, commas=True)]
        bad = [lang for lang in langs if not _ISO_LANGUAGE.match(lang)]
        if bad:
            raise ValueError(f"not ISO 639 language codes: {', '.join(bad)}")
        return list(dict.fromkeys(langs))
    if name == "esco_skills":
        uris = _split_list(value, commas=True)
        bad = [u for u in uris if not _ESCO_URI.match(u)]
        if bad:
            raise ValueError(
                f"not ESCO concept URIs (http://data.europa.eu/esco/skill/<uuid>): {', '.join(bad)}"
            )
        return list(dict.fromkeys(uris))
    if name in ("digcomp", "greencomp"):
        framework = "DigComp" if name == "digcomp" else "GreenComp"
        table = DIGCOMP if name == "digcomp" else GREENCOMP
        out: list[str] = []
        bad = []
        for item in _split_list(value, commas=True):
            ref = normalise_competence(item, framework)
            (out if ref else bad).append(ref or item)
        if bad:
            raise ValueError(
                f"unknown {framework} competences: {', '.join(bad)}"
                f" (known: {', '.join(k.split('-', 1)[1] for k in table)})"
            )
        return list(dict.fromkeys(out))
    text = _text(value)
    if name == "country":
        text = (text or "").upper()
        if not _ISO_COUNTRY.match(text):
            raise ValueError(f"{_text(value)!r} is not an ISO 3166 two-letter country code")
    elif name == "provider":
        text = (text or "").upper()
    elif name == "isced_f":
        if not _ISCED_F.match(text or ""):
            raise ValueError(f"{text!r} is not an ISCED-F field code (2 to 4 digits, e.g. 0613)")
        text = (text or "").zfill(4) if len(text or "") == 3 else text
    elif name == "contact_email":
        if not _EMAIL.match(text or ""):
            raise ValueError(f"{text!r} is not an e-mail address")
    elif name == "reference":
        if not _REFERENCE.match(text or ""):
            raise ValueError(f"{text!r}: use up to 64 letters, digits and - _ . /")
    if text is not None and len(text) > 4000:
        raise ValueError(f"is {len(text)} characters long; the limit is 4000")
    return text


def _cross_checks(values: dict[str, Any], known_providers: set[str] | None) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    if (
        known_providers is not None
        and "provider" in values
        and values["provider"] not in known_providers
    ):
        out.append(
            FieldProblem(
                "provider",
                f"unknown institution {values['provider']!r}"
                f" (known: {', '.join(sorted(known_providers))})",
            )
        )
    ects, hours = values.get("ects"), values.get("workload_hours")
    if ects is not None and hours is not None:
        lo, hi = HOURS_PER_ECTS
        if not (lo * ects <= hours <= hi * ects):
            out.append(
                FieldProblem(
                    "workload_hours",
                    f"{hours} hours does not match {ects} ECTS ({lo * ects:g}–{hi * ects:g} hours)",
                )
            )
    if values.get("stackable_towards") and values.get("stackability") == "stand_alone":
        out.append(FieldProblem("stackable_towards", "given, but stackability says stand_alone"))
    return out


def element_report(credential: Credential, elements: list[str]) -> dict[str, bool]:
    """Which of the given standard elements the credential carries."""
    return {el: credential.element_present(el) for el in elements}
