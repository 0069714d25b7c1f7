"""How `rubrics replay` and `rubrics calibrate` print their tables or write them to a file."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from qa_engine.adapters.files import write_atomically
from qa_engine.adapters.rubric_evidence import TableData, tables_html, tables_xlsx
from qa_engine.adapters.translations import format_decimal
from qa_engine.cli.common import _, console
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_


def write_tables(
    tables: list[TableData],
    title: str,
    intro: str,
    fmt: str,
    output: Path | None,
    language: str = "en",
) -> None:
    """Print the tables, or write them as a workbook or an HTML file (in `language`)."""
    if fmt == "table":
        console.print(title, style="bold", markup=False, soft_wrap=True)
        console.print(intro, markup=False, soft_wrap=True)
        for t in tables:
            shown = Table(title=t.title, caption=t.note or None)
            for h in t.headers:
                shown.add_column(h, overflow="fold")
            for row in t.rows:
                shown.add_row(*("" if v is None else str(v) for v in row))
            if t.rows:
                console.print(shown)
            else:
                console.print(f"{t.title}: " + _("none"), markup=False, soft_wrap=True)
                if t.note:
                    console.print(t.note, markup=False, soft_wrap=True)
        return
    if output is None:
        raise ValidationFailed(WRITES_A_FILE, format=fmt)
    data = (
        tables_xlsx(tables, title) if fmt == "xlsx" else tables_html(tables, title, intro, language)
    )
    write_atomically(output, data)
    size = format_decimal(len(data), language)
    console.print(
        f"{output}: {fmt}, " + _("%(size)s bytes") % {"size": size} + f" — {intro}",
        markup=False,
        soft_wrap=True,
    )


FORMATS = ("table", "xlsx", "html")
WRITES_A_FILE = N_("--format %(format)s writes a file: give --output FILE")


def check_format(fmt: str, output: Path | None) -> str:
    """The format asked for, checked before anything runs (a file format needs --output)."""
    if fmt not in FORMATS:
        raise ValidationFailed(
            N_("--format: one of %(formats)s, not '%(format)s'"),
            formats=", ".join(FORMATS),
            format=fmt,
        )
    if fmt != "table" and output is None:
        raise ValidationFailed(WRITES_A_FILE, format=fmt)
    return fmt
