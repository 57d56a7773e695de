"""Make the Chinese font the PDFs embed: a subset of Noto Sans CJK SC (SIL OFL 1.1).

Run once by a developer when the character set changes; the result is committed, so a fresh
machine needs no system font to print a 认购书 with correct Chinese::

    apt-get install -y fonts-noto-cjk            # Debian's TTC; face 2 is Simplified Chinese
    .venv/bin/python scripts/make_cjk_font.py    # writes anju/core/fonts/*

The subset holds all of GB 2312 (6,763 hanzi plus its symbols, full-width forms, Greek,
Cyrillic, kana), printable ASCII and Latin-1, Chinese punctuation, general punctuation,
enclosed numbers (①…⑳), letter-like symbols, and a short list of characters often met in
names that GB 2312 lacks (喆 堃 玥 …): 8,649 characters, about 2 MB. Vertical metrics
and OpenType layout features are dropped: documents are horizontal and fpdf2 does no
shaping here, while the features would pull in the JP/KR/TC glyph variants (3.6 MB).
The family is renamed "Noto Sans SC Anju" (a Modified Version under the OFL); the
copyright notice and the licence text travel with it in ``OFL.txt``.

fpdf2 embeds only the glyphs a document uses (CID Type 0C), so a one-page PDF stays small.
"""

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
OUT_DIR = ROOT / "anju" / "core" / "fonts"
OUT_FONT = OUT_DIR / "NotoSansSC-Anju.otf"
OUT_LICENCE = OUT_DIR / "OFL.txt"

FAMILY = "Noto Sans SC Anju"
POSTSCRIPT_NAME = "NotoSansSC-Anju"

# Characters outside GB 2312 that Chinese documents still need: names (GBK/通用规范汉字表),
# ㎡ for areas, ¥ (the half-width yen sign used for RMB), the em dash and middle dot.
EXTRA = (
    "喆堃玥昇珺瑄赟旸燊晞淏祎琍瑀煜曌昳琰玮珏琨彧翀骞熠昕晗钖锘镕珩瑾璟琛"
    "㎡㎝㎞㎏°±×÷¥·—–‘’“”…‧‰※№℃√∞≈≠≤≥"
)
RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (¥ · × ÷ ° …)
    (0x2010, 0x205E),  # general punctuation (— ‘ ’ “ ” … ‰ ※)
    (0x2100, 0x214F),  # letter-like symbols (℃ № ™)
    (0x2150, 0x218F),  # number forms (Ⅰ Ⅱ Ⅲ)
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed alphanumerics (① ⑴ ⒈)
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes (□ ■ ○ ● △)
    (0x2600, 0x26FF),  # ☆ ★ ☑ ☐ where the font has them
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。《》「」【】〇)
    (0x3200, 0x33FF),  # enclosed CJK (㈠ ㊣) and CJK compatibility (㎡)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms (，：；（）￥)
)


def gb2312_characters() -> set[str]:
    """Every character GB 2312 encodes: rows 0xA1–0xF7, cells 0xA1–0xFE."""
    chars = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def wanted_codepoints() -> set[int]:
    points = {ord(ch) for ch in gb2312_characters()}
    points.update(ord(ch) for ch in EXTRA)
    for start, end in RANGES:
        points.update(range(start, end + 1))
    return points


def sc_face_index(path: Path) -> int:
    """The face of the collection whose family is Noto Sans CJK SC (2 in Debian's TTC)."""
    collection = TTCollection(str(path), lazy=True)
    for index, face in enumerate(collection.fonts):
        if face["name"].getDebugName(1) == "Noto Sans CJK SC":
            return index
    raise SystemExit(f"{path} has no Noto Sans CJK SC face")


def rename(font: TTFont, copyright_notice: str) -> None:
    """A Modified Version carries its own name (OFL 1.1) and keeps the notices."""
    version = font["name"].getDebugName(5) or ""
    names = {
        1: FAMILY,
        2: "Regular",
        3: f"{POSTSCRIPT_NAME};{version}",
        4: FAMILY,
        6: POSTSCRIPT_NAME,
        16: FAMILY,
        17: "Regular",
    }
    table = font["name"]
    table.names = [record for record in table.names if record.nameID not in names]
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
    table.setName(copyright_notice, 0, 3, 1, 0x409)
    cff = font["CFF "].cff
    cff.fontNames = [POSTSCRIPT_NAME]
    top = cff.topDictIndex[0]
    top.FullName = FAMILY
    top.FamilyName = FAMILY


def licence_text(copyright_notice: str) -> str:
    """The SIL OFL 1.1 paragraph of Debian's copyright file, de-indented, after the notice."""
    lines = COPYRIGHT.read_text(encoding="utf-8").splitlines()
    start = lines.index("License: SIL-1.1", lines.index("License: SIL-1.1") + 1)
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        body.append("" if line.strip() == "." else line[1:])
    return (
        f"{FAMILY} ({OUT_FONT.name}) is a subset of Noto Sans CJK SC made by "
        "scripts/make_cjk_font.py.\n\n"
        f"{copyright_notice}\n\n" + "\n".join(body).rstrip() + "\n"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"{args.source} is missing: apt-get install -y fonts-noto-cjk", file=sys.stderr)
        return 1

    index = sc_face_index(args.source)
    # recalcTimestamp=False keeps the source's date: the same input gives the same bytes
    font = TTFont(str(args.source), fontNumber=index, recalcTimestamp=False)
    copyright_notice = font["name"].getDebugName(0)
    options = subset.Options()
    options.layout_features = []  # fpdf2 does no shaping here; features would pull in JP/KR/TC variants
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_bounds = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted_codepoints())
    subsetter.subset(font)
    rename(font, copyright_notice)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    font.save(str(OUT_FONT))
    OUT_LICENCE.write_text(licence_text(copyright_notice), encoding="utf-8")
    mapped = len(font.getBestCmap())
    size = OUT_FONT.stat().st_size
    print(f"face {index}: {mapped} characters, {size / 1e6:.2f} MB → {OUT_FONT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
