"""Every write of the deals app, by business action (re-exported from the modules)."""

from .contracts import CONTRACT_NUMBER_KIND, contract_sign, plan_rows
from .launch import launch_call_next, launch_choose, launch_close, launch_open, launch_recall
from .payments import paid_total, payment_record, spread_over_instalments
from .queue import QUEUE_NUMBER_KIND, queue_number_cancel, queue_number_issue
from .reminders import reminder_settings_for, reminder_settings_update, send_payment_reminders
from .revisits import schedule_deal_revisit
from .subscriptions import (
    PRICE_APPROVAL_KIND,
    apply_approved_price,
    back_to_draft,
    subscription_confirm,
    subscription_hold,
    subscription_release,
    subscription_set_terms,
)

__all__ = [
    "CONTRACT_NUMBER_KIND",
    "contract_sign",
    "plan_rows",
    "reminder_settings_for",
    "reminder_settings_update",
    "schedule_deal_revisit",
    "send_payment_reminders",
    "PRICE_APPROVAL_KIND",
    "QUEUE_NUMBER_KIND",
    "apply_approved_price",
    "launch_call_next",
    "launch_choose",
    "launch_close",
    "launch_open",
    "launch_recall",
    "paid_total",
    "payment_record",
    "spread_over_instalments",
    "back_to_draft",
    "queue_number_cancel",
    "queue_number_issue",
    "subscription_confirm",
    "subscription_hold",
    "subscription_release",
    "subscription_set_terms",
]
