"""How `rubrics replay` and `rubrics calibrate` print their tables or write them to a file."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from qa_engine.adapters.files import write_atomically
from qa_engine.adapters.rubric_evidence import TableData, tables_html, tables_xlsx
from qa_engine.cli.common import console
from qa_engine.domain.errors import ValidationFailed


def write_tables(
    tables: list[TableData], title: str, intro: str, fmt: str, output: Path | None
) -> None:
    """Print the tables, or write them as a workbook or an HTML file."""
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
                console.print(f"{t.title}: none", markup=False, soft_wrap=True)
                if t.note:
                    console.print(t.note, markup=False, soft_wrap=True)
        return
    if output is None:
        raise ValidationFailed(f"--format {fmt} writes a file: give --output FILE")
    data = tables_xlsx(tables, title) if fmt == "xlsx" else tables_html(tables, title, intro)
    write_atomically(output, data)
    console.print(f"{output}: {fmt}, {len(data):,} bytes — {intro}", markup=False, soft_wrap=True)


FORMATS = ("table", "xlsx", "html")


def check_format(fmt: str, output: Path | None) -> str:
    """The format asked for, checked before anything runs (a file format needs --output)."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"--format: one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt != "table" and output is None:
        raise ValidationFailed(f"--format {fmt} writes a file: give --output FILE")
    return fmt
