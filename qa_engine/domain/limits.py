"""Size limits on what people hand in (uploads, imported files, reports to verify)."""

from __future__ import annotations

from qa_engine.domain.errors import ValidationFailed


def check_size(size: int, limit: int, what: str, *, at_least: bool = False) -> None:
    """Raise `ValidationFailed` naming `what` when `size` bytes are over `limit`.

    `at_least`: the size is what was read so far (a stream stopped at the limit), not the whole.
    """
    if size <= limit:
        return
    if at_least:
        raise ValidationFailed(f"{what}: the file is larger than the limit of {limit:,} bytes")
    raise ValidationFailed(f"{what}: the file is {size:,} bytes; the limit is {limit:,}")
