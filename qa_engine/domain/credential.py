"""The micro-credential: the EU standard elements (Annex I), the optional ones, and what the
alliance adds (skills, field, languages, provider, contact).

`parse_credential` accepts what a person would reasonably type (``"5,0"`` ECTS, ``"EQF 6"``,
outcomes one per line, dates as text) and reports *every* problem with the field it concerns.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_, Message
from qa_engine.domain.institutions import ALLIANCE_NAMES, provider_code
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
_PROVIDER_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,15}$")

# Notional workload: 1 ECTS is 25 to 30 hours of work (ECTS Users' Guide 2015).
HOURS_PER_ECTS = (25, 30)
MAX_WORKLOAD_HOURS = 60 * HOURS_PER_ECTS[1]


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
class Said(Message):
    """A `Message` whose values may be `Message`s (said in the same language first), after a
    location when it has one (`Credentials!C4: …`, `$[0].ects: …`): the location stays as it is,
    the text is translated."""

    where: str = ""

    def render(
        self,
        gettext: Callable[[str], str],
        ngettext: Callable[[str, str, int], str],
    ) -> str:
        params = {
            k: v.render(gettext, ngettext) if isinstance(v, Message) else v
            for k, v in self.params.items()
        }
        text = Message(self.singular, self.plural, self.n, params).render(gettext, ngettext)
        return f"{self.where}: {text}" if self.where else text


@dataclass(frozen=True)
class Choices(Message):
    """Closed values in words (`CHOICE_LABELS`), each said in the reader's language."""

    labels: tuple[str, ...] = ()

    def render(
        self,
        gettext: Callable[[str], str],
        ngettext: Callable[[str, str, int], str],
    ) -> str:
        return ", ".join(gettext(label) for label in self.labels)


def said(msgid: str, **params: object) -> Said:
    """A text for the catalogs (its msgid marked with N_ where it is written) with named values."""
    return Said(msgid, params=params)


class Invalid(ValueError):
    """A value refused: `str()` is the English reason, `text` the reason to say in a language."""

    def __init__(self, msgid: str, **params: object) -> None:
        self.text = said(msgid, **params)
        super().__init__(self.text.english())


