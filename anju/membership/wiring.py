"""The club's place in the kernel, registered from ``MembershipConfig.ready()``: audit log,
menu, customer timeline, merge, PIPL, the visit page, the referral listener, webhooks and
the approval of manual tier changes."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

REFERRAL_VERB = "reception.visit_registered"


def on_events(events) -> None:
    """看房积分: a registered visit may credit the customer's referrer. Only arranged here;
    the task runs after the visit's commit (a rolled-back visit credits nothing)."""
    from .tasks import credit_referral_visit

    for event in events:
        if event.verb == REFERRAL_VERB:
            visit_id = event.target_id
            transaction.on_commit(lambda visit_id=visit_id: credit_referral_visit.enqueue(visit_id))


def merge_club_records(*, duplicate, survivor) -> dict:
    """CUS-3: the survivor keeps the higher tier; the duplicate's points move by paired
    ledger rows (no row edited, expiry dates kept: ``points.transfer_points_on_merge``)."""
    from .services import move_membership_on_merge, transfer_points_on_merge

    moved = move_membership_on_merge(duplicate=duplicate, survivor=survivor)
    moved["points"] = transfer_points_on_merge(duplicate=duplicate, survivor=survivor)
    return moved


def describe_tier_request(request) -> str:
    """The queue's line for a tier change, from the payload alone (no query per row): the
    member (name masked), the tier he was in when asked, the tier asked for, his points."""
    from django.utils.translation import gettext

    payload = request.payload or {}
    if "customer_name" not in payload:  # asked before the payload carried it
        return request.summary
    return gettext("%(name)s (%(code)s): %(from)s → %(to)s · %(points)s points · %(reason)s") % {
        "name": payload["customer_name"],
        "code": payload.get("customer_code", ""),
        "from": payload.get("from_name", payload.get("from", "")),
        "to": payload.get("tier_name", payload.get("tier_code", "")),
        "points": payload.get("points", 0),
        "reason": payload.get("reason", ""),
    }


def tier_request_url(request):
    """The member page of the request's customer, from the payload (no query per row)."""
    from django.urls import reverse

    customer_id = (request.payload or {}).get("customer_id")
    return reverse("membership:member", args=[customer_id]) if customer_id else None


def _register_approvals() -> None:
    """Manual tier changes go through the approvals app (APPROVE_TIER_CHANGE)."""
    from anju.approvals.registry import ApprovalKind, register_approval_kind
    from anju.core.roles import Perm

    from .services import APPROVAL_KIND, apply_approved_tier_change

    register_approval_kind(
        ApprovalKind(
            name=APPROVAL_KIND,
            label=_("Tier change"),
            perm=Perm.APPROVE_TIER_CHANGE,
            on_approved=apply_approved_tier_change,
            on_rejected=None,
            describe=describe_tier_request,
            target_url=tier_request_url,
        )
    )


def _register_webhooks() -> None:
    from anju.webhooks.registry import register_webhook_verb

    register_webhook_verb("membership.joined", _("Customer joined the club"))
    register_webhook_verb("membership.tier_changed", _("Member's tier changed"))
    register_webhook_verb("membership.points_moved", _("Points credited or debited"))
    register_webhook_verb("membership.gift_redeemed", _("Points redeemed for a gift"))


def register() -> None:
    from auditlog.registry import auditlog

    from anju.core.events import register_event_listener
    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import Role
    from anju.customers.merging import register_merge_handler
    from anju.customers.timeline import register_timeline_kind, register_timeline_provider
    from anju.messaging.sources import register_message_source
    from anju.reception.hooks import register_visit_panel

    from . import models, privacy, timeline
    from .views import visit_club_panel

    for model in (
        models.Tier,
        models.TierRule,
        models.ClubSettings,
        models.Membership,
        models.Gift,
        models.Redemption,
    ):
        auditlog.register(model)

    club_roles = frozenset(
        {
            Role.SALES_CONSULTANT,
            Role.KEY_ACCOUNT_REP,
            Role.SALES_MANAGER,
            Role.SERVICE_AGENT,
            Role.SERVICE_MANAGER,
            Role.COMPANY_MANAGEMENT,
            Role.GROUP_CENTRE,
        }
    )
    club_managers = frozenset(
        {Role.SERVICE_MANAGER, Role.COMPANY_MANAGEMENT, Role.GROUP_CENTRE, Role.SALES_MANAGER}
    )
    register_nav(NavItem(_("Club members"), "membership:members", club_roles))
    register_nav(NavItem(_("Gift catalogue"), "membership:gifts", club_roles))
    register_nav(NavItem(_("Club settings"), "membership:settings", club_managers))

    register_timeline_kind("points", _("Points"))
    register_timeline_kind("tier", _("Club"))
    for provider in timeline.PROVIDERS:
        register_timeline_provider(
            provider, covers=("membership.",), sources=(timeline.SOURCES[provider],)
        )

    register_merge_handler(merge_club_records)
    privacy.register()
    register_event_listener(on_events)
    register_visit_panel(visit_club_panel)
    _register_webhooks()
    _register_approvals()
    register_message_source("event", pgettext_lazy("message source", "Club event"))

    from . import events_hooks  # MEM-4: club events in the timeline, merge, PIPL, menu

    events_hooks.register()
