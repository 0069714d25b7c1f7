"""Uploaded files: size-checked, written to a private temporary file that is removed afterwards, and
read by the same adapters as the command line's files before they go to the services."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath

from sqlmodel import Session
from starlette.datastructures import UploadFile  # a form's files; FastAPI's UploadFile is one too

from qa_engine.adapters import translations as tr
from qa_engine.adapters.credential_io import read_credentials_file
from qa_engine.config import Settings
from qa_engine.domain.errors import FileTooLarge, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.limits import check_size, size_parts
from qa_engine.domain.roles import Actor
from qa_engine.services import credential_import

CHUNK = 1024 * 1024
# a size in words: the number in the reader's format, the unit in their words (Mo in French)
_UNITS = {"GB": N_("%(size)s GB"), "MB": N_("%(size)s MB"), "KB": N_("%(size)s KB")}


def size_in_language(size: int, lang: str, *, exact: bool = False) -> str:
    """A byte count as a reader of `lang` reads it: ``30,2 Mo`` in fr, ``30.2 MB`` in en;
    `exact`: in bytes (``2 049 octets``)."""
    catalog = tr.translations(lang)
    number, unit = size_parts(size)
    if exact or unit == "bytes":
        text = catalog.ngettext("%(num)s byte", "%(num)s bytes", size)
        return text % {"num": tr.format_decimal(size, lang)}
    return catalog.gettext(_UNITS[unit]) % {"size": tr.format_decimal(number, lang)}


def too_large_in_language(error: FileTooLarge, lang: str) -> str:
    """The message of a file over its limit with both sizes written as a reader of `lang` writes
    them: "Ce fichier fait 30,2 Mo ; la limite est de 20 Mo." """
    params = dict(error.params)
    if error.sizes is not None:
        size, limit = error.sizes
        params["limit"] = size_in_language(limit, lang, exact=error.exact)
        if size is not None:
            params["size"] = size_in_language(size, lang, exact=error.exact)
    try:
        return tr.translations(lang).gettext(error.msgid) % params
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
        return error.message


def safe_name(upload: UploadFile | None, default: str = "upload") -> str:
    name = PurePath((upload.filename if upload else None) or default).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\:*?"<>|')[:120]
    return name if name.strip(". ") else default


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """The whole file, or `FileTooLarge` (named by the user's file name, with both sizes in words)
    when it is larger than `limit` bytes."""
    if upload.size is not None:  # a parsed form holds the whole file already: say its size
        check_size(upload.size, limit, safe_name(upload))
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        check_size(size, limit, safe_name(upload), at_least=True)
        parts.append(chunk)
    return b"".join(parts)


@contextmanager
def temporary_file(data: bytes, suffix: str, name: str = "") -> Iterator[Path]:
    """The bytes in a private temporary folder under the user's own file `name` (a `safe_name`),
    so that whatever the adapters say about the file names it as the user knows it, never by a
    server path."""
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as folder:
        path = Path(folder) / (PurePath(name).name if name.strip(". ") else f"upload{suffix}")
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path


def suffix_of(name: str, allowed: tuple[str, ...]) -> str:
    suffix = PurePath(name).suffix.lower()
    if suffix not in allowed:
        raise ValidationFailed(
            N_("%(name)s: unsupported file type %(suffix)s; use %(allowed)s"),
            name=name,
            suffix=suffix or "(none)",
            allowed=" / ".join(allowed),
        )
    return suffix


def import_credentials_upload(
    db: Session,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    known_providers: set[str] | None,
    open_cases: bool,
    settings: Settings,
    confirm: bool = False,
    case_id: int | None = None,
    supplied: dict[str, str] | None = None,
) -> credential_import.ImportResult:
    """Read an uploaded spreadsheet, JSON file or ELM (Europass) JSON-LD file of credentials and
    import them (see `credential_import`); `supplied`: elements a Europass file lacks."""
    suffix = suffix_of(filename, (".xlsx", ".json", ".jsonld", ".json-ld"))
    with temporary_file(data, suffix, filename) as path:
        items = read_credentials_file(
            path,
            max_bytes=settings.max_upload_bytes,
            max_unzipped_bytes=settings.max_unzipped_bytes,
            known_providers=known_providers,
            supplied=supplied,
        )
    return credential_import.import_credentials(
        session=db,
        actor=actor,
        items=items,
        open_cases=open_cases,
        source=filename,
        confirm=confirm,
        case_id=case_id,
    )