def reason(exc: ValueError) -> Message:
    """What a `ValueError` says, to translate where it is shown (a plain one: as it is)."""
    if isinstance(exc, Invalid):
        return exc.text
    return Said("%(text)s", params={"text": str(exc)})


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str  # in English
    text: Message | None = None  # the same, to say in the reader's language

    @classmethod
    def of(cls, field: str, text: Message) -> FieldProblem:
        return cls(field, text.english(), text)

    def in_language(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> str:
        return self.message if self.text is None else self.text.render(gettext, ngettext)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CredentialInvalid(ValidationFailed):
    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__(
            N_("the credential is not valid"),
            details=[
                Said("%(text)s", params={"text": p.text}, where=p.field)
                if p.text is not None
                else str(p)
                for p in problems
            ],
        )


@dataclass(frozen=True)
class FieldSpec:
    name: str
    header: str
    required: bool
    help: str
    choices: tuple[str, ...] = ()
    multi: bool = False
    element: str | None = None
    # the longest text accepted (for a list: each item), and the most items of a list; every cap
    # fits its database column (`Credential.reference` VARCHAR(64), `Credential.title`
    # VARCHAR(400); the rest is stored in the version's JSON)
    max_length: int = 200
    max_items: int = 0
    # line breaks and tabs are kept (free text); elsewhere they are refused
    multiline: bool = False


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "reference",
        N_("Reference"),
        True,
        N_(
            "Your institution's own code for this credential (letters, digits, - _ . /);"
            " importing the same reference again stores a new version."
        ),
        max_length=64,
    ),
    FieldSpec(
        "provider",
        N_("Provider institution"),
        True,
        N_(
            "The providing institution: its code (CUNI, UHEI, UPA, SU, UCPH, UNIMI, UW or UNIGE),"
            " its English name or its name in its own language (Univerzita Karlova)."
        ),
    ),
    FieldSpec(
        "title",
        N_("Title"),
        True,
        N_("Title of the micro-credential, on one line (400 characters at most)."),
        element="EU-A1.2",
        max_length=400,
    ),
    FieldSpec(
        "learner_identification",
        N_("Identification of the learner"),
        True,
        N_(
            "How the learner is identified on the credential"
            " (e.g. full name, date of birth, student number)."
        ),
        element="EU-A1.1",
        max_length=1000,
        multiline=True,
    ),
    FieldSpec(
        "country",
        N_("Country of the issuer"),
        True,
        N_("ISO 3166 two-letter code, e.g. CZ, DE, FR, DK, IT, PL, CH."),
        element="EU-A1.3",
        max_length=2,
    ),
    FieldSpec(
        "region",
        N_("Region of the issuer"),
        False,
        N_("Region, where relevant (e.g. Île-de-France)."),
    ),
    FieldSpec(
        "awarding_body",
        N_("Awarding body"),
        True,
        N_("Legal name of the body that awards the credential."),
        element="EU-A1.4",
        max_length=400,
    ),
    FieldSpec(
        "date_of_issuing",
        N_("Date of issuing"),
        True,
        N_(
            "Date the credential is (first) issued: a date cell or YYYY-MM-DD"
            " (DD.MM.YYYY or DD/MM/YYYY only when the day is over 12 or equals the month)."
        ),
        element="EU-A1.5",
        max_length=40,
    ),
    FieldSpec(
        "learning_outcomes",
        N_("Learning outcomes"),
        True,
        N_("One learning outcome per line in the cell (at most 50, each 10 to 1000 characters)."),
        multi=True,
        element="EU-A1.6",
        max_length=1000,
        max_items=50,
        multiline=True,
    ),
    FieldSpec(
        "ects",
        N_("ECTS"),
        True,
        N_("Notional workload in ECTS credits, e.g. 5 or 2.5 (5,0 is fine too)."),
        element="EU-A1.7",
        max_length=40,
    ),
    FieldSpec(
        "workload_hours",
        N_("Workload (hours)"),
        False,
        N_("Notional learning hours; 1 ECTS is 25–30 hours."),
        max_length=40,
    ),
    FieldSpec(
        "eqf_level",
        N_("EQF level"),
        True,
        N_("EQF level 1–8 (6, EQF 6 or Level 6)."),
        element="EU-A1.8",
        max_length=40,
    ),
    FieldSpec(
        "qf_ehea_cycle",
        N_("QF-EHEA cycle"),
        False,
        N_("Short cycle, First cycle, Second cycle or Third cycle, where applicable."),
        choices=CYCLES,
        max_length=100,
    ),
    FieldSpec(
        "assessment_type",
        N_("Type of assessment"),
        True,
        N_("How learning outcomes are assessed (e.g. written exam, project)."),
        element="EU-A1.9",
        max_length=2000,
        multiline=True,
    ),
    FieldSpec(
        "participation_form",
        N_("Form of participation"),
        True,
        N_("Online, Onsite or Blended."),
        choices=PARTICIPATION_FORMS,
        max_length=100,
        element="EU-A1.10",
    ),
    FieldSpec(
        "quality_assurance",
        N_("Type of quality assurance"),
        True,
        N_("The quality assurance that underpins the credential."),
        element="EU-A1.11",
        max_length=2000,
        multiline=True,
    ),
    FieldSpec(
        "prerequisites",
        N_("Prerequisites"),
        False,
        N_("Prerequisites needed to enrol."),
        element="EU-A1.O1",
        max_length=2000,
        multiline=True,
    ),
    FieldSpec(
        "supervision",
        N_("Supervision and identity verification"),
        False,
        N_(
            "Unsupervised with no identity verification, Supervised with no identity verification,"
            " Supervised online with identity verification"
            " or Supervised onsite with identity verification."
        ),
        choices=SUPERVISION_VALUES,
        max_length=100,
        element="EU-A1.O2",
    ),
    FieldSpec(
        "grading",
        N_("Grading"),
        False,
        N_("Grading scheme or grade achieved."),
        element="EU-A1.O3",
        max_length=1000,
        multiline=True,
    ),
    FieldSpec(
        "stackability",
        N_("Stackability"),
        False,
        N_("Stand-alone or Stackable towards another credential."),
        choices=STACKABILITY_VALUES,
        max_length=100,
        element="EU-A1.O4",
    ),
    FieldSpec(
        "stackable_towards",
        N_("Stackable towards"),
        False,
        N_("The credential or programme it stacks towards."),
        max_length=400,
    ),
    FieldSpec(
        "further_information",
        N_("Further information"),
        False,
        N_("Anything else a learner or employer should know."),
        element="EU-A1.O5",
        max_length=4000,
        multiline=True,
    ),
    FieldSpec(
        "isced_f",
        N_("ISCED-F field"),
        True,
        N_("ISCED-F 2013 field code (2 to 4 digits), e.g. 0613 or 0521."),
        max_length=4,
    ),
    FieldSpec(
        "languages",
        N_("Languages"),
        True,
        N_(
            "Languages of instruction, ISO 639-1 codes separated by commas or lines (en, fr, cs …)."
        ),
        multi=True,
        max_items=30,
        multiline=True,
    ),
    FieldSpec(
        "esco_skills",
        N_("ESCO skills"),
        False,
        N_("ESCO concept URIs, one per line (at most 100)."),
        multi=True,
        max_length=100,
        max_items=100,
        multiline=True,
    ),
    FieldSpec(
        "digcomp",
        N_("DigComp competences"),
        False,
        N_("DigComp 2.2 competences, e.g. 1.2, 4.4 (one per line or comma-separated)."),
        multi=True,
        max_items=50,
        multiline=True,
    ),
    FieldSpec(
        "greencomp",
        N_("GreenComp competences"),
        False,
        N_("GreenComp competences, e.g. 2.1, 4.2."),
        multi=True,
        max_items=50,
        multiline=True,
    ),
    FieldSpec(
        "contact_email",
        N_("Contact e-mail"),
        True,
        N_("Address for questions about the credential."),
        max_length=254,
    ),
    FieldSpec("contact_name", N_("Contact name"), False, N_("Name of the contact person.")),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
