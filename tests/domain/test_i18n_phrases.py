"""Texts made below the web with names, lists and counts inside (issue 17): English wherever a
string is used, each part in the reader's language where it is shown."""

from __future__ import annotations

import copy
import pickle

from qa_engine.adapters.translations import translations
from qa_engine.domain.assignment import Candidate, CaseNeed, hard_rule_violations
from qa_engine.domain.errors import Conflict
from qa_engine.domain.i18n import N_, Nn_, Np_, Phrase, listed, one_of, translated
from qa_engine.domain.statuses import status_name


def _in(lang: str, value: object) -> object:
    catalog = translations(lang)
    return translated(value, catalog.gettext, catalog.ngettext)


def test_a_phrase_reads_as_english_and_keeps_its_message():
    phrase = Phrase(Np_(N_("load %(open)s/%(max)s"), open=2, max=5))
    assert phrase == "load 2/5" and "; ".join([phrase, "x"]) == "load 2/5; x"
    assert _in("de", phrase) == "Auslastung 2/5"
    for copied in (pickle.loads(pickle.dumps(phrase)), copy.deepcopy(phrase)):
        assert isinstance(copied, Phrase) and copied.message == phrase.message


def test_lists_join_the_way_each_language_does():
    names = [Np_(N_("providers")), Np_(N_("reviewers")), Np_(N_("approvers"))]
    both = one_of(names, joiner="and")
    assert _in("en", both) == "providers, reviewers and approvers"
    assert _in("cs", both) == "poskytovatelé, posuzovatelé a schvalovatelé"
    assert _in("it", one_of(names[:2])) == "gli erogatori o i valutatori"
    assert _in("fr", listed(names[:1])) == "les prestataires"


def test_an_error_with_a_status_and_a_count_inside():
    refused = Conflict(
        N_("assignment %(id)s is %(status)s; nothing to remind"),
        id=4,
        status=status_name("declined"),
    )
    assert refused.message == "assignment 4 is declined; nothing to remind"
    catalog = translations("pl")
    message, _ = refused.in_language(catalog.gettext, catalog.ngettext)
    assert message == "przydział 4 ma status „odmówiono”; nie ma o czym przypominać"
    counted = Phrase(
        Nn_(
            "eligible reviewers come from only %(num)s institution",
            "eligible reviewers come from only %(num)s institutions",
            2,
        )
    )
    assert _in("cs", counted) == "způsobilí posuzovatelé pocházejí jen ze 2 institucí"


def test_a_hard_rule_is_english_in_the_plan_and_translated_on_a_page():
    reviewer = Candidate(user_id=1, name="R", institution_id=7, open_reviews=3, max_open_reviews=3)
    need = CaseNeed(
        case_id=1,
        credential_id=2,
        provider_institution_id=7,
        isced_f="0613",
        skills=(),
        languages=(),
        needed=1,
    )
    rules = hard_rule_violations(reviewer, need)
    assert rules == ["same institution as the provider", "at the limit of 3 open reviews"]
    assert [_in("da", r) for r in rules] == [
        "samme institution som udbyderen",
        "ved grænsen på 3 åbne bedømmelser",
    ]
