"""PDF documents in Chinese (SUB-3 认购书, the 排号凭证 receipt): a small builder over fpdf2.

The font is committed (``core/fonts/NotoSansSC-Anju.otf``, a GB 2312 subset of Noto Sans
CJK SC under the SIL OFL 1.1, made by ``scripts/make_cjk_font.py``), so a fresh machine
prints correct Chinese with no system package. fpdf2 embeds only the glyphs a document
uses (CID Type 0C) with a ToUnicode map: every character is text a reader can search and
copy, not an image. A character the subset lacks (a rare one in a name) is taken from
Debian's full Noto Sans CJK when that is installed, and otherwise logged.

    doc = PdfDocument(title="商品房认购书", author="滨海置业有限公司")
    doc.title("商品房认购书")
    doc.heading("第一条 房屋基本情况")
    doc.paragraph("买受人王伟认购滨海花园 1栋 1203 …")
    doc.table(Table(columns=(Column("项目"), Column("金额（元）", 2, align="R")), rows=…))
    doc.signatures(Signatures((("出卖人（盖章）", "滨海置业有限公司"), ("买受人（签字）", "王伟"))))
    pdf_bytes = doc.to_bytes()

A4 portrait, 20 mm margins, 第 x 页 共 y 页 in every footer. Headings are the same face drawn
with a thin outline (a faked bold: one font file, text stays text).
"""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from anju.core.chinese_money import yuan_figures

logger = logging.getLogger(__name__)
# fpdf2 subsets the font with fontTools on every output, which logs each step at INFO.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)


def _not_missing_glyphs(record: logging.LogRecord) -> bool:
    """fpdf2 names the characters a font lacks: often part of a customer's name. We log
    how many instead (``_ensure_glyphs``)."""
    return not str(record.msg).startswith("Font %s is missing the following glyphs")


logging.getLogger("fpdf.output").addFilter(_not_missing_glyphs)

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-Anju.otf"
FONT = "anju-sc"
# Debian's fonts-noto-cjk (CI installs it): the full face for characters outside the subset.
SYSTEM_FONT_PATH = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SYSTEM_FONT_SC_INDEX = 2
FALLBACK_FONT = "anju-sc-full"

MARGIN = 20  # mm
BODY_SIZE = 10.5  # pt: 五号
TITLE_SIZE = 18  # pt: 小二
HEADING_SIZE = 12  # pt: 小四
SMALL_SIZE = 9  # pt: footer, table
LINE_SPACING = 1.6  # line height / font size
PT = 25.4 / 72  # mm per point
BLACK, GREY, RULE, SHADE = 0, 110, 150, 235


@dataclass(frozen=True)
class Column:
    """A table column: heading, relative width, alignment ("L", "C", "R"; money is "R")."""

    title: str
    width: float = 1
    align: str = "L"


@dataclass(frozen=True)
class Table:
    """A table the caller supplies: a heading row, rows, an optional total row.

    Cells are strings; a Decimal cell is written as money (``¥1,234.00``).
    """

    columns: Sequence[Column]
    rows: Sequence[Sequence[object]] = ()
    total: Sequence[object] | None = None

    def __post_init__(self):
        width = len(self.columns)
        for row in [*self.rows, *([self.total] if self.total is not None else [])]:
            if len(row) != width:
                raise ValueError(f"a row has {len(row)} cells for {width} columns: {row!r}")


@dataclass(frozen=True)
class Signatures:
    """The signature block: (label, name) per party, e.g. ("出卖人（盖章）", "滨海置业有限公司").

    Each party gets its name, a line to sign on and a 年月日 line; two parties a row.
    """

    parties: Sequence[tuple[str, str]]
    sign_label: str = "签章："
    date_label: str = "日期：　　　　年　　月　　日"
    columns: int = 2


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return yuan_figures(value)
    return str(value)


@cache
def font_characters() -> frozenset[str]:
    """The characters the committed font can draw."""
    from fontTools.ttLib import TTFont

    with TTFont(str(FONT_PATH), lazy=True) as font:
        return frozenset(chr(code) for code in font.getBestCmap())


def missing_characters(text: str) -> str:
    """The characters of ``text`` the committed font lacks (once each, in order; not spaces)."""
    have = font_characters()
    missing = []
    for ch in text:
        if ch not in have and not ch.isspace() and ch not in missing:
            missing.append(ch)
    return "".join(missing)


# 避头尾 (line-breaking rules): these never start a line / never end one.
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…—·％%,.;:?!)]}")
NO_LINE_END = set("（《「『【〔〈“‘([{¥￥")
# A run of these (a number, an ID, an amount, a Latin word) is kept on one line if it fits.
UNBROKEN = re.compile(r"[0-9A-Za-z¥￥$@#&*+=<>_.,:/%\\-]+|.", re.DOTALL)


