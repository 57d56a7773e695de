"""Every messaging read a user sees (MSG-1, MSG-3), scoped with ``visible_to``."""

from dataclasses import dataclass

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.masking import mask_name
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import get_visible_or_404, grants_for
from anju.customers.models import Customer
from anju.customers.selectors import full_number_lookup
from anju.customers.services import may_reveal

from .gateways.dev import read_dev_outbox
from .models import Channel, ConsentChange, Kind, Message, MessageTemplate, OptOut, Status
from .services import mask_address, normalise_address, signature_for
from .templating import (
    check_template_text,
    context_values,
    example_context,
    fields_used,
    sms_segments,
    template_fields,
    template_render,
    with_opt_out,
)

MESSAGING_PERMS = (Perm.MANAGE_TEMPLATES, Perm.RUN_CAMPAIGNS, Perm.APPROVE_CAMPAIGN)


def may_use_messaging(user) -> bool:
    """Holds a messaging permission somewhere (templates, campaigns, consent pages)."""
    return any(has_perm(user, perm) for perm in MESSAGING_PERMS)


def require_messaging(user) -> None:
    if not may_use_messaging(user):
        raise NotPermitted()


# --- templates ----------------------------------------------------------------------------------


def templates_visible_to(user):
    return MessageTemplate.objects.visible_to(user).select_related("company")


def template_detail(user, template_id) -> MessageTemplate:
    template = get_visible_or_404(templates_visible_to(user), user, pk=template_id)
    require_messaging(user)  # out of scope is 404 first, like a missing template
    return template


@dataclass
class Preview:
    text: str = ""
    length: int = 0
    segments: int = 0
    error: str = ""
    error_field: str = ""
    masked: bool = False
    customer: object = None
    fields: tuple = ()

    @property
    def single_limit(self):
        from .templating import SMS_SINGLE

        return SMS_SINGLE


def template_preview(
    user, *, company, body, channel=Channel.SMS, kind=Kind.MARKETING, customer_id=None
) -> Preview:
    """The final text for one customer the user sees (or the example values), its length
    and SMS segments — as it will be sent: with 【signature】 and, for marketing SMS, 回T退订.
    Names are masked unless the user may see this customer's personal data in full."""
    preview = Preview(fields=tuple(fields_used(body)))
    context = example_context()
    if customer_id:
        customer = get_visible_or_404(
            Customer.objects.visible_to(user).select_related("company", "project", "owner"),
            user,
            pk=customer_id,
            merged_into=None,
        )
        preview.customer = customer
        context.update(context_values(customer, {}))
        if not may_reveal(user, customer, "phone"):
            preview.masked = True
            context["姓名"] = mask_name(customer.name)
            context["称呼"] = mask_name(context.get("称呼", ""))
    try:
        check_template_text(body)
        text = template_render(body, context)
    except ApplicationError as exc:
        preview.error, preview.error_field = exc.message, exc.field or "body"
        return preview
    if channel == Channel.SMS:
        if kind == Kind.MARKETING:
            text = with_opt_out(text)
        text = f"【{signature_for(company)}】{text}"
        preview.segments = sms_segments(text)
    preview.text, preview.length = text, len(text)
    return preview


def fields_table() -> list:
    return template_fields()


# --- the outbox ---------------------------------------------------------------------------------


def messages_visible_to(user):
    return Message.objects.visible_to(user).select_related("customer", "project", "template")


def message_detail(user, message_id) -> Message:
    return get_visible_or_404(messages_visible_to(user), user, pk=message_id)


def uncertain_count(user) -> int:
    """Messages waiting for a person's decision (UNCERTAIN) that the user sees."""
    return Message.objects.visible_to(user).filter(status=Status.UNCERTAIN).count()


def customer_messages(user, customer, limit: int = 50):
    """The messages to one customer the user may see, newest first (the 360° timeline)."""
    return list(
        Message.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("customer", "created_by")
        .order_by("-created_at", "-id")[:limit]
    )


# --- consent ------------------------------------------------------------------------------------


@dataclass
class ConsentView:
    channel: str
    address_masked: str
    opted_out: bool
    history: list


def _holding_ids(user) -> set:
    from anju.org.models import Company

    company_ids = {g.company_id for g in grants_for(user) if g.company_id}
    if any(g.company_id is None for g in grants_for(user)):
        return set(
            Company.objects.unscoped("a group-wide role").values_list("holding_id", flat=True)
        )
    return set(
        Company.objects.unscoped("the user's own groups")
        .filter(pk__in=company_ids)
        .values_list("holding_id", flat=True)
    )


def consent_history(
    user, *, channel, address, limit: int = 100, after_change: bool = False
) -> ConsentView:
    """The opt-outs and opt-ins of one address in the user's group(s), newest first, masked.

    Staff with a messaging permission; the address comes in a POST body, never a URL. A
    lookup by a full number is a phone search: logged in the personal-data access log and
    counted against the hourly phone-search limit (RateLimited when spent). ``after_change``:
    the answer to the user's own opt-out/opt-in, logged but never refused (the change stood).
    """
    require_messaging(user)
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel."), field="channel")
    address = normalise_address(channel, address, field="address")
    full_number_lookup(
        user,
        address,
        kind="phone" if channel == Channel.SMS else "email",
        field="address",
        refuse=not after_change,
    )
    holdings = _holding_ids(user)
    rows = list(
        ConsentChange.objects.filter(holding_id__in=holdings, channel=channel, address=address)
        .select_related("by")
        .order_by("-at", "-id")[:limit]
    )
    opted_out = OptOut.objects.filter(
        holding_id__in=holdings, channel=channel, address=address
    ).exists()
    return ConsentView(
        channel=channel,
        address_masked=mask_address(channel, address),
        opted_out=opted_out,
        history=rows,
    )


def recent_consent_changes(user, limit: int = 50) -> list:
    """The latest consent changes in the user's group(s) (the consent page, masked)."""
    require_messaging(user)
    rows = list(
        ConsentChange.objects.filter(holding_id__in=_holding_ids(user))
        .select_related("by")
        .order_by("-at", "-id")[:limit]
    )
    for row in rows:
        row.address_masked = mask_address(row.channel, row.address)
    return rows


# --- the development gateway's page -------------------------------------------------------------


def dev_outbox_entries(user, limit: int = 100) -> list[dict]:
    """What the development gateway received, newest first: only messages the user sees."""
    entries = read_dev_outbox(limit=limit * 3)
    keys = [e.get("key", "") for e in entries]
    visible = {
        m.idempotency_key: m
        for m in Message.objects.visible_to(user)
        .filter(idempotency_key__in=keys)
        .select_related("customer")
    }
    shown = []
    for entry in entries:
        message = visible.get(entry.get("key"))
        if message is None:
            continue
        shown.append(
            {
                **entry,
                "message": message,
                "to": mask_address(entry["channel"], entry["to"]),
                "sent_at": parse_datetime(entry.get("at") or ""),
            }
        )
        if len(shown) >= limit:
            break
    return shown
