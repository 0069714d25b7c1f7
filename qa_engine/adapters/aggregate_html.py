"""The leadership report as one self-contained HTML page (Jinja2, inline CSS, inline SVG charts).

The page is ``leadership/report.html``; it includes ``leadership/_figures.html``, the partial
that renders every section from two variables: ``figures`` (a `LeadershipFigures`) and ``svg``
(an `SvgHelper`). The web app's dashboard includes the same partial with the same two variables,
its `SvgHelper` in the reader's language; the page's words go through gettext (`_`), installed
here with the report's catalog and in the web app with the reader's.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from qa_engine.adapters import translations as tr
from qa_engine.adapters.charts import (
    ChartSpec,
    Section,
    as_format,
    render_svg,
    report_sections,
    words,
)
from qa_engine.domain import i18n
from qa_engine.domain.leadership import LeadershipFigures

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "web" / "templates"
TEMPLATE_VERSION = "2"


class SvgHelper:
    """What the partial needs besides the figures, in one language: ``svg(chart)`` draws a chart
    as inline SVG, ``svg.sections(figures)`` lays the figures out, ``svg.fmt(value, kind)`` prints
    a number, ``svg.period``/``svg.scope``/``svg.audience``/``svg.notes``/``svg.moment`` the
    report's facts in words."""

    def __init__(self, lang: str = i18n.DEFAULT) -> None:
        self.words = words(lang)
        self.lang = self.words.lang

    def __call__(self, chart: ChartSpec) -> Markup:
        return Markup(render_svg(chart))  # render_svg escapes every text it draws

    def sections(self, figures: LeadershipFigures) -> list[Section]:
        return report_sections(figures, self.lang)

    def fmt(self, value: object, kind: str = "text") -> str:
        return self.words.fmt(value, as_format(kind))

    def period(self, figures: LeadershipFigures) -> str:
        return self.words.period(figures)

    def scope(self, figures: LeadershipFigures) -> str:
        return self.words.scope(figures.filters)

    def audience(self, figures: LeadershipFigures) -> str:
        return self.words.audience(figures)

    def notes(self, figures: LeadershipFigures) -> list[str]:
        return self.words.notes(figures)

    def moment(self, value: datetime) -> str:
        return self.words.moment(value)


def environment(templates_dir: Path = TEMPLATES_DIR, lang: str = i18n.DEFAULT) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        tr.translations(lang), newstyle=True
    )
    return env


def render_html(
    figures: LeadershipFigures, *, templates_dir: Path = TEMPLATES_DIR, lang: str = i18n.DEFAULT
) -> str:
    """The whole report as one HTML document that fetches nothing, in `lang`."""
    helper = SvgHelper(lang)
    template = environment(templates_dir, helper.lang).get_template("leadership/report.html")
    return template.render(
        figures=figures, svg=helper, lang=helper.lang, template_version=TEMPLATE_VERSION
    )


def html_bytes(figures: LeadershipFigures, lang: str = i18n.DEFAULT) -> bytes:
    return render_html(figures, lang=lang).encode("utf-8")