FIELD_BY_HEADER = {f.header.lower(): f for f in FIELDS}


# --------------------------------------------------------------------------- lenient parsing

# the words the EU Recommendation (Annex I) uses for each closed value, shown in the template's
# drop-downs and accepted back; `_CHOICE_VARIANTS` adds what else people write
CHOICE_LABELS: dict[str, str] = {
    "online": N_("Online"),
    "onsite": N_("Onsite"),
    "blended": N_("Blended"),
    "unsupervised_no_id": N_("Unsupervised with no identity verification"),
    "supervised_no_id": N_("Supervised with no identity verification"),
    "supervised_online_with_id": N_("Supervised online with identity verification"),
    "supervised_onsite_with_id": N_("Supervised onsite with identity verification"),
    "stand_alone": N_("Stand-alone"),
    "stackable": N_("Stackable towards another credential"),
    "short": N_("Short cycle"),
    "first": N_("First cycle"),
    "second": N_("Second cycle"),
    "third": N_("Third cycle"),
}
_CHOICE_VARIANTS: dict[str, tuple[str, ...]] = {
    "online": ("on line", "distance", "distance learning", "remote"),
    "onsite": ("on site", "in person", "face to face", "on campus"),
    "blended": ("hybrid", "blended learning", "mixed"),
    "unsupervised_no_id": (
        "unsupervised without identity verification",
        "unsupervised no identity verification",
        "unsupervised",
        "unsupervised no id",
        "unsupervised without id",
    ),
    "supervised_no_id": (
        "supervised without identity verification",
        "supervised no identity verification",
        "supervised no id",
        "supervised without id",
    ),
    "supervised_online_with_id": (
        "supervised online with id",
        "supervised online with identity check",
        "online with identity verification",
    ),
    "supervised_onsite_with_id": (
        "supervised on site with identity verification",
        "supervised onsite with id",
        "supervised on site with id",
        "supervised onsite with identity check",
        "onsite with identity verification",
    ),
    "stand_alone": ("standalone", "stand alone"),
    "stackable": ("stackable towards", "stackable to another credential"),
    "short": ("short", "short cycle qualification"),
    "first": ("first", "1st cycle", "bachelor", "bachelors"),
    "second": ("second", "2nd cycle", "master", "masters"),
    "third": ("third", "3rd cycle", "doctoral", "doctorate", "phd"),
}


