"""Errors that carry their meaning. Adapters map `status` to HTTP codes and exit codes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qa_engine.domain.i18n import N_, Message, rendered

Detail = str | Message


class QAError(Exception):
    """Base of every error the engine raises on purpose; its message is meant for a person.

    The message is the English source text, translated where it is shown (`in_language`): with
    `params`, a msgid with named placeholders, `NotFound("no case %(id)s", id=7)`, so that the
    catalogs hold one entry and every language fills in the values (a value that is a `Message`,
    a state's name or a list of roles, is translated too); a message already formatted
    (an f-string) stays English. `details` are lines of plain text or `Message`s. `code` is the
    stable identifier clients branch on, never translated."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, details: Sequence[Detail] | None = None, **params: object
    ) -> None:
        self.msgid = message
        self.params: dict[str, object] = dict(params)
        english = rendered(self.params, lambda t: t, lambda t, p, n: t if n == 1 else p)
        self.message = message % english if self.params else message
        super().__init__(self.message)
        self.detail_parts: list[Detail] = list(details or [])
        self.details = [_english(d) for d in self.detail_parts]

    def in_language(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> tuple[str, list[str]]:
        """The message and the details in the language of `gettext`/`ngettext` (a text the
        catalogs do not hold stays as it is)."""
        text = gettext(self.msgid)
        try:
            message = text % rendered(self.params, gettext, ngettext) if self.params else text
        except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
            message = self.message
        details = [
            d.render(gettext, ngettext) if isinstance(d, Message) else d for d in self.detail_parts
        ]
        return message, details

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {d}" for d in self.details)


def _english(detail: Detail) -> str:
    return detail.english() if isinstance(detail, Message) else detail


class ValidationFailed(QAError):
    status = 422
    code = "validation_failed"


class FileTooLarge(ValidationFailed):
    """A file handed in is over its size limit (HTTP 413); the message gives both sizes in words."""

    status = 413
    code = "too_large"
    # the sizes in bytes (the file's None when only known to be over the limit), for writing them
    # in a reader's language; `exact`: both are said in bytes (domain.limits.too_large)
    sizes: tuple[int | None, int] | None = None
    exact: bool = False


class NotFound(QAError):
    status = 404
    code = "not_found"


class Forbidden(QAError):
    status = 403
    code = "forbidden"


class Unauthenticated(QAError):
    status = 401
    code = "unauthenticated"


class Conflict(QAError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class ConflictOfInterest(Conflict):
    code = "conflict_of_interest"


class StaleUpdate(Conflict):
    code = "stale_update"


class ConfirmationNeeded(Conflict):
    """The action would change something people rely on; repeat it confirmed to go ahead."""

    code = "confirmation_needed"


def check_version(what: str | Message, current: int, expected: int | None) -> None:
    """Raise `StaleUpdate` when a write carries another version of `what` than the stored one.

    A draft not written yet is version 0, so a first save that carries 0 while another tab (or a
    sheet upload) has saved meanwhile is refused like any stale write. None is for the engine's
    own writers only (the synthetic alliance, seeding): every person's write says which version
    it started from. `what` names it ("case 7"): a `Message` to have it in the reader's language
    too."""
    if expected is not None and current != expected:
        if expected == 0:
            raise StaleUpdate(
                N_(
                    "%(what)s was saved elsewhere (another tab, window or sheet upload) after you "
                    "opened it (now version %(current)s); nothing was saved"
                ),
                what=what,
                current=current,
            )
        raise StaleUpdate(
            N_(
                "%(what)s changed since you loaded it (version %(current)s, yours %(expected)s); "
                "reload it (nothing was saved)"
            ),
            what=what,
            current=current,
            expected=expected,
        )


class StorageError(QAError):
    status = 503
    code = "storage_error"
