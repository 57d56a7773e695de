"""Template fields and rendering (MSG-1): {称呼} {姓名} {项目} {顾问} {顾问电话} {活动} {日期} …

Fields live in a registry so other apps add theirs (membership: {等级}, {积分}…)::

    from anju.messaging.templating import TemplateField, register_template_field

    register_template_field(TemplateField("等级", _("Member tier"), "金卡", value=tier_name))

``value(customer, extra)`` gives a field's value for one customer (None: the caller supplies it
in ``extra``, e.g. a campaign's {活动} and {日期}). Rendering refuses an unknown field and a
field with no value, naming it, so nothing half-personalised is ever sent.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import ApplicationError
from anju.core.text_fields import FIELD_PATTERN, check_fields, fields_used

# SMS length (MSG-1): 70 characters fit one message; a longer text is split into parts of
# 67 (each part carries a 3-character header so the phone can join them).
SMS_SINGLE = 70
SMS_PART = 67
OPT_OUT_SUFFIX = "回T退订"

# The {字段} syntax and its check (FIELD_PATTERN, fields_used, check_fields) live in
# anju/core/text_fields.py, shared with document templates; imported here for callers.


@dataclass(frozen=True)
class TemplateField:
    key: str
    label: object
    example: str
    value: Callable | None = None  # value(customer, extra) -> str


_FIELDS: dict[str, TemplateField] = {}


def register_template_field(field: TemplateField) -> None:
    _FIELDS[field.key] = field


def template_fields() -> list[TemplateField]:
    return list(_FIELDS.values())


def check_template_text(text: str, *, field: str = "body") -> None:
    """Refuse an unknown field or a stray brace, naming it (the form's/API's error)."""
    check_fields(text, _FIELDS, field=field)


def template_render(template_or_text, context: dict, *, field: str = "body") -> str:
    """The text with every {field} replaced from ``context``; refuses unknown or empty fields."""
    text = getattr(template_or_text, "body", template_or_text) or ""
    check_template_text(text, field=field)
    missing = [name for name in fields_used(text) if not str(context.get(name) or "").strip()]
    if missing:
        raise ApplicationError(
            _("No value for %(fields)s here.")
            % {"fields": "、".join(f"{{{name}}}" for name in missing)},
            field=field,
        )
    return FIELD_PATTERN.sub(lambda m: str(context[m.group(1)]).strip(), text)


def example_context() -> dict:
    return {f.key: f.example for f in _FIELDS.values()}


def context_values(customer, extra: dict | None = None) -> dict:
    """Every registered field's value for ``customer`` (a system read), then ``extra``."""
    context = {}
    for f in _FIELDS.values():
        if f.value is not None and customer is not None:
            context[f.key] = f.value(customer, extra or {}) or ""
    context.update({k: v for k, v in (extra or {}).items() if v not in (None, "")})
    return context


def sms_segments(text: str) -> int:
    """How many SMS the text costs: 1 up to 70 characters, else one per 67."""
    length = len(text or "")
    if length == 0:
        return 0
    if length <= SMS_SINGLE:
        return 1
    return math.ceil(length / SMS_PART)


def with_opt_out(text: str) -> str:
    """Marketing SMS end with 回T退订 (MSG-3): added by the system, once."""
    text = (text or "").rstrip()
    if text.endswith(OPT_OUT_SUFFIX):
        return text
    return f"{text} {OPT_OUT_SUFFIX}"


# --- the built-in fields ---------------------------------------------------------------------


def _salutation(customer, extra):
    from anju.reception.followup_rules import salutation

    return salutation(customer.name, customer.gender)


def _project(customer, extra):
    project = extra.get("project") or customer.project
    return getattr(project, "name", project) or ""


def _consultant(customer, extra):
    from anju.reception.followup_rules import short_staff_name

    owner = customer.owner
    return short_staff_name(owner) if owner is not None else ""


def _consultant_phone(customer, extra):
    owner = customer.owner
    return (owner.phone or "") if owner is not None else ""


def _company(customer, extra):
    return customer.company.name


for _field in (
    TemplateField("称呼", gettext_lazy("Salutation (张先生/李女士)"), "张先生", _salutation),
    TemplateField("姓名", gettext_lazy("Customer's name"), "张伟", lambda c, e: c.name),
    TemplateField("项目", gettext_lazy("Project"), "滨海花园", _project),
    TemplateField("顾问", gettext_lazy("Consultant"), "李娜", _consultant),
    TemplateField(
        "顾问电话", gettext_lazy("Consultant's phone"), "0755-88886666", _consultant_phone
    ),
    TemplateField("公司", gettext_lazy("Company"), "深圳公司", _company),
    TemplateField("活动", gettext_lazy("Event (given by the campaign)"), "装修讲座", None),
    TemplateField("日期", gettext_lazy("Date (given by the campaign)"), "5月20日", None),
    TemplateField("时间", gettext_lazy("Time (given by the campaign)"), "14:00", None),
    TemplateField("地点", gettext_lazy("Place (given by the campaign)"), "销售中心", None),
):
    register_template_field(_field)


def check_automatic_text(text: str, *, field: str, extra_fields=()) -> str:
    """A text the system sends by itself (care greetings, payment reminders): not empty,
    known fields only, and each field one with a value for every customer or among
    ``extra_fields`` (what the sender fills in itself). Returns the text, stripped."""
    from anju.core.errors import ApplicationError

    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Write the text."), field=field)
    check_template_text(text, field=field)
    allowed = {f.key for f in template_fields() if f.value is not None} | set(extra_fields)
    missing = [name for name in fields_used(text) if name not in allowed]
    if missing:
        raise ApplicationError(
            _("%(fields)s has no value in this message.")
            % {"fields": "、".join(f"{{{name}}}" for name in missing)},
            field=field,
        )
    return text