def _choice_key(text: str) -> str:
    """A closed value without case, hyphens, underscores, extra spaces and a final full stop."""
    words = re.sub(r"[\s_\-\u2010-\u2015/]+", " ", text.casefold().replace("'", ""))
    return words.strip(" .")


_CHOICE_BY_KEY: dict[str, str] = {}
for _value, _label in CHOICE_LABELS.items():
    for _name in (_value, _label, *_CHOICE_VARIANTS.get(_value, ())):
        _CHOICE_BY_KEY[_choice_key(_name)] = _value


def choice_label(value: str) -> str:
    """The words for a closed value (`CHOICE_LABELS`), or the value itself."""
    return CHOICE_LABELS.get(value, value)


# what a spreadsheet shows instead of a value when a formula fails
SPREADSHEET_ERRORS = frozenset(
    {
        "#N/A",
        "#REF!",
        "#VALUE!",
        "#DIV/0!",
        "#NAME?",
        "#NULL!",
        "#NUM!",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#CONNECT!",
        "#BUSY!",
        "#GETTING_DATA",
        "#N/A!",
    }
)


# C0 controls but tab and line feed, DEL and the C1 controls, surrogates (a lone one is not text),
# and the Unicode noncharacters (U+FDD0..U+FDEF and the last two code points of every plane)
_REFUSED_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(
        f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
    )
    + "]"
)
_LAYOUT_CHARACTERS = re.compile("[\n\t]")


def _bad_character(text: str, *, multiline: bool) -> Said | None:
    """Why the text may not be stored, naming the first character that is refused."""
    found = _REFUSED_CHARACTERS.search(text)
    if not multiline:
        layout = _LAYOUT_CHARACTERS.search(text)
        if layout is not None and (found is None or layout.start() < found.start()):
            if layout.group() == "\n":
                return said(
                    N_("contains a line break (character %(position)s); write it on one line"),
                    position=layout.start() + 1,
                )
            return said(
                N_("contains a tab (character %(position)s); write it on one line"),
                position=layout.start() + 1,
            )
    if found is None:
        return None
    number = ord(found.group())
    code, pos = f"U+{number:04X}", found.start() + 1
    if 0xD800 <= number <= 0xDFFF:
        return said(
            N_("contains a lone surrogate %(code)s (character %(position)s): not text"),
            code=code,
            position=pos,
        )
    if number > 0x9F:
        return said(
            N_("contains the noncharacter %(code)s (character %(position)s); remove it"),
            code=code,
            position=pos,
        )
    return said(
        N_("contains a control character %(code)s (character %(position)s); remove it"),
        code=code,
        position=pos,
    )


