"""Jinja2 pages: one environment, paths from the package, a few filters, the shared context."""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from qa_engine.adapters import translations as tr
from qa_engine.domain import i18n, rubric_i18n
from qa_engine.domain.case_states import STATE_NAMES
from qa_engine.domain.i18n import N_, Message, Nn_
from qa_engine.domain.outcomes import OUTCOME_NAMES
from qa_engine.domain.roles import Role
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.scoring import GATE_LEVEL_EXAMPLE, GATE_RULE
from qa_engine.domain.statuses import STATUS_NAMES
from qa_engine.services.context import now
from qa_engine.services.dashboard import WaitingItem
from qa_engine.web.auth import FLASH_COOKIE, is_api
from qa_engine.web.forms import CriterionView

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
env = templates.env
env.trim_blocks = True
env.lstrip_blocks = True
env.add_extension("jinja2.ext.i18n")

# The language of the page being rendered: set by `render` around the rendering only (each request
# renders in its own thread and context, so nothing leaks from one request to another); outside a
# rendering, English.
_LANGUAGE: ContextVar[str] = ContextVar("qa_language", default=i18n.DEFAULT)


def current_language() -> str:
    return _LANGUAGE.get()


@contextmanager
def rendering_in(lang: str) -> Iterator[None]:
    """Render in `lang` within the block (a piece of HTML made ahead of a page, such as a rubric
    form's criterion: web/forms.py)."""
    token = _LANGUAGE.set(lang)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def _catalog() -> gettext_module.NullTranslations:
    return tr.translations(_LANGUAGE.get())


def _gettext(message: str) -> str:
    return _catalog().gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog().ngettext(singular, plural, n)


def _pgettext(context: str, message: str) -> str:
    return _catalog().pgettext(context, message)


def _npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _catalog().npgettext(context, singular, plural, n)


# the roles in words, as pages list them (lower case: "qa officer")
_ROLE_NAMES = {
    Role.PROVIDER: N_("provider"),
    Role.QA_OFFICER: N_("qa officer"),
    Role.REVIEWER: N_("reviewer"),
    Role.APPROVER: N_("approver"),
    Role.LEADERSHIP: N_("leadership"),
    Role.ADMIN: N_("admin"),
}


def _role_name(role: str) -> str:
    """A role in the page's language; an unknown one as it is written, `_` read as a space."""
    try:
        return _gettext(_ROLE_NAMES[Role(role)])
    except ValueError:
        return _label(role)


def _named(names: dict[Any, str], value: Any) -> str:
    """`value` by its name in `names`, in the page's language; an unknown one as it is written."""
    text = names.get(str(value or ""))
    return _label(value) if text is None else _gettext(text)


def outcome_name(outcome: str | None, gettext: Callable[[str], str]) -> str:
    """An outcome in words in the language of `gettext` (for a text a route passes on)."""
    text = OUTCOME_NAMES.get(str(outcome or ""))
    return _label(outcome) if text is None else gettext(text)


def _state_name(state: str | None) -> str:
    return _named(STATE_NAMES, state)


def _outcome_name(outcome: str | None) -> str:
    return _named(OUTCOME_NAMES, outcome)


def _status_name(status: str | None) -> str:
    return _named(STATUS_NAMES, status)


def _localised(rubric: Rubric | None) -> Rubric | None:
    """A rubric with its texts in the page's language (English where it declares fewer)."""
    return None if rubric is None else rubric_i18n.localised(rubric, _LANGUAGE.get())


def _sort_names(items: Iterable[Any], attribute: str = "name") -> list[Any]:
    """Items in the alphabetical order of the page's language by their `attribute` (Czech ch after
    h, Polish ł after l, Danish æ ø å after z)."""
    key = tr.collation_key(_LANGUAGE.get())
    return sorted(items, key=lambda item: key(str(getattr(item, attribute, "") or "")))


def _translated(value: Message | str | None) -> str:
    """A text a service made (a msgid marked with N_, or a `Message`) in the page's language; a
    text the catalogs do not hold stays as it is."""
    if isinstance(value, Message | i18n.Phrase):
        return str(i18n.translated(value, _gettext, _ngettext))
    return _gettext(value) if value else ""


def _gate_rule() -> str:
    """`domain.scoring.GATE_RULE` in the page's language."""
    level, (low, high) = GATE_LEVEL_EXAMPLE
    text = _gettext(
        N_(
            "A gate is met when the mean of the reviewers' scores reaches its level (a %(low)s and "
            "a %(high)s meet a level-%(level)s gate): a gate judges the mean, not each reviewer's "
            "score."
        )
    )
    return text % {"low": low, "high": high, "level": level}


def _reviewer_label(label: str | None) -> str:
    """A reviewer as cases show them to who may not see names ("Reviewer A") in the page's
    language; any other text as it is."""
    text = str(label or "")
    prefix = "Reviewer "
    if text.startswith(prefix) and text[len(prefix) :].isalnum():
        return _gettext(N_("Reviewer %(letter)s")) % {"letter": text[len(prefix) :]}
    return text


def _waiting_text(item: WaitingItem) -> str:
    """A home page line in the page's language (a line of English text only: as it is)."""
    if not item.parts:
        return item.text
    catalog = _catalog()
    return ", ".join(m.render(catalog.gettext, catalog.ngettext) for m in item.parts)