def wrap(text: str, width: float, measure) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (as ``measure(str)`` says).

    Chinese breaks between any two characters; a run of digits/Latin stays whole unless it is
    wider than a line; closing punctuation never starts a line and opening never ends one.
    """
    tokens = UNBROKEN.findall(text)
    lines: list[list[str]] = []
    line: list[str] = []
    used = 0.0
    for token in tokens:
        token_width = measure(token)
        if used + token_width <= width:
            line.append(token)
            used += token_width
            continue
        if token_width > width:  # longer than a line: character by character
            for ch in token:
                ch_width = measure(ch)
                if used + ch_width > width and line:
                    lines.append(line)
                    line, used = [], 0.0
                line.append(ch)
                used += ch_width
            continue
        carried = [token]
        # a closing mark may not start the next line: take the last token down with it
        if token[0] in NO_LINE_START and len(line) > 1:
            carried.insert(0, line.pop())
        # an opening mark may not end this line
        while len(line) > 1 and line[-1][-1] in NO_LINE_END:
            carried.insert(0, line.pop())
        if token.isspace():
            carried = carried[:-1]  # a space at a break is dropped
        if line:
            lines.append(line)
        line = carried
        used = sum(measure(t) for t in line)
    if line or not lines:
        lines.append(line)
    return ["".join(tokens_).rstrip() for tokens_ in lines]


class _FPDF(FPDF):
    def footer(self):
        self.set_y(-MARGIN + 6)
        self.set_font(FONT, size=SMALL_SIZE)
        self.set_text_color(GREY)
        self.cell(0, SMALL_SIZE * PT * 1.4, f"第 {self.page_no()} 页 共 {{nb}} 页", align=Align.C)
        self.set_text_color(BLACK)


class PdfDocument:
    """One A4 portrait document; add parts top to bottom, then ``to_bytes()``."""

    def __init__(self, *, title: str, author: str = "", subject: str = "", format: str = "A4"):
        pdf = _FPDF(orientation="portrait", unit="mm", format=format)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(auto=True, margin=MARGIN)
        pdf.add_font(FONT, fname=str(FONT_PATH))
        pdf.set_title(title)
        pdf.set_creator("Anju")
        if author:
            pdf.set_author(author)
        if subject:
            pdf.set_subject(subject)
        pdf.set_lang("zh-CN")
        pdf.add_page()
        pdf.set_font(FONT, size=BODY_SIZE)
        self.pdf = pdf
        self._has_fallback = False

    # --- parts ---------------------------------------------------------------------------

    def title(self, text: str) -> None:
        """The document's title: large, centred, bold."""
        self._text(text, size=TITLE_SIZE, align=Align.C, bold=True, after=4)

    def heading(self, text: str) -> None:
        """A section heading (第一条 …): bold, a little space above."""
        pdf = self.pdf
        # keep a heading with the first lines after it
        if pdf.get_y() + 4 * self._line_height(BODY_SIZE) > pdf.page_break_trigger:
            pdf.add_page()
        elif pdf.get_y() > pdf.t_margin + 1:
            pdf.ln(2)
        self._text(text, size=HEADING_SIZE, bold=True, after=1)

    def paragraph(self, text: str, *, align: str = "J", size: float = BODY_SIZE) -> None:
        """Text wrapped at any character (Chinese has no spaces to wrap at), justified (两端对齐)
        by default; "L", "C", "R" otherwise."""
        self._text(text, size=size, align=Align.coerce(align))

    def space(self, height: float = 3) -> None:
        """Vertical space in mm (an empty line of a template)."""
        self.pdf.ln(height)

    def table(self, table: Table) -> None:
        pdf = self.pdf
        self._ensure_glyphs(
            " ".join(
                cell_text(cell)
                for row in [[c.title for c in table.columns], *table.rows, table.total or ()]
                for cell in row
            )
        )
        aligns = tuple(Align.coerce(column.align) for column in table.columns)
        pdf.set_font(FONT, size=SMALL_SIZE + 1)
        pdf.set_draw_color(RULE)
        pdf.set_line_width(0.2)
        with pdf.table(
            col_widths=tuple(column.width for column in table.columns),
            text_align=aligns,
            headings_style=FontFace(fill_color=SHADE),
            line_height=(SMALL_SIZE + 1) * PT * 1.5,
            wrapmode=WrapMode.CHAR,
            padding=(0.8, 1.5),
            width=pdf.epw,
        ) as out:
            heading = out.row()
            for column in table.columns:
                heading.cell(column.title, align=Align.C)
            for row in table.rows:
                out.row([cell_text(cell) for cell in row])
            if table.total is not None:
                total = out.row(style=FontFace(fill_color=SHADE))
                for cell in table.total:
                    total.cell(cell_text(cell))
        pdf.set_font(FONT, size=BODY_SIZE)
        pdf.set_draw_color(BLACK)
        pdf.ln(2)

    def signatures(self, block: Signatures) -> None:
        """The parties side by side, each: label + name, a line to sign on, the date line."""
        pdf = self.pdf
        columns = max(1, block.columns)
        width = pdf.epw / columns
        line = self._line_height(BODY_SIZE) * 1.4
        self._ensure_glyphs(
            " ".join(f"{label}{name}" for label, name in block.parties)
            + block.sign_label
            + block.date_label
        )
        pdf.set_font(FONT, size=BODY_SIZE)
        for start in range(0, len(block.parties), columns):
            row = block.parties[start : start + columns]
            if pdf.get_y() + 4 * line > pdf.page_break_trigger:
                pdf.add_page()
            pdf.ln(line / 2)
            top = pdf.get_y()
            bottom = top
            for index, (label, name) in enumerate(row):
                x = pdf.l_margin + index * width
                pdf.set_xy(x, top)
                pdf.multi_cell(
                    width - 6,
                    line,
                    f"{label}{name}",
                    align=Align.L,
                    wrapmode=WrapMode.CHAR,
                    new_x=XPos.LEFT,
                    new_y=YPos.NEXT,
                )
                # the line to sign on: the label, then a rule to the column's end
                label_width = pdf.get_string_width(block.sign_label) + 2 * pdf.c_margin
                pdf.cell(label_width, line, block.sign_label, new_x=XPos.RIGHT, new_y=YPos.TOP)
                baseline = pdf.get_y() + line * 0.72
                with pdf.local_context(draw_color=RULE, line_width=0.2):
                    pdf.line(pdf.get_x(), baseline, x + width - 8, baseline)
                pdf.set_xy(x, pdf.get_y() + line)
                pdf.cell(width - 6, line, block.date_label, new_x=XPos.LEFT, new_y=YPos.NEXT)
                bottom = max(bottom, pdf.get_y())
            pdf.set_xy(pdf.l_margin, bottom)

    def to_bytes(self) -> bytes:
        return bytes(self.pdf.output())

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _line_height(size: float) -> float:
        return size * PT * LINE_SPACING

    def _text(self, text, *, size, align=Align.L, bold=False, after=0.0):
        pdf = self.pdf
        self._ensure_glyphs(text)
        pdf.set_font(FONT, size=size)
        # A faked bold: fill and outline the glyphs. local_context wraps it in q … Q, so the
        # text mode ends with it (setting pdf.text_mode back would not reach the stream).
        style = (
            {"text_mode": TextMode.FILL_STROKE, "line_width": size * 0.016, "draw_color": BLACK}
            if bold
            else {}
        )
        height = self._line_height(size)
        width = pdf.epw - 2 * pdf.c_margin  # a cell keeps c_margin free on both sides
        for hard_line in str(text).split("\n"):
            lines = wrap(hard_line, width, pdf.get_string_width)
            for index, line in enumerate(lines):
                spacing = 0.0
                if align == Align.J and index < len(lines) - 1 and len(line) > 1:
                    # 两端对齐: spread the gap over the characters (Tc is in points)
                    gap = width - pdf.get_string_width(line)
                    spacing = max(0.0, gap) * pdf.k / (len(line) - 1)
                with pdf.local_context(**style):
                    pdf.set_char_spacing(spacing)  # set_…: local_context would not emit it
                    pdf.cell(
                        0,
                        height,
                        line,
                        align=Align.L if align == Align.J else align,
                        new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT,
                    )
                    pdf.set_char_spacing(0)
        pdf.set_font(FONT, size=BODY_SIZE)
        if after:
            pdf.ln(after)

    def _ensure_glyphs(self, text: str) -> None:
        """Characters outside the subset: the system's full face if present, else a warning."""
        missing = missing_characters(text)
        if not missing or self._has_fallback:
            return
        if SYSTEM_FONT_PATH.exists():
            self.pdf.add_font(
                FALLBACK_FONT,
                fname=str(SYSTEM_FONT_PATH),
                collection_font_number=SYSTEM_FONT_SC_INDEX,
            )
            self.pdf.set_fallback_fonts([FALLBACK_FONT])
            self._has_fallback = True
        else:
            logger.warning(
                "pdf: %d character(s) outside the embedded font are drawn as blanks "
                "(install fonts-noto-cjk or extend scripts/make_cjk_font.py)",
                len(missing),
            )
