"""Compile every .po catalogue under anju/ to .mo with polib (no GNU gettext needed).

`make messages` runs makemessages (needs GNU gettext, a developer tool) and then this.
The .mo files are committed, so a fresh machine needs nothing to show Chinese.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def compile_all(check: bool = False) -> int:
    stale = 0
    for po_path in sorted(ROOT.glob("anju/**/locale/*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        po = polib.pofile(str(po_path))
        if check:
            current = mo_path.exists() and {
                (e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo_path))
            } == {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries()}
            if not current:
                print(f"stale: {mo_path.relative_to(ROOT)}")
                stale += 1
            continue
        po.save_as_mofile(str(mo_path))
        print(f"compiled {po_path.relative_to(ROOT)} ({po.percent_translated()}% translated)")
    return stale


if __name__ == "__main__":
    sys.exit(1 if compile_all(check="--check" in sys.argv) else 0)
