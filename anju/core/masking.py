"""Masking of personal data (SEC-2): what a screen shows unless the role may see it in full."""

import re

_DIGITS = re.compile(r"\D")


def mask_phone(phone: str | None) -> str:
    """138****5678 for a mainland mobile; otherwise keep only the last four characters."""
    if not phone:
        return ""
    raw = str(phone).strip()
    digits = _DIGITS.sub("", raw)
    if raw.startswith("+") and not digits.startswith("86"):
        return "*" * (len(digits) - 4) + digits[-4:]  # abroad: only the last four
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(raw) <= 4:
        return "*" * len(raw)
    return "*" * (len(raw) - 4) + raw[-4:]


def mask_id_number(number: str | None) -> str:
    """Resident ID 440301199001011234 → 4403**********1234 (region prefix and last four kept)."""
    if not number:
        return ""
    s = str(number).strip()
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_name(name: str | None) -> str:
    """张三丰 → 张*丰, 李四 → 李*: enough to greet, not enough to identify."""
    if not name:
        return ""
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# Personal numbers inside free text (log lines, audit entries, job reports): an ID number
# (17 digits + digit/X) and a mainland mobile, alone or as +86 / 86, with or without
# separators. Digits or letters around them mean it is some other number.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9])")


def mask_text(text: str) -> str:
    """Mask every mobile (138****5678) and ID number (4403**********1234) inside ``text``."""
    if not text:
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)


def mask_email(address: str | None) -> str:
    """w***@example.com: the first letter and the domain (the outbox, consent, errors)."""
    local, _at, domain = (address or "").strip().partition("@")
    return f"{local[:1]}***@{domain}" if local and domain else "***"


# An e-mail address inside free text (a provider's error reply quotes the recipient).
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def mask_contact_text(text: str) -> str:
    """``mask_text`` and every e-mail address too: for text from outside (gateway errors)."""
    if not text:
        return text
    return mask_text(_EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group()), text))


def mask_for_audit(value: str) -> str:
    """django-auditlog's mask for fields registered with ``mask_fields`` (phones, ID numbers).

    A phone is masked like on screen (138****5678), anything else like an ID number; an empty
    value (auditlog passes "None" for a null) stays as it is, so the change stays readable.
    """
    if value in ("", "None"):
        return value
    digits = _DIGITS.sub("", value)
    if len(digits) in (11, 13) and not _ID_IN_TEXT.fullmatch(value.strip()):
        return mask_phone(value)
    return mask_id_number(value)


def mask_in(value):
    """``mask_text`` applied to every string inside nested dicts/lists (JSON data)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_in(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_in(v) for v in value]
    return value
