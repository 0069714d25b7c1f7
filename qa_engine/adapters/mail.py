"""Outgoing mail: render a plain-text template in the recipient's language, build a message,
deliver it.

The templates' words go through gettext (`{% trans %}`, jinja2.ext.i18n, newstyle) with the
catalog of the recipient's language; dates and figures are written the way that language writes
them (Babel, adapters/translations), titles and names stay as they are stored.

Delivery is at-least-once (a worker may crash after the server accepted a message but before the
notification is marked sent), so every message carries a ``Message-ID`` derived from its
notification key: a receiver, or a person, can recognise the duplicate. The outbox writes one file
per key, so a retry overwrites instead of adding a copy.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import jinja2
from jinja2 import meta

from qa_engine.adapters import translations as tr
from qa_engine.domain import i18n
from qa_engine.domain.errors import QAError, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.outcomes import OUTCOME_NAMES

if TYPE_CHECKING:
    from qa_engine.config import Settings

DEFAULT_DOMAIN = "qa-engine.4euplus.eu"
TEMPLATE_SUFFIX = ".txt.j2"
_SUBJECT_PREFIX = "Subject:"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class MailError(QAError):
    """Mail could not be handed over (server down, refused, login failed, outbox not writable)."""

    status = 503
    code = "mail_error"


# --------------------------------------------------------------------------------------------
# rendering


def templates_dir(settings: Settings) -> Path:
    return Path(settings.reports_dir) / "mail"


# what the services themselves write into a mail's context (their fixed reasons), for the
# `translated` filter; a reason a person typed is shown as typed
ENGINE_REASONS = (
    N_("your expertise matches the credential"),
    N_("reviewers to confirm"),
    N_("not enough eligible reviewers"),
    N_("the invitation was not answered in time"),
    N_("the review was overdue"),
    N_("reassigned by the QA office"),
    N_("replacement"),
    N_("The first reviewers of this round are still to be confirmed."),
)


def _environment(loader: jinja2.BaseLoader, language: str = i18n.DEFAULT) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader,
        autoescape=False,  # plain text; nothing here is ever shown as HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    catalog = tr.translations(language)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]

    def translated(value: Any) -> Any:
        """A text of the engine's in the mail's language (one the catalogs do not hold, such as
        a reason a person typed, as it is)."""
        return catalog.gettext(value) if isinstance(value, str) and value else value

    def outcome(value: Any) -> Any:
        """A decision's outcome (`approved_with_conditions`) in words, in the mail's language."""
        if not isinstance(value, str) or not value:
            return value
        return catalog.gettext(OUTCOME_NAMES.get(value, value))

    env.filters.update(
        translated=translated,
        outcome=outcome,
        day=lambda value: mail_date(value, language),
        number=lambda value, digits=None: mail_number(value, language, digits),
    )
    return env


def mail_date(value: Any, language: str) -> Any:
    """A day (a date, a moment or an ISO date text, as the queued context keeps it) the way
    `language` writes it in a letter (`3. prosince 2026` in cs, `3 décembre 2026` in fr); English
    mails keep the ISO date. Any other text is shown as it is."""
    day: date | None = None
    if isinstance(value, datetime):
        day = value.astimezone(UTC).date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip()[:10]) if len(value.strip()) >= 10 else None
        except ValueError:
            day = None
    if day is None:
        return value
    if i18n.supported(language) in (None, i18n.DEFAULT):
        return day.isoformat()
    return tr.format_date(day, language, "long")


def mail_number(value: Any, language: str, digits: int | None = None) -> Any:
    """A figure (a number, or a number written as text: `3.40`) with `language`'s decimal sign; the
    decimals of a text are kept. Anything else (`-`, `3.4 of 4`) is shown as it is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return value
        if digits is None:
            digits = len(text.partition(".")[2])
        value = number
    if not isinstance(value, int | float):
        return value
    return tr.format_decimal(value, language, digits)


