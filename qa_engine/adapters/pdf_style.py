"""The house style of the engine's PDFs (the evaluation report and the leadership report): the
alliance's name and colours, the shipped DejaVu fonts, paragraph and table styles.

Fonts are the DejaVu TrueType fonts shipped in ``reports/fonts`` so that every European name
prints as written (Latin, Greek, Cyrillic, many symbols and emoticons). A character these fonts
have no glyph for (Chinese, Japanese and Korean script, most emoji) would print as an empty box:
the reports print its Unicode code point instead, as a visible marker such as ``[U+6F22]``, and
say so (`glyphless`, `printable_text`, `MISSING_MARK_COLOUR`).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import TableStyle

from qa_engine.domain.i18n import N_

# a msgid: the case report prints it in its language
BRAND_LINE = N_("4EU+ Alliance — Micro-credential quality assurance")
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
MISSING_MARK_COLOUR = "#b7410e"  # the code point printed instead of a glyph-less character (WARN)

_registered: dict[str, Path] = {}


def _utf16_hex(code_point: int) -> str:
    return chr(code_point).encode("utf-16-be", "surrogatepass").hex().upper().zfill(4)


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap of a font subset, with characters beyond U+FFFF (emoticons)
    written as UTF-16 surrogate pairs as the PDF standard asks: reportlab writes their bare code
    point (``<1F600>``), which text extraction, search and screen readers read as another
    character."""
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *(f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)),
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


# only while reportlab still writes bare code points, and with its output otherwise unchanged
if "<1F600>" in ttfonts.makeToUnicodeCMap("F", [0x1F600]) and ttfonts.makeToUnicodeCMap(
    "F", [0, 0xE9]
) == _to_unicode_cmap("F", [0, 0xE9]):
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
_covered: dict[tuple[Path, ...], frozenset[int]] = {}  # code points with a glyph in every face


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


def _coverage() -> frozenset[int]:
    """The code points that every registered face (regular, bold, oblique) has a glyph for."""
    key = tuple(_registered[name] for name in FONT_FILES if name in _registered)
    if len(key) != len(FONT_FILES):
        raise RuntimeError("The report fonts are not registered yet: call register_fonts first.")
    covered = _covered.get(key)
    if covered is None:
        maps = [set(pdfmetrics.getFont(name).face.charToGlyph) for name in FONT_FILES]
        covered = frozenset(set.intersection(*maps))
        _covered[key] = covered
    return covered


def has_glyph(ch: str) -> bool:
    """Whether the report fonts print `ch` as itself. White space counts as printable (the
    layout turns it into space); a character without a glyph would print as an empty box."""
    return ch.isspace() or ord(ch) in _coverage()


def glyphless(text: str) -> list[str]:
    """The characters of `text` the report fonts have no glyph for, each once, in order."""
    return list(dict.fromkeys(ch for ch in text if not has_glyph(ch)))


def code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def glyph_runs(text: str) -> Iterator[tuple[bool, str]]:
    """`text` cut into runs of printable characters (True) and of glyph-less ones (False)."""
    run: list[str] = []
    printable = True
    for ch in text:
        ok = has_glyph(ch)
        if run and ok != printable:
            yield printable, "".join(run)
            run = []
        printable = ok
        run.append(ch)
    if run:
        yield printable, "".join(run)


def missing_mark(chars: str) -> str:
    """The visible marker for a run of glyph-less characters: their code points in brackets."""
    return "[" + " ".join(code_point(ch) for ch in chars) + "]"


def printable_text(text: str) -> str:
    """Plain text (for the canvas) with every glyph-less run replaced by its marker."""
    return "".join(run if ok else missing_mark(run) for ok, run in glyph_runs(text))


def marked_markup(text: str) -> str:
    """`text` escaped for a Paragraph, each glyph-less run as its marker in the warning colour."""
    return "".join(
        escape(run)
        if printable
        else f'<font color="{MISSING_MARK_COLOUR}">{escape(missing_mark(run))}</font>'
        for printable, run in glyph_runs(text)
    )


def texts_of(value: object) -> Iterator[str]:
    """Every string in a report's data (its dataclasses, lists, tuples and dictionaries)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from texts_of(getattr(value, f.name))
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from texts_of(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts_of(key)
            yield from texts_of(item)


NOTE_LISTS_AT_MOST = 12


def unprintable_note(data: object) -> str | None:
    """Paragraph markup of the note that says which characters of the report data the fonts
    cannot print (and so appear as code points), or None when every character prints."""
    missing = glyphless("".join(texts_of(data)))
    if not missing:
        return None
    listed = ", ".join(
        f"{code_point(ch)} ({escape(unicodedata.name(ch, 'unnamed character').lower())})"
        for ch in missing[:NOTE_LISTS_AT_MOST]
    )
    more = len(missing) - NOTE_LISTS_AT_MOST
    if more > 0:
        listed += f" and {more} more"
    count = "1 character" if len(missing) == 1 else f"{len(missing)} different characters"
    example = f'<font color="{MISSING_MARK_COLOUR}">{missing_mark(missing[0])}</font>'
    return (
        f"<b>Characters shown as code points:</b> {count} in this report cannot be printed in "
        f"the report's font (DejaVu Sans) and are shown as their Unicode code point in "
        f"brackets, like {example}: {listed}."
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
        "head_r": ParagraphStyle(
            "head_r", parent=house["head"], fontSize=7.5, leading=9.5, alignment=TA_RIGHT
        ),
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
