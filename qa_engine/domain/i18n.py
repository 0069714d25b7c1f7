"""Which language a person reads: the alliance's seven languages and the negotiation rules.

The order (issue 17): the signed-in account's preferred language, else the browser's
`Accept-Language`, else the language of the person's institution (from its country), else English,
the alliance's working language and the source language of every message catalog."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT = "en"
# the source language first, then the alliance's other languages
LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "cs", "pl", "it", "da")
# each language in its own words (what the account page's choice shows)
NAMES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "cs": "Čeština",
    "pl": "Polski",
    "it": "Italiano",
    "da": "Dansk",
}
# an institution's country (ISO 3166-1 alpha-2) -> the language it works in
COUNTRY_LANGUAGES: dict[str, str] = {
    "CZ": "cs",
    "DE": "de",
    "FR": "fr",
    "DK": "da",
    "IT": "it",
    "PL": "pl",
    "CH": "fr",
}
MAX_HEADER = 1000  # longer Accept-Language headers are not read (nobody sends one)


def N_(text: str) -> str:  # noqa: N802 - the name gettext's tools know
    """Mark `text` for the message catalogs where it is defined (a constant); it is translated
    where it is shown, with the reader's catalog."""
    return text


@dataclass(frozen=True)
class Message:
    """A text made below the web (a service's line "3 reviews due") and translated where it is
    shown, in the reader's language: its msgid, with a plural msgid and the count `n` where a count
    appears; `%(num)s` is the count, `params` the other named values."""

    singular: str
    plural: str | None = None
    n: int = 1
    params: Mapping[str, object] = field(default_factory=dict)

    def render(
        self,
        gettext: Callable[[str], str],
        ngettext: Callable[[str, str, int], str],
    ) -> str:
        if self.plural is None:
            text = gettext(self.singular)
        else:
            text = ngettext(self.singular, self.plural, self.n)
        values = {"num": self.n, **rendered(self.params, gettext, ngettext)}
        return text % values

    def english(self) -> str:
        return self.render(lambda s: s, lambda s, p, n: s if n == 1 else p)


class Phrase(str):
    """A text made below the web that reads as English wherever a string is used (a log line, the
    CLI, an API field, a join) and keeps its `Message`, so that a page shows it in its reader's
    language: `Phrase(Np_(N_("load %(open)s/%(max)s"), open=2, max=5))`."""

    message: Message

    def __new__(cls, message: Message) -> Phrase:
        phrase = super().__new__(cls, message.english())
        phrase.message = message
        return phrase

    def __reduce__(self) -> tuple[type[Phrase], tuple[Message]]:
        return (Phrase, (self.message,))  # a copy or a pickle keeps the message


def rendered(
    params: Mapping[str, object],
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
) -> dict[str, object]:
    """`params` with every value that is a `Message` itself (a state's name, a list of roles) in
    the language of `gettext`."""
    return {k: translated(v, gettext, ngettext) for k, v in params.items()}


def translated(
    value: object,
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
) -> object:
    """A `Message` or a `Phrase` in the language of `gettext`; any other value as it is."""
    if isinstance(value, Phrase):
        return value.message.render(gettext, ngettext)
    if isinstance(value, Message):
        return value.render(gettext, ngettext)
    return value


def Np_(text: str, **params: object) -> Message:  # noqa: N802
    """A text with named values to translate where it is shown (a value may be a `Message` too):
    the msgid is marked with N_ where it is written, `Np_(N_("case %(id)s"), id=7)`."""
    return Message(text, params=params)


def one_of(items: Sequence[Message | str], *, joiner: str = "or") -> Message | str:
    """Texts joined the English way ("a, b or c"; `joiner` "and" for "a, b and c") in the reader's
    language: each item a `Message` (or a text shown as it is)."""
    if len(items) == 1:
        return items[0]
    last = N_("%(first)s or %(last)s") if joiner == "or" else N_("%(first)s and %(last)s")
    return Np_(last, first=listed(items[:-1]), last=items[-1])


def listed(items: Sequence[Message | str]) -> Message | str:
    """Texts joined with commas ("a, b, c") in the reader's language."""
    if len(items) == 1:
        return items[0]
    return Np_(N_("%(first)s, %(rest)s"), first=items[0], rest=listed(items[1:]))


def Nn_(singular: str, plural: str, n: int, **params: object) -> Message:  # noqa: N802
    """Mark a text with a count for the message catalogs (babel.cfg's keyword `Nn_:1,2`)."""
    return Message(singular, plural, n, params)


def supported(lang: str | None) -> str | None:
    """`lang` (any case, a region or script ignored: `fr-CH`, `de_AT`) when the engine speaks it."""
    if not lang:
        return None
    primary = lang.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def of_country(country: str | None) -> str | None:
    """The language of an institution in `country`, None for a country the alliance has none in."""
    return COUNTRY_LANGUAGES.get((country or "").strip().upper())


def accepted(header: str | None) -> list[str]:
    """The supported languages an `Accept-Language` header asks for, the most wanted first (by
    q-value, then by order); `q=0` refuses a language; malformed parts are skipped."""
    if not header or len(header) > MAX_HEADER:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
        if not 0 < q <= 1:
            continue
        lang = supported(tag)
        if lang is not None:
            ranked.append((-q, index, lang))
    seen: list[str] = []
    for _, _, lang in sorted(ranked):
        if lang not in seen:
            seen.append(lang)
    return seen


def negotiate(
    accept_language: str | None,
    preferred: str | None = None,
    institution_language: str | None = None,
) -> str:
    """The language to answer in: `preferred` (the account's), else the best of `accept_language`,
    else `institution_language`, else English; anything unsupported is passed over."""
    chosen = supported(preferred)
    if chosen:
        return chosen
    wanted = accepted(accept_language)
    if wanted:
        return wanted[0]
    return supported(institution_language) or DEFAULT


def choices(langs: Sequence[str] = LANGUAGES) -> list[tuple[str, str]]:
    """(code, name in its own language) for a choice of languages."""
    return [(lang, NAMES[lang]) for lang in langs]
