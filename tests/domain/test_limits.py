"""The one size check of files handed in (imports, uploads, reports to verify)."""

from __future__ import annotations

import pytest

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.limits import check_size


def test_a_file_at_the_limit_passes_and_one_byte_more_is_refused_by_name():
    check_size(1000, 1000, "a.xlsx")
    with pytest.raises(
        ValidationFailed, match=r"^a\.xlsx: the file is 1,001 bytes; the limit is 1,000$"
    ):
        check_size(1001, 1000, "a.xlsx")


def test_a_stream_stopped_at_the_limit_does_not_claim_a_size():
    with pytest.raises(
        ValidationFailed, match=r"^up\.pdf: the file is larger than the limit of 1,000 bytes$"
    ):
        check_size(1024, 1000, "up.pdf", at_least=True)
