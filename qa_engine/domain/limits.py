"""Size limits on what people hand in (uploads, imported files, reports to verify)."""

from __future__ import annotations

from decimal import Decimal

from qa_engine.domain.errors import FileTooLarge
from qa_engine.domain.i18n import N_

_UNITS = ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB"))

# An ELM (Europass) credential or Qualification to import: the official samples are under 200 KB
# with an embedded logo; a description ten times larger than any seen is not one to read.
MAX_ELM_BYTES = 2 * 1024 * 1024
# How deeply an ELM file may nest its objects and lists: the official samples nest 10 levels.
MAX_ELM_DEPTH = 40


def size_in_words(size: int) -> str:
    """A byte count as a person reads it: ``30.2 MB``, ``10 MB``, ``512 KB``, ``900 bytes``."""
    number, unit = size_parts(size)
    if unit == "bytes":
        return f"{size:,} byte" + ("" if size == 1 else "s")
    return f"{number:f}".removesuffix(".0") + f" {unit}"


def size_parts(size: int) -> tuple[Decimal, str]:
    """A byte count as a number with one decimal at most and its unit (``GB``, ``MB``, ``KB``), or
    the count itself with ``bytes``: what `size_in_words` writes, for writing it in a language."""
    for factor, unit in _UNITS:
        if size >= factor:
            return Decimal(f"{size / factor:.1f}"), unit
    return Decimal(size), "bytes"


def too_large_message(size: int | None, limit: int) -> str:
    """``This file is 30.2 MB; the limit is 10 MB.`` (None: the size is not known, only that it is
    over the limit)."""
    return too_large(size, limit).message


def too_large(size: int | None, limit: int, *, name: str | None = None) -> FileTooLarge:
    """The refusal of a file of `size` bytes (None: only known to be over) over `limit`: named by
    the user's file `name` (``report.pdf: the file is 4 KB; …``) or spoken of as "this file".

    Its message is a msgid with the sizes in words as values (English where no reader is known);
    `sizes` keeps the byte counts so that a page writes them in its reader's language, and `exact`
    says both are in bytes (just over: the rounded sizes would read the same)."""
    exact = size is not None and size_in_words(size) == size_in_words(limit)
    params: dict[str, str] = {"limit": f"{limit:,} bytes" if exact else size_in_words(limit)}
    if size is not None:
        params["size"] = f"{size:,} bytes" if exact else size_in_words(size)
    if name is not None:
        params["name"] = name
        msgid = (
            N_("%(name)s: the file is larger than the limit of %(limit)s.")
            if size is None
            else N_("%(name)s: the file is %(size)s; the limit is %(limit)s.")
        )
    else:
        msgid = (
            N_("This file is larger than the limit of %(limit)s.")
            if size is None
            else N_("This file is %(size)s; the limit is %(limit)s.")
        )
    error = FileTooLarge(msgid, **params)
    error.sizes = (size, limit)
    error.exact = exact
    return error


def check_size(size: int, limit: int, what: str, *, at_least: bool = False) -> None:
    """Raise `FileTooLarge` naming `what` when `size` bytes are over `limit`.

    `at_least`: the size is what was read so far (a stream stopped at the limit), not the whole.
    """
    if size <= limit:
        return
    raise too_large(None if at_least else size, limit, name=what)


# A sealed export or public decision record to check (`qa-engine exports verify`): JSON documents
# of a few hundred KB; anything far larger is not one of them.
MAX_SEALED_FILE_BYTES = 10 * 1024 * 1024
# How deeply arrays and objects may nest in a sealed file or its payload (the official EDC samples
# nest about 15 levels); deeper is refused before anything is checked.
MAX_JSON_DEPTH = 64
