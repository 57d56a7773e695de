"""The 认购书 as a PDF (SUB-3): Chinese comes out as text in an embedded font.

The text is read back with pypdf (and poppler's pdftotext when installed, as in CI); the
font must be embedded (a reader without Chinese fonts shows it); one page is rendered to
PNG with pdftoppm to catch glyphs drawn as blanks.
"""

import io
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import NameObject, StreamObject

from anju.core import pdf as pdf_module
from anju.core.chinese_money import yuan_figures, yuan_in_capitals
from anju.core.doc_templates import (
    DEFAULT_AGREEMENT_TEMPLATE,
    DEFAULT_AGREEMENT_TITLE,
    agreement_signatures,
    price_table,
    render_document_pdf,
)
from anju.core.errors import ApplicationError
from anju.core.pdf import Column, PdfDocument, Signatures, Table, missing_characters, wrap

TOTAL = Decimal("3282500.50")
PRICE_LINES = [
    ("标准总价", "89.50 ㎡ × ¥38,000.00", Decimal("3401000.00")),
    ("按揭付款折扣", "九九折", Decimal("-34010.00")),
    ("万客会会员优惠", "金卡", Decimal("-84489.50")),
]
VALUES = {
    "认购编号": "RG-2026-000123",
    "认购日期": "2026年11月26日",
    "公司": "滨海置业有限公司",
    "买受人": "王伟",
    "证件号码": "110101199001011234",
    "联系电话": "13800138000",
    "共同买受人": "",
    "项目": "滨海花园",
    "楼栋": "1栋",
    "房号": "1203",
    "户型": "三室两厅两卫",
    "建筑面积": "89.50",
    "单价": "¥36,675.98",
    "总价": yuan_figures(TOTAL),
    "总价大写": yuan_in_capitals(TOTAL),
    "付款方式": "按揭",
    "定金": yuan_figures(Decimal(50000)),
    "定金大写": yuan_in_capitals(Decimal(50000)),
    "签约期限": "2026年12月3日",
    "顾问": "李娜",
}
EXPECTED = [
    "商品房认购书",
    "王伟",
    "滨海花园1栋1203",
    "110101199001011234",
    "标准总价",
    "¥3,401,000.00",
    "按揭付款折扣",
    "-¥34,010.00",
    "万客会会员优惠",
    "-¥84,489.50",
    "¥3,282,500.50",
    "叁佰贰拾捌万贰仟伍佰元伍角",
    "伍万元整",
    "2026年11月26日",
    "2026年12月3日",
    "第六条违约责任",
    "双倍返还定金",
    "共同买受人：/",
]


def squeeze(text: str) -> str:
    """Text without any whitespace: line breaks fall where the layout puts them."""
    return re.sub(r"\s+", "", text)


def reader_of(data: bytes) -> PdfReader:
    """A pypdf reader that reads fpdf2's CJK fonts with two-byte codes.

    fpdf2 gives a CFF font (CID Type 0C) an /Encoding that is an embedded CMap stream with
    the codespace <0000>–<FFFF>; poppler, PDF.js and Acrobat read it as it says, pypdf 7.1
    reads any Type0 /Encoding stream one byte at a time. Telling pypdf the codes are two
    bytes (Identity-H) is all it lacks: the characters still come from the PDF's own
    /ToUnicode map. The pdftotext test reads the file as it is.
    """
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            encoding = font["/Encoding"].get_object()
            if isinstance(encoding, StreamObject):
                assert b"<0000> <FFFF>" in encoding.get_data()  # two-byte codes
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    return reader


def pdf_text(data: bytes) -> str:
    return squeeze("".join(page.extract_text() for page in reader_of(data).pages))


@pytest.fixture(scope="module")
def agreement() -> bytes:
    return render_document_pdf(
        DEFAULT_AGREEMENT_TEMPLATE,
        VALUES,
        {
            "价格明细": price_table(PRICE_LINES, TOTAL),
            "签字栏": agreement_signatures("滨海置业有限公司", "王伟", consultant="李娜"),
        },
        title=DEFAULT_AGREEMENT_TITLE,
        author="滨海置业有限公司",
    )


def test_the_chinese_is_text_pypdf_reads(agreement):
    text = pdf_text(agreement)
    for expected in EXPECTED:
        assert expected in text, expected


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")
def test_the_chinese_is_text_pdftotext_reads(agreement, tmp_path):
    path = tmp_path / "agreement.pdf"
    path.write_bytes(agreement)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    text = squeeze(out.stdout.decode("utf-8"))
    for expected in EXPECTED:
        assert expected in text, expected


def test_page_numbers_and_metadata(agreement):
    reader = reader_of(agreement)
    pages = len(reader.pages)
    assert pages >= 2
    for number, page in enumerate(reader.pages, start=1):
        assert f"第{number}页共{pages}页" in squeeze(page.extract_text())
    assert reader.metadata.title == "商品房认购书"
    assert reader.metadata.creator == "Anju"
    assert reader.metadata.author == "滨海置业有限公司"
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 portrait


def fonts_of(data: bytes) -> list:
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    return list(fonts.values())


