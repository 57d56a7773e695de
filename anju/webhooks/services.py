"""Webhook subscriptions: every write (INT-2). Sending is ``delivery``; reads ``selectors``.

A company's administrator (``Perm.MANAGE_ORG`` there) manages its subscriptions. Granting
full personal data (``may_unmask``) also needs ``Perm.UNMASK_PERSONAL_DATA`` in the company,
and so does pointing such a subscription at another URL. The secret is shown in full only
in what ``subscription_create`` and ``subscription_rotate_secret`` return (the API's create
and rotate answers); everywhere else it is masked.
"""

import secrets
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.core.scope import relock_or_404
from anju.core.validation import validate_fields

from .models import PING_VERB, DeliveryStatus, WebhookDelivery, WebhookSubscription
from .registry import publishable_verbs
from .targets import check_target_url

SECRET_PREFIX = "whsec_"
MAX_VERBS = 50


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _require_manager(by, company_id) -> None:
    if by is not None:
        require_perm(by, Perm.MANAGE_ORG, company=company_id)


def _require_unmask(by, company_id) -> None:
    if not has_perm(by, Perm.UNMASK_PERSONAL_DATA, company=company_id):
        raise NotPermitted(
            _(
                "Only a user who may see personal data in full in this company may let a "
                "webhook receive it."
            ),
            field="may_unmask",
        )


def _clean_verbs(verbs) -> list[str]:
    known = publishable_verbs()
    chosen = []
    for verb in verbs or ():
        if verb not in known:
            raise ApplicationError(
                _("Unknown event: %(verb)s.") % {"verb": str(verb)[:60]},
                field="verbs",
                code="unknown_event",
            )
        if verb not in chosen:
            chosen.append(verb)
    if not chosen:
        raise ApplicationError(_("Choose at least one event."), field="verbs")
    if len(chosen) > MAX_VERBS:
        raise ApplicationError(_("Too many events."), field="verbs")
    return chosen


def _locked(subscription) -> WebhookSubscription:
    return relock_or_404(
        WebhookSubscription.objects.unscoped(
            "lock the subscription its caller already scoped"
        ).select_for_update(),
        subscription,
    )


@transaction.atomic
def subscription_create(
    *,
    by,
    company,
    target_url: str,
    verbs,
    name: str = "",
    is_active: bool = True,
    may_unmask: bool = False,
) -> WebhookSubscription:
    """A new subscription with a fresh secret (read ``.secret`` now: later it is masked)."""
    company_id = getattr(company, "pk", company)
    _require_manager(by, company_id)
    if may_unmask:
        _require_unmask(by, company_id)
    subscription = WebhookSubscription(
        company_id=company_id,
        name=(name or "").strip(),
        target_url=check_target_url(target_url),
        verbs=_clean_verbs(verbs),
        is_active=bool(is_active),
        may_unmask=bool(may_unmask),
        secret=new_secret(),
        created_by=by if getattr(by, "pk", None) else None,
        unmask_granted_by=by if may_unmask else None,
    )
    validate_fields(subscription, ["name", "target_url"])
    subscription.save()
    record_event(
        by=by,
        verb="webhooks.subscription_created",
        target=subscription,
        details=_described(subscription),
    )
    return subscription


def _described(subscription) -> dict:
    return {
        "target_url": subscription.target_url,
        "verbs": list(subscription.verbs),
        "is_active": subscription.is_active,
        "may_unmask": subscription.may_unmask,
    }


UPDATABLE = ("name", "target_url", "verbs", "is_active", "may_unmask")


