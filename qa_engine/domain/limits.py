"""Size limits on what people hand in (uploads, imported files, reports to verify)."""

from __future__ import annotations

from qa_engine.domain.errors import FileTooLarge

_UNITS = ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB"))

# An ELM (Europass) credential or Qualification to import: the official samples are under 200 KB
# with an embedded logo; a description ten times larger than any seen is not one to read.
MAX_ELM_BYTES = 2 * 1024 * 1024
# How deeply an ELM file may nest its objects and lists: the official samples nest 10 levels.
MAX_ELM_DEPTH = 40


def size_in_words(size: int) -> str:
    """A byte count as a person reads it: ``30.2 MB``, ``10 MB``, ``512 KB``, ``900 bytes``."""
    for factor, unit in _UNITS:
        if size >= factor:
            number = f"{size / factor:.1f}".removesuffix(".0")
            return f"{number} {unit}"
    return f"{size:,} byte" + ("" if size == 1 else "s")


def too_large_message(size: int | None, limit: int, *, subject: str = "This file") -> str:
    """``This file is 30.2 MB; the limit is 10 MB.`` (None: the size is not known, only that it is
    over the limit)."""
    if size is None:
        return f"{subject} is larger than the limit of {size_in_words(limit)}."
    said, limit_said = size_in_words(size), size_in_words(limit)
    if said == limit_said:  # just over: the rounded sizes would read the same
        said, limit_said = f"{size:,} bytes", f"{limit:,} bytes"
    return f"{subject} is {said}; the limit is {limit_said}."


def check_size(size: int, limit: int, what: str, *, at_least: bool = False) -> None:
    """Raise `FileTooLarge` naming `what` when `size` bytes are over `limit`.

    `at_least`: the size is what was read so far (a stream stopped at the limit), not the whole.
    """
    if size <= limit:
        return
    said = too_large_message(None if at_least else size, limit, subject="the file")
    raise FileTooLarge(f"{what}: {said}")


# A sealed export or public decision record to check (`qa-engine exports verify`): JSON documents
# of a few hundred KB; anything far larger is not one of them.
MAX_SEALED_FILE_BYTES = 10 * 1024 * 1024
# How deeply arrays and objects may nest in a sealed file or its payload (the official EDC samples
# nest about 15 levels); deeper is refused before anything is checked.
MAX_JSON_DEPTH = 64
