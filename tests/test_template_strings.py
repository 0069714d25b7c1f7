"""No text a person reads escapes gettext (issue 17): every word in a page or mail template is
inside `{{ _(…) }}`, `{{ ngettext(…) }}` or `{% trans %}`. The check reads each template with
Jinja2's own lexer, masks every tag and expression, and looks at what is left: the text between
HTML tags and the attributes people read (title, placeholder, alt, aria-label, button values). A
word there is a string the catalogs never see, so the page would stay English in every language.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

from qa_engine.web.templating import TEMPLATES_DIR

MAIL_DIR = Path(TEMPLATES_DIR).parent.parent / "reports" / "mail"
MASK = "\x00"
WORD = re.compile(r"[^\W\d_]{2,}")
# what is the same in every language: acronyms and standard names (ECTS, EQF, PDF, JSON, UTC…),
# a few symbols' names, and the engine's own name
ALLOWED = re.compile(r"^(?:[A-Z0-9][A-Z0-9+.\-/]*|qa-engine|4EU\+|Europass|DEQAR|ESCO)$")
READ_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "aria-description", "label"}


def _masked(source: str) -> str:
    """`source` with every Jinja tag, expression, comment and trans block replaced by a mask that
    keeps the line count."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    out: list[str] = []
    in_trans = 0
    pending_block: list[str] = []
    last_masked = False
    for _lineno, kind, value in env.lex(source):
        if kind == "data" and not in_trans:
            out.append(value)
            last_masked = False
            continue
        # one mask for a whole tag or expression (its tokens follow one another)
        if not last_masked:
            out.append(MASK)
            last_masked = True
        out.append("\n" * value.count("\n"))
        if kind == "block_begin":
            pending_block = []
        elif kind == "name" and pending_block == []:
            pending_block.append(value)
            if value == "trans":
                in_trans += 1
            elif value == "endtrans":
                in_trans -= 1
        elif kind == "block_end":
            pending_block = ["done"]
    return "".join(out)


def _words(text: str) -> list[str]:
    return [w for w in text.replace(MASK, " ").split() if WORD.search(w) and not _allowed(w)]


def _allowed(word: str) -> bool:
    if word.startswith(("http://", "https://", "/")):  # an address, a path of the engine's
        return True
    return bool(ALLOWED.match(word.strip("()[]{},.;:!?«»\"'“”—–·|/")))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skipping += 1
        input_type = dict(attrs).get("type") or ""
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and input_type in ("submit", "button")
            )
            if readable and value and _words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.replace(MASK, "…")}"'))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and _words(data):
            line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
            self.found.append((line, data.replace(MASK, "…").strip()))


def untranslated(source: str, *, html: bool = True) -> list[tuple[int, str]]:
    """(line, text) of every piece of readable text outside gettext in a template's `source`."""
    masked = _masked(source)
    if not html:
        found = []
        for lineno, line in enumerate(masked.splitlines(), start=1):
            if lineno == 1 and line.startswith("Subject:"):  # the mail header's own name
                line = line.removeprefix("Subject:")
            if _words(line):
                found.append((lineno, line.replace(MASK, "…").strip()))
        return found
    reader = _Reader()
    reader.feed(masked)
    reader.close()
    return reader.found


# --- the check itself ---------------------------------------------------------------------------


def test_a_plain_word_is_found_with_its_line():
    assert untranslated("<p>\n  Hello {{ name }}</p>") == [(2, "Hello …")]


def test_gettext_calls_and_trans_blocks_pass():
    source = (
        '<h1>{{ _("Cases") }}</h1>\n'
        "<p>{% trans n=3 %}Three cases{% endtrans %}</p>\n"
        '<p>{{ ngettext("%(num)s case", "%(num)s cases", n) }} · ECTS</p>'
    )
    assert untranslated(source) == []


def test_readable_attributes_are_checked_and_others_not():
    found = untranslated(
        '<input type="submit" value="Save"><a title="Open the case" href="/cases/x" class="button">'
    )
    assert [text for _, text in found] == ['value="Save"', 'title="Open the case"']
    assert untranslated('<input type="hidden" name="version" value="draft">') == []


def test_acronyms_and_addresses_are_the_same_in_every_language():
    assert untranslated('<td>ECTS · EQF</td><input placeholder="https://…">') == []
    assert untranslated("<td>ECTS credits</td>") == [(1, "ECTS credits")]


def test_scripts_and_comments_are_not_read():
    assert untranslated("<script>const label = 'Saving';</script>{# a note #}") == []


def test_mail_templates_are_read_as_text():
    assert untranslated("Dear {{ name }},\n{{ _('Your review is due') }}", html=False) == [
        (1, "Dear …,")
    ]
    mail = "Subject: {{ _('Review due') }}\n\n{{ base_url }}/cases/{{ case_id }}\nKind regards"
    assert untranslated(mail, html=False) == [(4, "Kind regards")]


GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext"}


def readable_literals(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every string in a tag or expression that reads as words (`{{ "signed
    PDF" if … }}`) and is neither inside a gettext call nor a mapping's key (`{"active": _(…)}`)
    nor markup."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    tokens = [t for t in env.lex(source) if t[1] != "whitespace"]
    found: list[tuple[int, str]] = []
    calls: list[str] = []  # the name before each open parenthesis
    for index, (lineno, kind, value) in enumerate(tokens):
        if kind == "operator" and value == "(":
            before = tokens[index - 1] if index else (0, "", "")
            calls.append(before[2] if before[1] == "name" else "")
        elif kind == "operator" and value == ")" and calls:
            calls.pop()
        elif kind == "string":
            text = value[1:-1]
            after = tokens[index + 1][2] if index + 1 < len(tokens) else ""
            if (
                " " in text.strip()
                and _words(text)
                and "<" not in text
                and after != ":"
                and not GETTEXT_CALLS.intersection(calls)
            ):
                found.append((lineno, text))
    return found


def test_a_readable_literal_is_found_and_gettext_arguments_pass():
    assert readable_literals('{{ "signed PDF" if pdf else _("workbook") }}') == [(1, "signed PDF")]
    assert readable_literals('{{ _("Download %(kind)s", kind=k|upper) }}') == []
    assert readable_literals('{{ ngettext("%(num)s case", "%(num)s cases", n) }}') == []
    assert readable_literals('{% set w = {"in use": _("in use")} %}{{ "a-b" }}') == []


# --- every template -----------------------------------------------------------------------------

PAGES = sorted(p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*.html"))
MAILS = sorted(p.name for p in MAIL_DIR.glob("*.j2"))


@pytest.mark.parametrize("name", PAGES)
def test_no_page_text_escapes_gettext(name):
    source = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
    found = untranslated(source)
    assert not found, f"{name}: text outside gettext:\n" + "\n".join(
        f"  {name}:{line}: {text}" for line, text in found
    )


@pytest.mark.parametrize("name", PAGES)
def test_no_page_shows_a_literal_outside_gettext(name):
    found = readable_literals((TEMPLATES_DIR / name).read_text(encoding="utf-8"))
    assert not found, f"{name}: text outside gettext:\n" + "\n".join(
        f"  {name}:{line}: {text}" for line, text in found
    )


@pytest.mark.parametrize("name", MAILS)
def test_no_mail_text_escapes_gettext(name):
    found = untranslated((MAIL_DIR / name).read_text(encoding="utf-8"), html=False)
    assert not found, f"{name}: text outside gettext:\n" + "\n".join(
        f"  {name}:{line}: {text}" for line, text in found
    )
