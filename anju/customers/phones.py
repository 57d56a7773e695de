"""Phone normalisation (CUS-3): one canonical form per number, so one person is one customer."""

import re

import phonenumbers
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError

_LETTERS = re.compile(r"[^\W\d_]")


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """'138 1234 5678', '+86 138-1234-5678', '008613812345678' → '13812345678'.

    Mainland numbers are stored as their 11 national digits; other countries in E.164.
    Raises ApplicationError with a clear message for anything that is not a valid number.
    """
    text = (raw or "").strip()
    if not text:
        raise ApplicationError(_("Enter a phone number."), field=field)
    if _LETTERS.search(text):
        # phonenumbers reads letters as keypad digits (vanity numbers); a typo must not pass.
        raise ApplicationError(_("“%(raw)s” is not a phone number.") % {"raw": raw}, field=field)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ApplicationError(
            _("“%(raw)s” is not a phone number.") % {"raw": raw}, field=field
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ApplicationError(
            _("“%(raw)s” is not a valid phone number.") % {"raw": raw}, field=field
        )
    if number.country_code == 86:
        # National digits with the trunk 0 kept for landlines (0755…), none for mobiles (138…).
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return re.sub(r"\D", "", national)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
