"""The verdict of a report check in the words people use, never a status code."""

from __future__ import annotations

import datetime as dt

import pytest

from qa_engine.domain.verification import Verdict, VerificationResult, verdict_words

SIGNED_AT = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)


def _valid() -> Verdict:
    return Verdict(
        "valid",
        "The report is intact …",
        signer="4EU+ QA office",
        signed_at=SIGNED_AT,
        report_id="QA-2026-000001-R1",
    )


def test_a_valid_registered_report_says_who_issued_it_and_when():
    assert verdict_words(_valid(), True) == (
        "Valid — issued by 4EU+ QA office on 3 December 2026 (report QA-2026-000001-R1)"
    )


def test_the_day_is_the_day_in_utc():
    late = Verdict(
        "valid",
        "",
        signer="X",
        signed_at=dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    )
    assert verdict_words(late, True) == "Valid — issued by X on 4 December 2026"


def test_a_valid_signature_the_register_does_not_know_is_not_called_valid():
    words = verdict_words(_valid(), False)
    assert not words.startswith("Valid") and "not issued by the engine" in words.lower()
    assert verdict_words(_valid(), None).endswith("not checked against the register")


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("modified", "Modified after signing"),
        ("not_pdf", "Not a PDF"),
        ("untrusted", "Signed, but not by the engine's key"),
        ("unsigned", "Not signed"),
        ("invalid", "Damaged: the signature cannot be checked"),
    ],
)
def test_each_status_in_words(status, words):
    verdict = Verdict(status, "what was found")
    result = VerificationResult(verdict, None, "0" * 64)
    assert result.headline == words
    assert result.lines()[0] == words and status not in result.lines()[0]