def _text(value: Any, *, multiline: bool = True, max_length: int | None = None) -> str | None:
    """A cell or JSON value as clean text, or None when empty; refuses what is not text."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Invalid(N_("expected text, not TRUE/FALSE (true/false)"))
    if isinstance(value, dict):
        raise Invalid(N_("expected text, not an object ({…})"))
    if isinstance(value, list | tuple):
        raise Invalid(N_("expected text, not a list ([…])"))
    if isinstance(value, datetime | date):
        raise Invalid(N_("expected text, not the date %(date)s"), date=value.isoformat())
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Invalid(N_("expected text, not a number that is not finite"))
        if value.is_integer():
            value = int(value)
    if isinstance(value, Decimal | int | float):
        if isinstance(value, int) and abs(value) >= 10**40:
            raise Invalid(N_("expected text, not a number of more than 40 digits"))
        value = str(value)
    if not isinstance(value, str):
        raise Invalid(N_("expected text"))
    if max_length is not None and len(value) > 2 * max_length + 1000:
        raise Invalid(
            N_("is %(length)s characters long; the limit is %(limit)s"),
            length=f"{len(value):,}",
            limit=f"{max_length:,}",
        )
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if text.upper() in SPREADSHEET_ERRORS:
        raise Invalid(
            N_("%(text)s is a spreadsheet error (a formula failed), not a value; write the value"),
            text=repr(text),
        )
    problem = _bad_character(text, multiline=multiline)
    if problem:
        raise Invalid("%(problem)s", problem=problem)
    text = unicodedata.normalize("NFC", text)
    if max_length is not None and len(text) > max_length:
        raise Invalid(
            N_("is %(length)s characters long; the limit is %(limit)s"),
            length=f"{len(text):,}",
            limit=f"{max_length:,}",
        )
    return text or None


def _split_list(
    value: Any, *, commas: bool, max_length: int | None = None, max_items: int = 0
) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        if max_items and len(value) > max_items:
            raise Invalid(
                N_("%(count)s items; the limit is %(limit)s"), count=len(value), limit=max_items
            )
        items = []
        for number, v in enumerate(value, start=1):
            try:
                items.append(_text(v, multiline=False, max_length=max_length))
            except ValueError as exc:
                raise Invalid(
                    N_("item %(number)s: %(problem)s"), number=number, problem=reason(exc)
                ) from None
    else:
        whole = max_length * max(max_items, 1) if max_length is not None else None
        if whole is not None and isinstance(value, str) and len(value) > whole + 1000:
            raise Invalid(
                N_(
                    "is %(length)s characters long; the limit is %(items)s items of %(limit)s"
                    " characters each"
                ),
                length=f"{len(value):,}",
                items=max_items,
                limit=f"{max_length:,}",
            )
        text = _text(value, max_length=whole) or ""
        pattern = r"[\n;]" + ("|," if commas else "")
        items = [_text(part) for part in re.split(pattern, text)]
    out = []
    for item in items:
        if item:
            item = re.sub(r"^(?:[-•*]|\d+[.)])\s+", "", item).strip()
            if item:
                if "\t" in item:
                    raise Invalid(N_("%(item)s contains a tab; remove it"), item=_short(item))
                if max_length is not None and len(item) > max_length:
                    raise Invalid(
                        N_("%(item)s is %(length)s characters long; the limit is %(limit)s"),
                        item=_short(item),
                        length=f"{len(item):,}",
                        limit=f"{max_length:,}",
                    )
                out.append(item)
    if max_items and len(out) > max_items:
        raise Invalid(
            N_("%(count)s items; the limit is %(limit)s"), count=len(out), limit=max_items
        )
    return out


def _short(text: str, limit: int = 60) -> str:
    """A text to quote in a message: its start when it is long."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