def render(
    template: str,
    context: Mapping[str, Any],
    *,
    templates_dir: Path,
    language: str | None = None,
) -> tuple[str, str]:
    """Render ``<templates_dir>/<template>.txt.j2`` to ``(subject, body)`` in `language` (English
    when it is None or not one the engine speaks).

    The template's first line is ``Subject: …``, then a blank line, then the body. A missing
    template, a missing context key or a malformed template raises `ValidationFailed`.
    """
    loader = jinja2.FileSystemLoader(Path(templates_dir))
    env = _environment(loader, i18n.supported(language) or i18n.DEFAULT)
    name = template + TEMPLATE_SUFFIX
    try:
        source, _, _ = loader.get_source(env, name)
        parsed = env.parse(source)
    except jinja2.TemplateNotFound:
        raise ValidationFailed(f"mail template {template!r} not found in {templates_dir}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationFailed(
            f"mail template {template!r} is malformed (line {exc.lineno}): {exc.message}"
        ) from None

    missing = sorted(meta.find_undeclared_variables(parsed) - set(context) - set(env.globals))
    if missing:
        raise ValidationFailed(
            f"mail template {template!r} needs context keys that were not given: "
            f"{', '.join(missing)}",
            details=[f"missing: {key}" for key in missing],
        )
    subject_source, body_source = _split_source(template, source)
    # the subject line is rendered on its own, so a line break in a value (a title pasted from a
    # form) cannot end the header and start another one; it is folded to a space
    subject = " ".join(_render(env, template, subject_source, context).split())
    if not subject:
        raise ValidationFailed(f"mail template {template!r} rendered an empty subject")
    return subject, _render(env, template, body_source, context)


def _split_source(template: str, source: str) -> tuple[str, str]:
    source = source.replace("\r\n", "\n")
    first, _, rest = source.partition("\n")
    if not first.startswith(_SUBJECT_PREFIX):
        raise ValidationFailed(f"mail template {template!r} must start with a 'Subject: …' line")
    blank, _, body = rest.partition("\n")
    if blank.strip():
        raise ValidationFailed(
            f"mail template {template!r} needs a blank line after the subject line"
        )
    return first[len(_SUBJECT_PREFIX) :], body


def _render(env: jinja2.Environment, template: str, source: str, context: Mapping[str, Any]) -> str:
    try:
        return env.from_string(source).render(**context)
    except jinja2.UndefinedError as exc:
        raise ValidationFailed(f"mail template {template!r}: {exc.message}") from None
    except jinja2.TemplateSyntaxError as exc:  # a block that spans the subject and the body
        raise ValidationFailed(f"mail template {template!r} is malformed: {exc.message}") from None
    except (jinja2.TemplateError, TypeError) as exc:  # e.g. comparing a text with a number
        raise ValidationFailed(f"mail template {template!r} could not be rendered: {exc}") from None


# --------------------------------------------------------------------------------------------
# messages


def message_id(key: str, domain: str = DEFAULT_DOMAIN) -> str:
    """The deterministic Message-ID of the notification ``key``."""
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def build_message(
    *,
    key: str,
    recipient: str,
    subject: str,
    body: str,
    sender: str,
    domain: str = DEFAULT_DOMAIN,
    date: datetime | None = None,
) -> EmailMessage:
    """A UTF-8 plain-text message whose Message-ID is derived from ``key``."""
    msg = EmailMessage()
    try:
        msg["Message-ID"] = message_id(key, domain)
        msg["Date"] = email.utils.format_datetime(date or datetime.now(UTC))
        msg["From"] = sender
        msg["To"] = recipient
        msg["Subject"] = subject
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies, please
        # quoted-printable keeps the body 7-bit clean for any relay, and readable in the .eml
        msg.set_content(body, charset="utf-8", cte="quoted-printable")
        # the headers stay on one line each (RFC 5322 allows 998 characters): when the standard
        # library folds a subject with non-ASCII words (any language but English), the space
        # before a folded encoded word is lost ("and Łódź" reads "andŁódź"); the body is encoded
        # already, its lines stay within 76 characters
        msg.policy = msg.policy.clone(max_line_length=998)
    except (ValueError, TypeError) as exc:  # a line break in a header, an unparsable address …
        raise ValidationFailed(f"cannot build mail {key!r} to {recipient!r}: {exc}") from None
    return msg


# --------------------------------------------------------------------------------------------
# delivery


class Mailer(Protocol):
    def send(self, message: EmailMessage, key: str) -> Path | None: ...


def _ensure_message_id(message: EmailMessage, key: str) -> None:
    if message["Message-ID"] is None:
        message["Message-ID"] = message_id(key)


