"""The house style of the engine's PDFs (the evaluation report and the leadership report): the
alliance's name and colours, the shipped DejaVu fonts, paragraph and table styles.

Fonts are the DejaVu TrueType fonts shipped in ``reports/fonts`` so that every European name
prints as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import TableStyle

BRAND_LINE = "4EU+ Alliance — Micro-credential quality assurance"
AUTHOR = "4EU+ QA engine"

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"
FONT_FILES = {
    FONT: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_ITALIC: "DejaVuSans-Oblique.ttf",
}

# Colours of the alliance branding (a deep blue with a warm accent) and of the table chrome.
BRAND = colors.HexColor("#1d3c78")
ACCENT = colors.HexColor("#e3a21a")
RULE = colors.HexColor("#b8c2d6")
HEAD_BG = colors.HexColor("#1d3c78")
BAND_BG = colors.HexColor("#e8edf6")
ZEBRA_BG = colors.HexColor("#f6f8fb")
WARN = colors.HexColor("#b7410e")
MUTED = colors.HexColor("#5b6475")

_registered: dict[str, Path] = {}


def register_fonts(reports_dir: Path) -> None:
    """Register the shipped DejaVu fonts once per process (names are global in reportlab)."""
    font_dir = reports_dir / "fonts"
    for name, filename in FONT_FILES.items():
        path = font_dir / filename
        if _registered.get(name) == path:
            continue
        if not path.is_file():
            raise FileNotFoundError(
                f"The report font {path} is missing; the reports folder must ship {filename} "
                f"(DejaVu fonts, see {font_dir / 'LICENSE-DejaVu.txt'})."
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
        _registered[name] = path
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD
    )


def paragraph_styles() -> dict[str, ParagraphStyle]:
    """The house paragraph styles (the evaluation report's)."""
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, textColor=colors.black)
    return {
        "body": base,
        "para": ParagraphStyle("para", parent=base, spaceAfter=5),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "muted": ParagraphStyle("muted", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_b": ParagraphStyle("cell_b", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10),
        "cell_r": ParagraphStyle("cell_r", parent=base, fontSize=8, leading=10, alignment=TA_RIGHT),
        "head": ParagraphStyle(
            "head", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10, textColor=colors.white
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=18,
            leading=22,
            textColor=BRAND,
            spaceAfter=2,
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=15, spaceAfter=6),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12.5,
            leading=16,
            textColor=BRAND,
            spaceBefore=10,
            spaceAfter=5,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "item": ParagraphStyle(
            "item", parent=base, leftIndent=12, bulletIndent=2, spaceAfter=2, alignment=TA_LEFT
        ),
    }


def dense_styles() -> dict[str, ParagraphStyle]:
    """The house styles set tighter, for the leadership report's long tables and many charts."""
    house = paragraph_styles()

    def tighter(name: str, **changes: float) -> ParagraphStyle:
        return ParagraphStyle(name, parent=house[name], **changes)

    return {
        "body": house["body"],
        "muted": tighter("muted", fontSize=8, leading=10),
        "cell": tighter("cell", fontSize=7.5, leading=9.5),
        "cell_r": tighter("cell_r", fontSize=7.5, leading=9.5),
        "head": tighter("head", fontSize=7.5, leading=9.5),
        "title": tighter("title", fontSize=17, leading=21, spaceAfter=0),
        "h1": tighter("h1", fontSize=13, spaceBefore=8, spaceAfter=4),
        "h2": tighter("h2", fontSize=9.5, leading=12),
    }


def grid_style(
    extra: Iterable[tuple[object, ...]] = (), *, padding: float = 2.5, side_padding: float = 3
) -> TableStyle:
    """A data table: a header row in the brand colour, thin rules, a frame; `extra` commands
    last."""
    return TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ("BOX", (0, 0), (-1, -1), 0.5, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), padding),
            ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
            ("LEFTPADDING", (0, 0), (-1, -1), side_padding),
            ("RIGHTPADDING", (0, 0), (-1, -1), side_padding),
            *extra,
        ]
    )


def utc_time(value: datetime) -> str:
    """A moment as the reports print it: minutes, in UTC, saying so."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def key_value_style() -> TableStyle:
    """A table of facts: the keys on a tinted band, a thin rule under each row."""
    return TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ("BACKGROUND", (0, 0), (0, -1), BAND_BG),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ]
    )
