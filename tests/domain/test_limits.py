"""The one size check of files handed in (imports, uploads, reports to verify)."""

from __future__ import annotations

import pytest

from qa_engine.domain.errors import FileTooLarge, ValidationFailed
from qa_engine.domain.limits import check_size, size_in_words, too_large_message

MB = 1024 * 1024


def test_a_file_at_the_limit_passes_and_one_byte_more_is_refused_by_name():
    check_size(1000, 1000, "a.xlsx")
    with pytest.raises(
        ValidationFailed, match=r"^a\.xlsx: the file is 1,001 bytes; the limit is 1,000 bytes\.$"
    ) as caught:
        check_size(1001, 1000, "a.xlsx")
    assert caught.value.status == 413 and caught.value.code == "too_large"


def test_a_stream_stopped_at_the_limit_does_not_claim_a_size():
    with pytest.raises(
        FileTooLarge, match=r"^up\.pdf: the file is larger than the limit of 1,000 bytes\.$"
    ):
        check_size(1024, 1000, "up.pdf", at_least=True)


def test_sizes_are_said_in_words():
    assert size_in_words(900) == "900 bytes" and size_in_words(1) == "1 byte"
    assert size_in_words(512 * 1024) == "512 KB"
    assert size_in_words(10 * MB) == "10 MB" and size_in_words(int(30.2 * MB)) == "30.2 MB"
    assert too_large_message(int(30.2 * MB), 10 * MB) == "This file is 30.2 MB; the limit is 10 MB."
    # just over the limit: the rounded words would read the same, so the bytes are given
    assert too_large_message(10 * MB + 1, 10 * MB) == (
        "This file is 10,485,761 bytes; the limit is 10,485,760 bytes."
    )