def outbox_file_name(key: str) -> str:
    """A safe, deterministic file name for ``key``; the hash keeps ``a:b`` and ``a/b`` apart."""
    slug = _UNSAFE.sub("_", key).strip("._-")[:80] or "mail"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{slug}-{digest}.eml"


class OutboxMailer:
    """Writes each message as ``<outbox_dir>/<key-derived name>.eml`` (development, tests,
    audits)."""

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = Path(outbox_dir)

    def path_for(self, key: str) -> Path:
        return self.outbox_dir / outbox_file_name(key)

    def send(self, message: EmailMessage, key: str) -> Path:
        _ensure_message_id(message, key)
        target = self.path_for(key)
        data = message.as_bytes()
        tmp_name: str | None = None
        try:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.outbox_dir, prefix=".", suffix=".eml.tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, target)
            tmp_name = None
            _fsync_dir(self.outbox_dir)
        except OSError as exc:
            raise MailError(
                f"cannot write mail {key!r} to the outbox {self.outbox_dir}: {exc.strerror or exc}"
            ) from None
        finally:
            if tmp_name is not None:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass
        return target


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class SMTPMailer:
    """Hands each message to an SMTP server (STARTTLS and login when configured)."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10,
    ) -> None:
        self.host = host
        self.port = int(port)
        self.user = user
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, message: EmailMessage, key: str) -> None:
        _ensure_message_id(message, key)
        where = self.where
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    try:
                        smtp.login(self.user, self.password or "")
                    except UnicodeEncodeError:  # smtplib sends credentials as ASCII only
                        raise MailError(
                            f"cannot send mail {key!r}: the SMTP user name or password for {where} "
                            "contains non-ASCII characters, which smtplib cannot send"
                        ) from None
                refused = smtp.send_message(message)
        except ConnectionRefusedError:
            raise MailError(
                f"cannot send mail {key!r}: connection refused by the SMTP server at {where}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(
                f"cannot send mail {key!r} via the SMTP server at {where}: {exc}"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"cannot send mail {key!r}: the SMTP server at {where} refused the login of "
                f"{self.user!r}: {exc.smtp_code} {_smtp_text(exc)}"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(
                f"cannot send mail {key!r}: the SMTP server at {where} refused the recipient(s) "
                f"{_refused_text(exc.recipients)}"
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(
                f"cannot send mail {key!r}: the SMTP server at {where} refused the sender "
                f"{exc.sender!r}: {exc.smtp_code} {_smtp_text(exc)}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                f"cannot send mail {key!r}: the SMTP server at {where} answered "
                f"{exc.smtp_code} {_smtp_text(exc)}"
            ) from None
        except smtplib.SMTPException as exc:
            raise MailError(
                f"cannot send mail {key!r} via the SMTP server at {where}: {exc}"
            ) from None
        except ssl.SSLError as exc:
            raise MailError(
                f"cannot send mail {key!r}: TLS with the SMTP server at {where} failed: "
                f"{exc.reason or exc}"
            ) from None
        except TimeoutError:
            raise MailError(
                f"cannot send mail {key!r}: the SMTP server at {where} did not answer within "
                f"{self.timeout:g} s"
            ) from None
        except OSError as exc:
            raise MailError(
                f"cannot send mail {key!r}: cannot reach the SMTP server at {where}: "
                f"{exc.strerror or exc}"
            ) from None
        if refused:
            raise MailError(
                f"mail {key!r}: the SMTP server at {where} refused the recipient(s) "
                f"{_refused_text(refused)}"
            )


def _smtp_text(exc: smtplib.SMTPException) -> str:
    err = getattr(exc, "smtp_error", b"")
    if isinstance(err, bytes):
        return err.decode("utf-8", "replace")
    return str(err or exc)


def _refused_text(refused: Mapping[str, tuple[int, bytes | str]]) -> str:
    parts = []
    for rcpt, (code, text) in refused.items():
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        parts.append(f"{rcpt} ({code} {text})")
    return ", ".join(parts)


def mailer_from_settings(settings: Settings) -> OutboxMailer | SMTPMailer:
    """SMTP when ``QA_SMTP_HOST`` is set; otherwise the outbox folder under the data folder."""
    if settings.smtp_host:
        return SMTPMailer(
            settings.smtp_host,
            settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )
    return OutboxMailer(settings.outbox_dir)
