"""The leadership report as one self-contained HTML page (Jinja2, inline CSS, inline SVG charts).

The page is ``leadership/report.html``; it includes ``leadership/_figures.html``, the partial
that renders every section from two variables: ``figures`` (a `LeadershipFigures`) and ``svg``
(an `SvgHelper`). The web app's dashboard includes the same partial with the same two variables.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from qa_engine.adapters.charts import (
    ChartSpec,
    Section,
    as_format,
    fmt,
    render_svg,
    report_sections,
)
from qa_engine.domain.leadership import LeadershipFigures

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "web" / "templates"
TEMPLATE_VERSION = "1"


class SvgHelper:
    """What the partial needs besides the figures: ``svg(chart)`` draws a chart as inline SVG,
    ``svg.sections(figures)`` lays the figures out, ``svg.fmt(value, kind)`` prints a number."""

    def __call__(self, chart: ChartSpec) -> Markup:
        return Markup(render_svg(chart))  # render_svg escapes every text it draws

    @staticmethod
    def sections(figures: LeadershipFigures) -> list[Section]:
        return report_sections(figures)

    @staticmethod
    def fmt(value: object, kind: str = "text") -> str:
        return fmt(value, as_format(kind))


def environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(figures: LeadershipFigures, *, templates_dir: Path = TEMPLATES_DIR) -> str:
    """The whole report as one HTML document that fetches nothing."""
    template = environment(templates_dir).get_template("leadership/report.html")
    return template.render(figures=figures, svg=SvgHelper(), template_version=TEMPLATE_VERSION)


def html_bytes(figures: LeadershipFigures) -> bytes:
    return render_html(figures).encode("utf-8")
