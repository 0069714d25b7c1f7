"""The message catalogs (gettext, made with Babel) and Babel's formatting for a language.

The sources are `qa_engine/locale/LANG/LC_MESSAGES/messages.po`; the build (`setup.py`'s build_py)
and `make messages`/the install compile them to `messages.mo` beside them. When a `.mo` is missing
(a fresh checkout), the `.po` is read instead; when both are missing, English (the source text)
is shown: a missing catalog never fails a page."""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from qa_engine.domain import i18n
from qa_engine.domain.numbers import percent, percent_value

log = logging.getLogger("qa_engine.translations")

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"

Number = int | float | Decimal


def catalog_path(lang: str, suffix: str = ".po", locale_dir: Path | None = None) -> Path:
    return (locale_dir or LOCALE_DIR) / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def compile_catalog(po: Path, mo: Path) -> None:
    """Write the compiled `.mo` of a `.po` (fuzzy entries are left out, as msgfmt does)."""
    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    mo.write_bytes(buffer.getvalue())


def compile_all(locale_dir: Path | None = None) -> list[Path]:
    """Compile every language's `.po` under `locale_dir`; the `.mo` files written."""
    written = []
    for po in sorted((locale_dir or LOCALE_DIR).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        compile_catalog(po, mo)
        written.append(mo)
    return written


@lru_cache(maxsize=len(i18n.LANGUAGES) + 1)
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of `lang` (cached: catalogs do not change while the engine runs); English, and
    any language without a catalog, get the source texts."""
    if lang == i18n.DEFAULT or i18n.supported(lang) != lang:
        return gettext.NullTranslations()
    mo, po = catalog_path(lang, ".mo"), catalog_path(lang)
    try:
        # a compiled catalog older than its source (a checkout updated after the install) would
        # show yesterday's words: the source is read then
        if mo.is_file() and not (po.is_file() and po.stat().st_mtime > mo.stat().st_mtime):
            with mo.open("rb") as f:
                return Translations(f, domain=DOMAIN)
        if po.is_file():
            with po.open("rb") as f:
                catalog = read_po(f, locale=lang)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            return Translations(buffer, domain=DOMAIN)
    except Exception:  # noqa: BLE001 - a broken catalog shows English, it does not fail a page
        log.exception("the %s message catalog cannot be read; showing English", lang)
    return gettext.NullTranslations()


def locale(lang: str) -> Locale:
    return Locale.parse(i18n.supported(lang) or i18n.DEFAULT)


def language_name(code: str, lang: str) -> str:
    """The name of the language `code` in `lang`, with its code (`Czech (cs)` in en,
    `Tschechisch (cs)` in de)."""
    try:
        name = Locale.parse(code).get_display_name(locale(lang)) or code
    except (UnknownLocaleError, ValueError, TypeError):  # not a language Babel knows: its code
        return code
    return f"{name} ({code})"


def format_date(value: date, lang: str, fmt: str = "medium") -> str:
    """A date as people of `lang` write it (`3. 12. 2026` in cs, `03.12.2026` in de)."""
    return dates.format_date(value, format=fmt, locale=locale(lang))


def format_datetime(value: datetime, lang: str, fmt: str = "medium", tz: tzinfo = UTC) -> str:
    """A moment in `tz` (UTC by default: the alliance spans time zones) in `lang`'s format."""
    return dates.format_datetime(value, format=fmt, tzinfo=tz, locale=locale(lang))


def format_decimal(value: Number, lang: str, digits: int | None = None) -> str:
    """A number with `lang`'s decimal sign and grouping; `digits` fixes the decimals shown."""
    fmt = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=fmt, locale=locale(lang))


def format_percent(value: Number, lang: str, digits: int = 0) -> str:
    """A share (0.5 is 50 %) in `lang`'s format, with `digits` decimals."""
    loc = locale(lang)
    pattern = loc.percent_formats[None].pattern  # the locale's own: `#,##0 %` in cs and fr
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return numbers.format_percent(value, format=pattern, locale=loc)


def format_moment(value: datetime, lang: str) -> str:
    """A moment to the minute in UTC, the zone named: `3. 12. 2026 14:05 UTC` in cs."""
    moment = value.astimezone(UTC)
    day = dates.format_date(moment.date(), format="medium", locale=locale(lang))
    time = dates.format_time(moment, format="HH:mm", tzinfo=UTC, locale=locale(lang))
    return f"{day} {time} UTC"


def format_share(share: float | None, lang: str, places: int = 1) -> str:
    """A share (0–1) in percent, rounded by the engine's one rule (domain.numbers.percent_value),
    written the way `lang` writes it: `43.8 %` in en (the engine's house form), `43,8 %` in cs, de
    and fr, `43,8%` in pl and it; `—` without one."""
    if share is None:
        return "—"
    if (i18n.supported(lang) or i18n.DEFAULT) == i18n.DEFAULT:
        # the engine's English keeps the form its reports always printed: "43.8 %"
        return percent(share, places)
    value = percent_value(share, places) / 100
    return format_percent(value, lang, places)


# Names in the order of each language's alphabet: the Unicode Collation Algorithm (pyuca, the
# default table: accents and case weigh less than letters, so Émile sorts beside Emile), with the
# letters that the alliance's alphabets place after their base letter as letters of their own
# (Czech č ř š ž and ch after h, Polish ą ć ę ł ń ó ś ź ż, Danish æ ø å after z). A letter
# of its own becomes its base letter followed by a private-use character, which the default table
# orders after every letter: "č" after every other "c…", before "d".
_AFTER = "\ue000\ue001\ue002"
_TAILORING: dict[str, list[tuple[str, str]]] = {
    "cs": [("ch", "h" + _AFTER[0])]
    + [(c, c.translate(str.maketrans("čřšž", "crsz")) + _AFTER[0]) for c in "čřšž"],
    "pl": [(c, b + _AFTER[0]) for c, b in zip("ąćęłńóśź", "acelnosz", strict=True)]
    + [("ż", "z" + _AFTER[1])],
    "da": [("æ", "z" + _AFTER[0]), ("ø", "z" + _AFTER[1])]
    + [("å", "z" + _AFTER[2]), ("aa", "z" + _AFTER[2])],
}


@lru_cache(maxsize=1)
def _collator() -> Any:
    from pyuca import Collator  # reads its table (2 MB) once, when names are first sorted

    return Collator()


def collation_key(lang: str) -> Callable[[str], tuple[object, ...]]:
    """A sort key putting names in `lang`'s alphabetical order (`sorted(names, key=…)`)."""
    collator = _collator()
    rules = _TAILORING.get(i18n.supported(lang) or i18n.DEFAULT, [])

    def key(text: str) -> tuple[object, ...]:
        folded = text.casefold()
        for letter, replacement in rules:
            folded = folded.replace(letter, replacement)
        return (collator.sort_key(folded), collator.sort_key(text))

    return key


if __name__ == "__main__":  # `python -m qa_engine.adapters.translations`: compile the catalogs
    for path in compile_all():
        print(f"compiled {path}")
