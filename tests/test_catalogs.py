"""The message catalogs guard every translated word (issue 17): each language's catalog is complete
(no untranslated, no fuzzy entry), keeps the placeholders of its source text, and the template
`messages.pot` holds exactly what the sources mark (a string marked without `make messages`, or
one left behind after its source went, fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from qa_engine.adapters.translations import LOCALE_DIR, catalog_path, translations
from qa_engine.domain import i18n

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]
# %(name)s, %s, %d, %%, and {name} / {0}
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]|\{[^{}]*\}")


def catalog(lang: str):
    with catalog_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_every_language_has_a_catalog():
    assert sorted(TRANSLATED) == sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/*/*.po"))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_entry_is_translated_and_none_is_fuzzy(lang):
    cat = catalog(lang)
    assert not cat.fuzzy, f"{lang}: the catalog's header is marked fuzzy"
    problems = []
    for m in cat:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy:
            problems.append(f"fuzzy: {m.id!r}")
        if isinstance(m.id, tuple) and len(strings) != cat.num_plurals:
            problems.append(f"{len(strings)} plural forms, {cat.num_plurals} expected: {m.id!r}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {m.id!r}")
    assert not problems, f"{lang}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_translation_keeps_its_placeholders(lang):
    problems = []
    for m in catalog(lang):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        expected = placeholders(ids[-1])
        # a plural's singular may leave the count out ("one character"), never add another
        for index, s in enumerate(strings):
            found = placeholders(s)
            if found != expected and not (
                index == 0 and len(ids) > 1 and set(found) < set(expected)
            ):
                problems.append(f"{m.id!r}: {found} instead of {expected} in {s!r}")
    assert not problems, f"{lang}:\n" + "\n".join(problems)


def test_the_placeholder_check_would_catch_a_changed_name():
    assert placeholders("Welcome, %(name)s") != placeholders("Bienvenue, %(nom)s")
    assert placeholders("{n} cases") != placeholders("{count} dossiers")
    assert placeholders("At least %(num)s") == placeholders("Alespoň %(num)s")


def extracted() -> set[str | tuple[str, ...]]:
    """What `make messages` extracts: babel.cfg's sources, Babel's default keywords and `Nn_`."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "Nn_": (1, 2)}
    found: set[str | tuple[str, ...]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message)
    return found


def test_the_template_holds_exactly_the_marked_strings():
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        pot = {m.id for m in read_po(f) if m.id}
    marked = extracted()
    assert marked, "nothing extracted: is babel.cfg read?"
    assert marked - pot == set(), "marked in the sources but not in messages.pot: run make messages"
    assert pot - marked == set(), "in messages.pot but no longer in the sources: run make messages"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalog_holds_exactly_the_template(lang):
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        pot = {m.id for m in read_po(f) if m.id}
    assert {m.id for m in catalog(lang) if m.id} == pot, f"{lang}: run make messages"


HINT = (
    "At least %(num)s character; a few unrelated words make a good one.",
    "At least %(num)s characters; a few unrelated words make a good one.",
)


def test_a_catalog_translates_with_its_plural_forms():
    assert translations("fr").gettext("Sign in") == "Se connecter"
    cs = translations("cs")
    assert [cs.ngettext(*HINT, n).split(";")[0] for n in (1, 3, 12)] == [
        "Alespoň %(num)s znak",
        "Alespoň %(num)s znaky",
        "Alespoň %(num)s znaků",
    ]
    assert translations("en").gettext("Sign in") == "Sign in"
    assert translations("xx").gettext("Sign in") == "Sign in"


def test_the_sources_are_read_without_compiled_catalogs_and_nothing_is_english(
    monkeypatch, tmp_path
):
    import shutil

    import qa_engine.adapters.translations as tr

    shutil.copy2(catalog_path("de"), tmp_path / "messages.po")
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    shutil.move(tmp_path / "messages.po", catalog_path("de", locale_dir=tmp_path))
    monkeypatch.setattr(tr, "LOCALE_DIR", tmp_path)  # German's .po only, no .mo, no other language
    tr.translations.cache_clear()
    try:
        assert tr.translations("de").gettext("Sign in") == "Anmelden"
        assert tr.translations("fr").gettext("Sign in") == "Sign in"  # no catalog: English
        assert tr.compile_all() == [catalog_path("de", ".mo", tmp_path)]
        tr.translations.cache_clear()
        assert tr.translations("de").gettext("Sign out") == "Abmelden"  # from the .mo
    finally:
        tr.translations.cache_clear()
