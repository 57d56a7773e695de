"""Webhook reads (INT-2): only a company's administrators see its subscriptions and logs."""

from anju.core.errors import NotPermitted
from anju.core.permissions import has_perm
from anju.core.roles import ROLE_PERMS, ROLE_SCOPE, Perm, ScopeLevel
from anju.core.scope import get_visible_or_404

from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def managed_company_ids(user):
    """Companies where ``user`` may manage webhooks: a set, or None for every company."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    companies = set()
    for a in user.role_assignments.all():
        if Perm.MANAGE_ORG not in ROLE_PERMS[a.role]:
            continue
        if ROLE_SCOPE[a.role] == ScopeLevel.ALL:
            return None
        companies.add(a.company_id)
    return companies


def subscriptions_for(user, *, company_id=None):
    """The subscriptions of the companies the user manages (403 if he manages none)."""
    managed = managed_company_ids(user)
    if managed is not None and not managed:
        raise NotPermitted()
    qs = WebhookSubscription.objects.visible_to(user)
    if managed is not None:
        qs = qs.filter(company_id__in=sorted(managed))
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    return qs.order_by("company_id", "-created_at", "-id")


def subscription_detail(user, subscription_id) -> WebhookSubscription:
    """One subscription: 404 out of scope, 403 without ``MANAGE_ORG`` in its company."""
    subscription = get_visible_or_404(WebhookSubscription, user, pk=subscription_id)
    if not has_perm(user, Perm.MANAGE_ORG, company=subscription.company_id):
        raise NotPermitted()
    return subscription


def deliveries_of(user, subscription_id, *, status=None):
    """A subscription's delivery log, newest first."""
    subscription = subscription_detail(user, subscription_id)
    qs = WebhookDelivery.objects.visible_to(user).filter(subscription=subscription)
    if status:
        qs = qs.filter(status=DeliveryStatus(status))
    return qs.order_by("-created_at", "-id")


def delivery_detail(user, subscription_id, delivery_id) -> WebhookDelivery:
    subscription = subscription_detail(user, subscription_id)
    return get_visible_or_404(
        WebhookDelivery.objects.filter(subscription=subscription), user, pk=delivery_id
    )
