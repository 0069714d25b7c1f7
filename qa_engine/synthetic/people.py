"""Plausible people of the alliance: local names, expertise, languages and load limits.

Pure functions of a numpy generator, shared by the live alliance (accounts created through the
services) and the bulk history writer (rows inserted directly)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from qa_engine.domain.standards import DIGCOMP, GREENCOMP
from qa_engine.synthetic.tables import EXTRA_LANGUAGES, FIELDS, NAMES, TITLES, Member

T = TypeVar("T")
_FOLD = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "œ": "oe",
        "đ": "d",
        "å": "aa",
        "Å": "AA",
    }
)
_SKILLS = sorted(DIGCOMP) + sorted(GREENCOMP)


def pick(rng: np.random.Generator, items: list[T] | tuple[T, ...]) -> T:
    """One item, uniformly (far cheaper than `rng.choice` on a Python list)."""
    return items[int(rng.integers(len(items)))]


def ascii_fold(text: str) -> str:
    """'Łucja Żółkiewska' → 'Lucja Zolkiewska': for usernames and mail addresses."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class PersonName:
    given: str
    family: str
    title: str = ""

    @property
    def full(self) -> str:
        return f"{self.title} {self.given} {self.family}".strip()

    @property
    def handle(self) -> str:
        """given.family in lower-case ASCII, e.g. 'jiri.dvorak'."""

        def part(s: str) -> str:
            return "".join(c for c in ascii_fold(s).lower() if c.isalnum())

        return f"{part(self.given)}.{part(self.family)}"


def person_name(rng: np.random.Generator, locale: str, *, titled: float = 0.35) -> PersonName:
    """A name from the locale's pool; family names with a feminine form use it for women."""
    women, men, families = NAMES[locale]
    female = bool(rng.random() < 0.5)
    given = pick(rng, women if female else men)
    family = pick(rng, families)
    if "/" in family:
        family = family.split("/")[1 if female else 0]
    title = ""
    if rng.random() < titled:
        title = pick(rng, TITLES[locale])
        if "/" in title:
            title = title.split("/")[0 if female else 1]
    return PersonName(given, family, title)


@dataclass(frozen=True)
class ReviewerProfile:
    name: PersonName
    expertise_fields: list[str] = field(default_factory=list)
    expertise_skills: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    max_open_reviews: int = 4


def reviewer_profile(rng: np.random.Generator, member: Member) -> ReviewerProfile:
    """A reviewer of this institution: 1-3 ISCED-F fields, a few skills, English and the local
    language."""
    name = person_name(rng, member.locale)
    n_fields = int(rng.choice([1, 2, 3], p=[0.25, 0.5, 0.25]))
    fields = [str(f) for f in rng.choice(FIELDS, n_fields, replace=False)]
    skills = [str(s) for s in rng.choice(_SKILLS, int(rng.integers(0, 3)), replace=False)]
    languages = list(dict.fromkeys(["en", member.language]))
    if rng.random() < 0.3:
        languages = list(dict.fromkeys([*languages, pick(rng, EXTRA_LANGUAGES)]))
    return ReviewerProfile(name, fields, sorted(skills), languages, int(rng.integers(3, 7)))
