"""Fill msgstr in a .po file from a {msgid: msgstr} JSON/py dict: python fill_po.py file.po dict.json

A developer helper for writing translations in bulk; untranslated ids are listed.
"""

import json
import sys

import polib


def main(po_path, mapping_path):
    with open(mapping_path, encoding="utf-8") as fh:
        mapping = json.load(fh)
    po = polib.pofile(po_path)
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid in mapping:
            if entry.msgid_plural:
                entry.msgstr_plural = {0: mapping[entry.msgid]}
            else:
                entry.msgstr = mapping[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr and not any((entry.msgstr_plural or {}).values()):
            missing.append(entry.msgid)
    po.save(po_path)
    for m in missing:
        print("untranslated:", m)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