def test_the_font_is_embedded(agreement):
    fonts = fonts_of(agreement)
    assert fonts
    for font in fonts:
        assert "NotoSansSCAnju" in font["/BaseFont"]
        assert font["/Subtype"] == "/Type0"
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys())
        assert "/ToUnicode" in font  # copy and search give the characters back


@pytest.mark.skipif(not shutil.which("pdffonts"), reason="pdffonts (poppler-utils) missing")
def test_pdffonts_says_embedded(agreement, tmp_path):
    path = tmp_path / "agreement.pdf"
    path.write_bytes(agreement)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    rows = out.stdout.splitlines()[2:]
    assert rows
    for row in rows:
        assert re.search(r"\byes\s+yes\s+yes\b", row), row  # emb sub uni


def test_the_file_stays_small(agreement):
    one_page = PdfDocument(title="排号凭证")
    one_page.title("排号凭证")
    one_page.paragraph("兹收到客户王伟交来滨海花园诚意金¥20,000.00（人民币大写：贰万元整）。" * 5)
    data = one_page.to_bytes()
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert len(data) < 500_000  # fpdf2 embeds only the glyphs used, not the 2 MB font
    assert len(agreement) < 500_000


def test_an_unknown_field_is_refused_naming_it():
    with pytest.raises(ApplicationError) as refused:
        render_document_pdf(
            DEFAULT_AGREEMENT_TEMPLATE + "\n车位：{车位号}\n", VALUES, {}, title="认购书"
        )
    assert "{车位号}" in refused.value.message
    assert refused.value.field == "body"


def test_tables_signatures_and_long_text_flow_over_pages():
    doc = PdfDocument(title="测试")
    doc.heading("第一条　测试")
    for index in range(60):
        doc.paragraph(f"第{index}段：证件号码 110101199001011234，金额 ¥1,234,567.89。")
    doc.table(
        Table(
            columns=(Column("项目", 2), Column("金额（元）", 1, align="R")),
            rows=[(f"第{i}期", Decimal(i * 1000)) for i in range(40)],
            total=("合计", Decimal(780000)),
        )
    )
    doc.signatures(Signatures((("甲方：", "滨海置业有限公司"), ("乙方：", "王伟"))))
    data = doc.to_bytes()
    text = pdf_text(data)
    assert "第59段" in text and "第39期" in text and "¥780,000.00" in text and "乙方：王伟" in text
    assert len(PdfReader(io.BytesIO(data)).pages) >= 3


def test_a_table_row_must_fit_its_columns():
    with pytest.raises(ValueError):
        Table(columns=(Column("项目"),), rows=[("a", "b")])


def test_wrapping_keeps_numbers_whole_and_punctuation_off_line_starts():
    def measure(text):
        return float(len(text))

    assert wrap("乙方认购滨海花园1栋1203号房", 10, measure) == ["乙方认购滨海花园1栋", "1203号房"]
    lines = wrap("甲乙双方（以下简称“双方”）同意本认购书。", 5, measure)
    assert "".join(lines) == "甲乙双方（以下简称“双方”）同意本认购书。"
    for line in lines:
        assert line[0] not in "，。）”" and line[-1] not in "（“"
        assert len(line) <= 5
    assert wrap("", 5, measure) == [""]
    assert wrap("12345678", 3, measure) == ["123", "456", "78"]  # longer than a line


def test_characters_outside_the_subset_are_known():
    assert missing_characters("王伟 喆堃 ㎡ ¥ ① 滨海花园") == ""
    # every character of the agreement has a glyph of its own (none drawn as .notdef)
    everything = DEFAULT_AGREEMENT_TEMPLATE + "".join(VALUES.values()) + "第页共"
    everything += "".join(str(cell) for line in PRICE_LINES for cell in line)
    assert missing_characters(everything) == ""
    assert missing_characters("王䶮䶮") == "䶮"


@pytest.mark.skipif(
    not pdf_module.SYSTEM_FONT_PATH.exists(), reason="fonts-noto-cjk (the full font) missing"
)
def test_a_rare_character_is_drawn_from_the_full_font():
    doc = PdfDocument(title="测试")
    doc.paragraph("买受人：王䶮")
    data = doc.to_bytes()
    assert "王䶮" in pdf_text(data)
    assert len(fonts_of(data)) == 2


def test_without_the_full_font_a_rare_character_is_logged(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(pdf_module, "SYSTEM_FONT_PATH", tmp_path / "absent.ttc")
    doc = PdfDocument(title="测试")
    with caplog.at_level("WARNING", logger="anju.core.pdf"):
        doc.paragraph("买受人：王䶮")
    data = doc.to_bytes()
    assert len(fonts_of(data)) == 1
    assert "1 character(s) outside the embedded font" in caplog.text
    assert "䶮" not in caplog.text  # part of a name: personal data stays out of the log


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) missing")
def test_a_page_renders_with_ink(agreement, tmp_path):
    path = tmp_path / "agreement.pdf"
    path.write_bytes(agreement)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    (png,) = tmp_path.glob("p*.png")
    image = Image.open(png).convert("L")
    assert abs(image.size[0] - 496) <= 1 and abs(image.size[1] - 702) <= 1  # A4 at 60 dpi
    dark = sum(image.histogram()[:128])
    # glyphs, not blanks: a page of Chinese text inks a few per cent of its pixels
    assert dark > 0.01 * image.size[0] * image.size[1]
