"""Who reads which language: the account's choice, then the browser's, then the institution's,
then English."""

from __future__ import annotations

import pytest

from qa_engine.domain import i18n


@pytest.mark.parametrize(
    ("header", "preferred", "institution", "expected"),
    [
        ("cs", None, None, "cs"),
        ("cs", "fr", "de", "fr"),  # the account's choice wins
        (None, None, "pl", "pl"),  # no browser preference: the institution's
        ("", None, None, "en"),
        ("ja, ko;q=0.8", None, "it", "it"),  # nothing supported asked for
        ("ja, de-AT;q=0.5, fr;q=0.9", None, None, "fr"),  # by q-value
        ("da;q=0, de", None, None, "de"),  # q=0 refuses
        ("en-GB,en;q=0.9,cs;q=0.8", None, "cs", "en"),
        ("fr-CH", None, None, "fr"),
        ("de;q=abc, it", None, None, "it"),  # a malformed part is skipped
        ("cs", "xx", None, "cs"),  # an unsupported stored choice is passed over
        ("x" * 2000, None, None, "en"),
    ],
)
def test_negotiate(header, preferred, institution, expected):
    assert i18n.negotiate(header, preferred, institution) == expected


def test_institution_languages_follow_the_country():
    assert [i18n.of_country(c) for c in ("CZ", "de", "FR", "DK", "IT", "PL", "CH", "US", "")] == [
        "cs",
        "de",
        "fr",
        "da",
        "it",
        "pl",
        "fr",
        None,
        None,
    ]


def test_every_language_has_its_own_name():
    assert [code for code, _ in i18n.choices()] == list(i18n.LANGUAGES)
    assert dict(i18n.choices())["cs"] == "Čeština"


def test_a_message_with_a_count_in_english_and_through_a_catalog():
    line = i18n.Nn_("%(num)s review due", "%(num)s reviews due", 3)
    assert [
        i18n.Nn_("%(num)s review due", "%(num)s reviews due", n).english() for n in (0, 1, 3)
    ] == ["0 reviews due", "1 review due", "3 reviews due"]
    czech = {1: "%(num)s posudek", 3: "%(num)s posudky", 5: "%(num)s posudků"}  # a catalog's forms
    assert line.render(lambda s: s, lambda s, p, n: czech[n]) == "3 posudky"
    named = i18n.Message("Case %(case)s", params={"case": 12})
    assert named.english() == "Case 12"
