"""``{字段}`` fields in texts people edit: message templates (messaging) and document templates
(``core/doc_templates.py``) share one syntax and one check.

A field is a name between braces, ``{姓名}``; the caller says which names it knows. A check
refuses an unknown name or a stray brace, naming it, with the caller's form field
(``field="body"``), so a page shows the error on the right input.
"""

import re
from collections.abc import Collection

from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError

FIELD_PATTERN = re.compile(r"\{([^{}]*)\}")


def fields_used(text: str) -> list[str]:
    """The field names ``text`` uses, in order, once each."""
    seen = []
    for name in FIELD_PATTERN.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


def check_fields(
    text: str, known: Collection[str], *, field: str = "body", example: str = "{姓名}"
) -> None:
    """Refuse a field not in ``known``, or a brace not closed, naming it (the form's error).

    ``example`` is the field shown in the stray-brace message ("write fields as {姓名}").
    """
    text = text or ""
    unknown = [name for name in fields_used(text) if name not in known]
    if unknown:
        raise ApplicationError(
            _("Unknown field %(fields)s. Fields you may use: %(known)s")
            % {
                "fields": "、".join(f"{{{name}}}" for name in unknown),
                "known": "".join(f"{{{key}}}" for key in known),
            },
            field=field,
        )
    stripped = FIELD_PATTERN.sub("", text)
    if "{" in stripped or "}" in stripped:
        raise ApplicationError(
            _("A brace is not closed: write fields as %(example)s.") % {"example": example},
            field=field,
        )
