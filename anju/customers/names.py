"""Pinyin of Chinese names for search (张三丰 → zhangsanfeng, initials zsf).

pypinyin reads some surnames with their everyday reading (单 → dan); as a surname it is shan.
"""

from pypinyin import lazy_pinyin

# Surnames whose reading differs from the character's common reading.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "区": "ou",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "覃": "qin",
    "翟": "zhai",
    "缪": "miao",
    "种": "chong",
    "秘": "bi",
    "尉": "yu",
    "召": "shao",
    "阚": "kan",
    "繁": "po",
    "员": "yun",
    "华": "hua",
    "纪": "ji",
    "过": "guo",
    "牟": "mou",
    "任": "ren",
    "沈": "shen",
    "柏": "bai",
    "薄": "bo",
    "隗": "wei",
    "宿": "su",
    "折": "she",
}
COMPOUND_SURNAMES = {"尉迟": ["yu", "chi"], "万俟": ["mo", "qi"], "长孙": ["zhang", "sun"]}


def name_syllables(name: str) -> list[str]:
    name = (name or "").strip()
    if not name:
        return []
    for compound, reading in COMPOUND_SURNAMES.items():
        if name.startswith(compound):
            return reading + [s.lower() for s in lazy_pinyin(name[len(compound) :])]
    rest = [s.lower() for s in lazy_pinyin(name[1:])] if len(name) > 1 else []
    first = SURNAME_READINGS.get(name[0]) or lazy_pinyin(name[0])[0].lower()
    return [first, *rest]


def name_pinyin(name: str) -> str:
    return "".join(s for s in name_syllables(name) if s.isascii()).replace(" ", "")


def name_initials(name: str) -> str:
    return "".join(s[0] for s in name_syllables(name) if s and s.isascii() and s[0].isalnum())
