"""Babel's formats of dates and numbers, by language (issue 17: never strftime for people)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from qa_engine.adapters import translations as tr
from qa_engine.adapters.translations import collation_key

DAY = date(2026, 12, 3)
MOMENT = datetime(2026, 12, 3, 17, 5, tzinfo=UTC)


def test_dates_in_the_locales_format():
    assert tr.format_date(DAY, "cs") == "3. 12. 2026"
    assert tr.format_date(DAY, "de") == "03.12.2026"
    assert tr.format_date(DAY, "fr") == "3 déc. 2026"
    assert tr.format_date(DAY, "en") == "Dec 3, 2026"
    assert tr.format_date(DAY, "fr", "long") == "3 décembre 2026"


def test_moments_in_the_locales_format_in_utc():
    assert tr.format_datetime(MOMENT, "de", "short") == "03.12.26, 17:05"
    assert "17:05" in tr.format_datetime(MOMENT, "cs")


def test_decimal_comma_and_grouping():
    assert tr.format_decimal(1234.5, "cs", 2) == "1\xa0234,50"
    assert tr.format_decimal(1234.5, "de", 2) == "1.234,50"
    assert tr.format_decimal(Decimal("1234.5"), "fr", 1) == "1\u202f234,5"
    assert tr.format_decimal(1234.5, "en", 2) == "1,234.50"
    assert tr.format_decimal(3.14159, "de") == "3,142"


def test_percentages_follow_the_locale():
    assert tr.format_percent(0.125, "cs", 1) == "12,5\xa0%"
    assert tr.format_percent(0.5, "en") == "50%"
    assert tr.format_percent(0.5, "de") == "50\xa0%"


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("cs", ["Cibulka", "Čapek", "Dvořák", "Hruška", "Chalupa", "Rybka", "Řezník", "Zeman"]),
        ("pl", ["Ala", "Ądam", "Lech", "Łukasz", "Maria", "Zofia", "Źrebak", "Żaneta"]),
        ("da", ["Andersen", "Zealand", "Ærø", "Østergaard", "Aalborg", "Åse"]),
        ("fr", ["ébène", "Émile", "Eric", "Eve", "Zoé"]),
        ("de", ["Müller", "Mundt", "Ozdemir", "Öztürk"]),
        ("en", ["Čapek", "Chalupa", "Cibulka", "Dvořák", "Hruška"]),
    ],
)
def test_names_sort_in_the_languages_alphabet(lang, names):
    shuffled = list(reversed(names))
    assert sorted(shuffled, key=collation_key(lang)) == names


def test_a_compiled_catalog_older_than_its_source_is_not_used(tmp_path, monkeypatch):
    """After a checkout brings a new .po, a .mo compiled before it must not show old words."""
    import os

    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    def catalog(text: str) -> Catalog:
        cat = Catalog(locale="cs")
        cat.add("Cases", text)
        return cat

    folder = tmp_path / "cs" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po, mo = folder / "messages.po", folder / "messages.mo"
    with po.open("wb") as f:
        write_po(f, catalog("Staré"))
    tr.compile_catalog(po, mo)
    with po.open("wb") as f:
        write_po(f, catalog("Nové"))
    os.utime(mo, (1_000_000, 1_000_000))  # compiled long before the source changed
    monkeypatch.setattr(tr, "LOCALE_DIR", tmp_path)
    tr.translations.cache_clear()
    try:
        assert tr.translations("cs").gettext("Cases") == "Nové"
        tr.compile_catalog(po, mo)  # compiled again: the .mo is read, with the same words
        tr.translations.cache_clear()
        assert tr.translations("cs").gettext("Cases") == "Nové"
    finally:
        tr.translations.cache_clear()