@transaction.atomic
def subscription_update(*, by, subscription, **changes) -> WebhookSubscription:
    """Change name, target URL, events, active flag or ``may_unmask``."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"subscription_update: cannot change {sorted(unknown)}")
    _require_manager(by, subscription.company_id)
    subscription = _locked(subscription)
    before = _described(subscription)
    if "name" in changes:
        subscription.name = (changes["name"] or "").strip()
    if "target_url" in changes:
        url = check_target_url(changes["target_url"])
        if url != subscription.target_url and subscription.may_unmask:
            # whoever redirects full personal data must be allowed to see it
            _require_unmask(by, subscription.company_id)
        subscription.target_url = url
    if "verbs" in changes:
        subscription.verbs = _clean_verbs(changes["verbs"])
    if "is_active" in changes:
        subscription.is_active = bool(changes["is_active"])
    if "may_unmask" in changes:
        wanted = bool(changes["may_unmask"])
        if wanted and not subscription.may_unmask:
            _require_unmask(by, subscription.company_id)
            subscription.unmask_granted_by = by
        elif not wanted:
            subscription.unmask_granted_by = None
        subscription.may_unmask = wanted
    after = _described(subscription)
    validate_fields(subscription, ["name", "target_url"])
    subscription.save()
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if changed:
        record_event(
            by=by,
            verb="webhooks.subscription_changed",
            target=subscription,
            details={"changes": changed},
        )
    return subscription


@transaction.atomic
def subscription_rotate_secret(*, by, subscription) -> WebhookSubscription:
    """A new secret, effective for the next attempt (read ``.secret`` now)."""
    _require_manager(by, subscription.company_id)
    subscription = _locked(subscription)
    subscription.secret = new_secret()
    subscription.secret_rotated_at = timezone.now()
    subscription.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    record_event(by=by, verb="webhooks.secret_rotated", target=subscription)
    return subscription


@transaction.atomic
def subscription_delete(*, by, subscription) -> None:
    """Remove the subscription and its delivery log; nothing more is sent to it."""
    _require_manager(by, subscription.company_id)
    subscription = _locked(subscription)
    record_event(
        by=by,
        verb="webhooks.subscription_deleted",
        target=subscription,
        details=_described(subscription),
    )
    WebhookDelivery.objects.unscoped("the deleted subscription's own log").filter(
        subscription=subscription
    ).delete()
    subscription.delete()


def _send_soon(delivery_id) -> None:
    from .tasks import webhooks_deliver

    transaction.on_commit(partial(webhooks_deliver.enqueue, delivery_id), robust=True)


@transaction.atomic
def subscription_ping(*, by, subscription) -> WebhookDelivery:
    """A signed ``webhook.ping`` to the target, tried once through the queue (also when the
    subscription is paused): see the result in its delivery log."""
    _require_manager(by, subscription.company_id)
    delivery = WebhookDelivery.objects.create(
        company_id=subscription.company_id,
        subscription=subscription,
        event=None,
        verb=PING_VERB,
        next_attempt_at=timezone.now(),
    )
    record_event(
        by=by,
        verb="webhooks.ping_requested",
        target=subscription,
        details={"delivery": str(delivery.uuid)},
    )
    _send_soon(delivery.pk)
    return delivery


@transaction.atomic
def delivery_redeliver(*, by, delivery) -> WebhookDelivery:
    """Send a delivery again, now, with the same delivery id (a fresh series of attempts)."""
    _require_manager(by, delivery.company_id)
    delivery = (
        WebhookDelivery.objects.unscoped("lock the delivery its caller already scoped")
        .select_for_update()
        .get(pk=delivery.pk)
    )
    now = timezone.now()
    if delivery.leased_until and delivery.leased_until > now:
        raise Conflict(
            _("This delivery is being sent right now; try again in a minute."),
            code="delivery_in_progress",
        )
    before = delivery.status
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.delivered_at = None
    delivery.save(
        update_fields=["status", "attempts", "next_attempt_at", "delivered_at", "updated_at"]
    )
    record_event(
        by=by,
        verb="webhooks.delivery_redelivered",
        target=delivery.subscription,
        details={"delivery": str(delivery.uuid), "from": before},
    )
    _send_soon(delivery.pk)
    return delivery
