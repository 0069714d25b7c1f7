"""The names people write for the alliance's institutions: the code, the English name, the name in
the institution's own language and a few common variants. The importer reads any of them,
whatever the case, accents, spaces and hyphens (`provider_code`)."""

from __future__ import annotations

import re
import unicodedata

# code -> (English name, name in the institution's language, other names in use); the first two
# are the names the alliance is seeded with (`services.institutions.ALLIANCE`)
ALLIANCE_NAMES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "CUNI": (
        "Charles University",
        "Univerzita Karlova",
        ("Charles University in Prague", "Charles University Prague", "Univerzita Karlova v Praze"),
    ),
    "UHEI": (
        "Heidelberg University",
        "Ruprecht-Karls-Universität Heidelberg",
        ("Universität Heidelberg", "University of Heidelberg", "Uni Heidelberg"),
    ),
    "UPA": (
        "Paris Panthéon-Assas University",
        "Université Paris-Panthéon-Assas",
        (
            "Université Panthéon-Assas",
            "Panthéon-Assas University",
            "Université Paris 2 Panthéon-Assas",
            "Université Paris II Panthéon-Assas",
        ),
    ),
    "SU": ("Sorbonne University", "Sorbonne Université", ()),
    "UCPH": ("University of Copenhagen", "Københavns Universitet", ()),
    "UNIMI": (
        "University of Milan",
        "Università degli Studi di Milano",
        ("Università di Milano", "Università Statale di Milano", "University of Milano"),
    ),
    "UW": ("University of Warsaw", "Uniwersytet Warszawski", ("Warsaw University",)),
    "UNIGE": ("University of Geneva", "Université de Genève", ("Universität Genf",)),
}

# letters that Unicode does not decompose into a base letter and an accent
_FOLD = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i"})


def name_key(text: str) -> str:
    """A name without case, accents, spaces, hyphens and punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", bare)


_BY_KEY: dict[str, str] = {}
for _code, (_english, _local, _others) in ALLIANCE_NAMES.items():
    for _name in (_code, _english, _local, *_others):
        _BY_KEY[name_key(_name)] = _code


def institution_label(code: str) -> str:
    """What a drop-down shows for an institution: its English name and its code."""
    names = ALLIANCE_NAMES.get(code)
    return f"{names[0]} ({code})" if names else code


def provider_code(text: str) -> str | None:
    """The code of the institution a person named (a code, a name, or a drop-down's
    ``Name (CODE)``), or None when it is none of the alliance's names."""
    m = re.fullmatch(r"(.*?)\s*\(\s*([A-Za-z0-9]{1,16})\s*\)", text.strip())
    if m:
        code = _BY_KEY.get(name_key(m.group(2)))
        named = _BY_KEY.get(name_key(m.group(1))) if m.group(1) else code
        return code if code is not None and named == code else None
    return _BY_KEY.get(name_key(text))