# newstyle: `_("%(n)s cases", n=3)` formats (and escapes) its variables itself
env.install_gettext_callables(  # type: ignore[attr-defined]
    _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
)


def request_language(request: Request) -> str:
    """The language of this request's pages (`domain.i18n.negotiate`): the signed-in account's,
    else the browser's, else the institution's, else English. Read once per request."""
    known = getattr(request.state, "language", None)
    if isinstance(known, str):
        return known
    principal = getattr(request.state, "principal", None)
    accept = request.headers.get("accept-language")
    preferred = getattr(principal, "language", None)
    if is_api(request) and i18n.accepted(accept):
        # the API answers in the language its client asks for (a script's header wins over the
        # account's preference, which is for the pages)
        preferred = None
    lang = i18n.negotiate(accept, preferred, getattr(principal, "institution_language", None))
    request.state.language = lang
    return lang


def catalog_for(request: Request) -> gettext_module.NullTranslations:
    """This request's message catalog (gettext, ngettext, pgettext)."""
    return tr.translations(request_language(request))


def gettext_for(request: Request) -> Callable[[str], str]:
    """`gettext` in this request's language, for texts a route or handler passes to a page."""
    return catalog_for(request).gettext


def _when(value: datetime | None) -> str:
    """A moment in the page's language, in UTC (the alliance spans time zones): `3. 12. 2026 14:05
    UTC` in cs, `Dec 3, 2026 14:05 UTC` in en."""
    return "—" if value is None else tr.format_moment(value, _LANGUAGE.get())


def _day(value: datetime | None) -> str:
    return _ldate(value)


def _due(value: datetime | None) -> str:
    if value is None:
        return ""
    days = (value - now()).total_seconds() / 86400
    if days < 0:
        n = int(-days) or 1
        return Nn_("%(num)s day overdue", "%(num)s days overdue", n).render(_gettext, _ngettext)
    n = int(days)
    if n == 0:
        return _gettext(N_("due today"))
    return Nn_("due in %(num)s day", "due in %(num)s days", n).render(_gettext, _ngettext)


def _overdue(value: datetime | None) -> bool:
    return value is not None and value < now()


def _label(value: Any) -> str:
    return str(value or "").replace("_", " ")


def _num(value: float | None, digits: int = 2) -> str:
    """A figure with `digits` decimals in the page's language (a decimal comma in cs, de, fr…)."""
    return _ldecimal(value, digits)


def _percent(share: float | None, places: int = 1) -> str:
    """A share in percent by the one rounding rule (domain.numbers), in the page's language."""
    return tr.format_share(share, _LANGUAGE.get(), places)


def _count_errors(criteria: Iterable[CriterionView]) -> int:
    """How many criteria of a form are marked (Jinja's selectattr chain cost a tenth of the review
    page)."""
    return sum(1 for cv in criteria if cv.error)


def _ldate(value: date | datetime | None, fmt: str = "medium") -> str:
    """A date in the page's language (a moment: its UTC day)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return tr.format_date(value, _LANGUAGE.get(), fmt)


def _ldatetime(value: datetime | None, fmt: str = "medium") -> str:
    return "—" if value is None else tr.format_datetime(value, _LANGUAGE.get(), fmt)


def _ldecimal(value: int | float | Decimal | None, digits: int | None = None) -> str:
    return "—" if value is None else tr.format_decimal(value, _LANGUAGE.get(), digits)


def _lpercent(value: int | float | Decimal | None, digits: int = 0) -> str:
    return "—" if value is None else tr.format_percent(value, _LANGUAGE.get(), digits)


# every date, time and number a page shows is in the page's language (Babel's locale data)
env.filters.update(ldate=_ldate, ldatetime=_ldatetime, ldecimal=_ldecimal, lpercent=_lpercent)
env.filters.update(when=_when, day=_day, due=_due, label=_label, num=_num, percent=_percent)
env.globals["count_errors"] = _count_errors
env.globals["waiting_text"] = _waiting_text
env.filters["role_name"] = _role_name
env.filters["tr"] = _translated
env.filters["localised"] = _localised
env.filters["sort_names"] = _sort_names
env.filters["reviewer_label"] = _reviewer_label
env.filters.update(state_name=_state_name, outcome_name=_outcome_name, status_name=_status_name)
env.tests["overdue"] = _overdue
env.globals["Role"] = Role
env.globals["language_choices"] = i18n.choices()
env.globals["GATE_RULE"] = GATE_RULE
env.globals["gate_rule"] = _gate_rule
env.globals["language_names"] = i18n.NAMES  # a language in its own words (a report's language)


def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    actor = principal.actor if principal is not None else None
    lang = request_language(request)
    ctx = {
        "request": request,
        "lang": lang,
        "principal": principal,
        "me": actor,
        "csrf": principal.csrf_token if principal is not None else None,
        "flash": getattr(request.state, "flash", ""),
        "roles": {r.value for r in actor.roles} if actor else set(),
        **context,
    }
    token = _LANGUAGE.set(lang)
    try:  # the template is rendered here, in this call
        response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    finally:
        _LANGUAGE.reset(token)
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "no-store"
    if ctx["flash"]:  # shown once
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