# 1,000 or 1.000: a thousands separator (one thousand) or a decimal separator (one)?
_AMBIGUOUS_NUMBER = re.compile(r"[1-9]\d{0,2}([.,])\d{3}")


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Invalid(N_("expected a number, not true/false"))
    if isinstance(value, int | Decimal):
        if isinstance(value, int) and abs(value) >= 10**40:
            raise Invalid(N_("expected a number of at most 40 digits"))
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Invalid(N_("expected a finite number"))
        return Decimal(str(value))
    if isinstance(value, dict | list | tuple):
        if isinstance(value, dict):
            raise Invalid(N_("expected a number, not an object ({…})"))
        raise Invalid(N_("expected a number, not a list ([…])"))
    if not isinstance(value, str):
        raise Invalid(N_("expected a number"))
    shown = _text(value, multiline=False, max_length=40) or ""
    text = shown.lower().replace("ects", "").replace("credits", "").strip()
    text = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    ambiguous = _AMBIGUOUS_NUMBER.fullmatch(text)
    if ambiguous:
        sep = ambiguous.group(1)
        whole, part = text.split(sep)
        params = {
            "text": repr(shown),
            "thousands": f"{whole}{part}",
            "decimal": f"{whole}.{part}",
            "integer": int(whole + part),
            "fraction": Decimal(whole + "." + part).normalize(),
        }
        if sep == ",":
            raise Invalid(
                N_(
                    "%(text)s is ambiguous: %(thousands)s with a thousands separator, or"
                    " %(decimal)s with a decimal comma; write %(integer)s or %(fraction)s"
                ),
                **params,
            )
        raise Invalid(
            N_(
                "%(text)s is ambiguous: %(thousands)s with a thousands separator, or"
                " %(decimal)s with a decimal point; write %(integer)s or %(fraction)s"
            ),
            **params,
        )
    if re.fullmatch(r"\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Invalid(N_("%(text)s is not a number"), text=repr(shown)) from None
    if not number.is_finite():
        raise Invalid(N_("%(text)s is not a number"), text=repr(shown))
    return number


def parse_eqf(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid(N_("expected a level 1–8, not true/false"))
    if isinstance(value, int):
        level = value
    elif isinstance(value, float) and value.is_integer():
        level = int(value)
    else:
        shown = _text(value, multiline=False, max_length=40)
        text = (shown or "").lower()
        m = re.fullmatch(
            r"(?:eqf|level|niveau|stufe|livello|poziom|úroveň)?\s*[-:]?\s*(\d{1,3})", text
        )
        if not m:
            raise Invalid(
                N_("%(text)s is not an EQF level (write 6, EQF 6 or Level 6)"), text=repr(shown)
            )
        level = int(m.group(1))
    if not 1 <= level <= 8:
        if abs(level) >= 10**6:
            raise Invalid(N_("EQF level must be 1 to 8, not a larger number"))
        raise Invalid(N_("EQF level must be 1 to 8, not %(level)s"), level=level)
    return level


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})([./])(\d{1,2})\2(\d{4})")


