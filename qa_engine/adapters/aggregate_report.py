"""The leadership report in a given format, and writing it to a file: shared by the CLI and the
flow."""

from __future__ import annotations

from qa_engine.config import Settings, get_settings
from qa_engine.domain import i18n
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.leadership import LeadershipFigures

FORMATS = ("pdf", "xlsx", "html")


def render_aggregate(
    figures: LeadershipFigures,
    fmt: str,
    *,
    settings: Settings | None = None,
    lang: str = i18n.DEFAULT,
) -> bytes:
    """The report as a signed PDF, a workbook or a self-contained HTML page, in `lang` (one of
    `i18n.LANGUAGES`; English by default)."""
    if lang not in i18n.LANGUAGES:
        raise ValidationFailed(
            N_("language %(language)s: give one of %(languages)s"),
            language=lang,
            languages=", ".join(i18n.LANGUAGES),
        )
    settings = settings or get_settings()
    if fmt == "pdf":
        from qa_engine.adapters.aggregate_pdf import signed_pdf
        from qa_engine.adapters.report_files import signer_from_settings

        return signed_pdf(
            figures,
            reports_dir=settings.reports_dir,
            signer=signer_from_settings(settings),
            timestamp_url=settings.timestamp_url,
            lang=lang,
        )
    if fmt == "xlsx":
        from qa_engine.adapters.aggregate_xlsx import workbook_bytes

        return workbook_bytes(figures, lang)
    if fmt == "html":
        from qa_engine.adapters.aggregate_html import html_bytes

        return html_bytes(figures, lang)
    raise ValidationFailed(
        N_("format %(format)s: give one of %(formats)s"), format=fmt, formats=", ".join(FORMATS)
    )