def parse_date(value: Any) -> date:
    """A date cell, ISO 8601 (``2026-03-02``, also with a time), ``2026/03/02``, or a European
    ``DD.MM.YYYY`` / ``DD/MM/YYYY`` when it cannot be read the other way round (the day is over 12
    or equals the month)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise Invalid(N_("%(value)s is a number, not a date: write YYYY-MM-DD"), value=repr(value))
    text = _text(value, multiline=False, max_length=40)
    if not text:
        raise Invalid(N_("missing"))
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    m = _DAY_MONTH_YEAR.fullmatch(text)
    if m:
        first, second, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        as_day_month = _date_or_none(year, second, first)
        as_month_day = _date_or_none(year, first, second)
        if as_day_month is not None and (first > 12 or first == second):
            return as_day_month
        if as_day_month is not None and as_month_day is not None:
            raise Invalid(
                N_("ambiguous date %(text)s: write %(first)s or %(second)s"),
                text=repr(text),
                first=as_day_month.isoformat(),
                second=as_month_day.isoformat(),
            )
        if as_month_day is not None:
            raise Invalid(
                N_(
                    "%(text)s is not a day.month.year date; if it is month/day/year, write %(date)s"
                ),
                text=repr(text),
                date=as_month_day.isoformat(),
            )
        raise Invalid(N_("%(text)s is not a date (use YYYY-MM-DD)"), text=repr(text))
    raise Invalid(N_("%(text)s is not a date (use YYYY-MM-DD)"), text=repr(text))


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid(N_("expected a whole number"))
    if isinstance(value, int):
        return value
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise Invalid(N_("%(text)s is not a whole number"), text=_short(str(value)))
    if abs(number) >= 10**40:
        raise Invalid(N_("expected a number of at most 40 digits"))
    return int(number)


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    text = _text(value, multiline=False, max_length=100) or ""
    chosen = _CHOICE_BY_KEY.get(_choice_key(text))
    if chosen not in choices:
        raise Invalid(
            N_("%(text)s is not one of: %(choices)s"),
            text=_short(text),
            choices=Choices("", labels=tuple(choice_label(c) for c in choices)),
        )
    return chosen


def parse_credential(
    raw: Mapping[str, Any], *, known_providers: set[str] | None = None
) -> Credential:
    """Build a `Credential` from loosely typed input, or raise `CredentialInvalid` naming every
    problem."""
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    unknown = [k for k in raw if k not in FIELD_BY_NAME]
    for key in unknown:
        problems.append(FieldProblem.of(str(key), said(N_("unknown field"))))

    for spec in FIELDS:
        value = raw.get(spec.name)
        try:
            parsed = _parse_field(spec, value)
        except ValueError as exc:
            problems.append(FieldProblem.of(spec.name, reason(exc)))
            continue
        if parsed is None or parsed == []:
            if spec.required:
                problems.append(
                    FieldProblem.of(
                        spec.name,
                        said(N_("required (%(help)s)"), help=Said(spec.help))
                        if spec.choices
                        else said(N_("required")),
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
    if isinstance(value, dict):
        if spec.multi:
            raise Invalid(N_("expected a list or text, not an object ({…})"))
        raise Invalid(N_("expected a single value, not an object ({…})"))
    if isinstance(value, list | tuple) and not spec.multi:
        raise Invalid(N_("expected a single value, not a list ([…])"))
    if name == "ects":
        number = parse_decimal(value)
        if number <= 0:
            raise Invalid(N_("ECTS must be more than 0, not %(number)s"), number=number)
        if number > 60:
            raise Invalid(
                N_(
                    "ECTS %(number)s is more than a year of study (60);"
                    " a micro-credential is smaller"
                ),
                number=number,
            )
        if number != number.quantize(Decimal("0.1")):
            raise Invalid(N_("ECTS %(number)s: use at most one decimal place"), number=number)
        return number.quantize(Decimal("0.1"))
    if name == "eqf_level":
        return parse_eqf(value)
    if name == "workload_hours":
        hours = parse_int(value)
        if hours <= 0:
            raise Invalid(N_("hours must be more than 0"))
        if hours > MAX_WORKLOAD_HOURS:
            raise Invalid(
                N_("%(hours)s hours is more than a year of study (%(limit)s hours)"),
                hours=hours,
                limit=MAX_WORKLOAD_HOURS,
            )
        return hours
    if name == "date_of_issuing":
        return parse_date(value)
    if spec.choices:
        return _choice(value, spec.choices)
    if spec.multi:
        return _parse_list(spec, value)
    text = _text(value, multiline=spec.multiline, max_length=spec.max_length)
    if name == "country":
        text = (text or "").upper()
        if not _ISO_COUNTRY.match(text):
            raise Invalid(
                N_("%(text)s is not an ISO 3166 two-letter country code"),
                text=_short(_text(value) or ""),
            )
    elif name == "provider":
        text = provider_code(text or "") or (text or "").upper()
        if not _PROVIDER_CODE.match(text):
            raise Invalid(
                N_(
                    "%(text)s is neither an institution code nor the name of one of the"
                    " alliance's institutions (%(known)s)"
                ),
                text=_short(_text(value) or ""),
                known=", ".join(ALLIANCE_NAMES),
            )
    elif name == "isced_f":
        if not _ISCED_F.match(text or ""):
            raise Invalid(
                N_("%(text)s is not an ISCED-F field code (2 to 4 digits, e.g. 0613)"),
                text=_short(text or ""),
            )
        text = _isced_digits(text or "")
    elif name == "contact_email":
        if not _EMAIL.match(text or ""):
            raise Invalid(N_("%(text)s is not an e-mail address"), text=_short(text or ""))
    elif name == "reference":
        if not _REFERENCE.match(text or ""):
            raise Invalid(
                N_("%(text)s: use up to 64 letters, digits and - _ . /"), text=_short(text or "")
            )
    return text


def _isced_digits(code: str) -> str:
    """An ISCED-F code as written. Three digits starting with 0 or 10 are a narrow field (003,
    061, 104); other three-digit codes are a detailed field whose leading zero a spreadsheet
    dropped (613 is 0613)."""
    if len(code) == 3 and not (code.startswith("0") or code.startswith("10")):
        return "0" + code
    return code


def _parse_list(spec: FieldSpec, value: Any) -> list[str]:
    name = spec.name
    commas = name != "learning_outcomes"
    items = _split_list(value, commas=commas, max_length=spec.max_length, max_items=spec.max_items)
    if name == "learning_outcomes":
        for o in items:
            if len(o) < 10:
                raise Invalid(
                    N_("outcome %(text)s is too short to be assessable (10 characters at least)"),
                    text=repr(o),
                )
        return items
    if name == "languages":
        langs = [s.lower() for s in items]
        bad = [lang for lang in langs if not _ISO_LANGUAGE.match(lang)]
        if bad:
            raise Invalid(
                N_("not ISO 639 language codes: %(codes)s"), codes=", ".join(map(_short, bad))
            )
        return list(dict.fromkeys(langs))
    if name == "esco_skills":
        bad = [u for u in items if not _ESCO_URI.match(u)]
        if bad:
            raise Invalid(
                N_("not ESCO concept URIs (http://data.europa.eu/esco/skill/<uuid>): %(uris)s"),
                uris=", ".join(map(_short, bad)),
            )
        return list(dict.fromkeys(items))
    framework = "DigComp" if name == "digcomp" else "GreenComp"
    table = DIGCOMP if name == "digcomp" else GREENCOMP
    out: list[str] = []
    bad = []
    for item in items:
        ref = normalise_competence(item, framework)
        (out if ref else bad).append(ref or item)
    if bad:
        raise Invalid(
            N_("unknown %(framework)s competences: %(items)s (known: %(known)s)"),
            framework=framework,
            items=", ".join(map(_short, bad)),
            known=", ".join(k.split("-", 1)[1] for k in table),
        )
    return list(dict.fromkeys(out))


def _cross_checks(values: dict[str, Any], known_providers: set[str] | None) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    if (
        known_providers is not None
        and "provider" in values
        and values["provider"] not in known_providers
    ):
        out.append(
            FieldProblem.of(
                "provider",
                said(
                    N_("unknown institution %(code)s (known: %(known)s)"),
                    code=repr(values["provider"]),
                    known=", ".join(sorted(known_providers)),
                ),
            )
        )
    ects, hours = values.get("ects"), values.get("workload_hours")
    if ects is not None and hours is not None:
        lo, hi = HOURS_PER_ECTS
        if not (lo * ects <= hours <= hi * ects):
            out.append(
                FieldProblem.of(
                    "workload_hours",
                    said(
                        N_("%(hours)s hours does not match %(ects)s ECTS (%(low)s–%(high)s hours)"),
                        hours=hours,
                        ects=ects,
                        low=f"{lo * ects:g}",
                        high=f"{hi * ects:g}",
                    ),
                )
            )
    if values.get("stackable_towards") and values.get("stackability") == "stand_alone":
        out.append(
            FieldProblem.of(
                "stackable_towards", said(N_("given, but stackability says stand_alone"))
            )
        )
    return out


def element_report(credential: Credential, elements: list[str]) -> dict[str, bool]:
    """Which of the given standard elements the credential carries."""
    return {el: credential.element_present(el) for el in elements}
