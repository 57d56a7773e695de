"""Every write of the customer club (MEM-1 … MEM-3), split by subject and re-exported here:
``from anju.membership.services import points_credit``."""

from ._common import ensure_club, expiry_date, recorded_at, settings_of
from .config import (
    club_settings_update,
    gift_create,
    gift_update,
    tier_create,
    tier_rule_set,
    tiers_configure,
)
from .members import (
    APPROVAL_KIND,
    apply_approved_tier_change,
    membership_join,
    move_membership_on_merge,
    tier_apply_rule,
    tier_change_request,
)
from .points import (
    account_for,
    credit_remainders,
    points_adjust,
    points_credit,
    points_expire_account,
    points_expire_due,
    points_offset_return,
    points_offset_value,
    points_redeem_gift,
    points_redeem_offset,
    points_reverse,
    redemption_return,
    transfer_points_on_merge,
)

__all__ = [
    "APPROVAL_KIND",
    "account_for",
    "apply_approved_tier_change",
    "club_settings_update",
    "credit_remainders",
    "ensure_club",
    "expiry_date",
    "gift_create",
    "gift_update",
    "membership_join",
    "move_membership_on_merge",
    "points_adjust",
    "points_credit",
    "points_expire_account",
    "points_expire_due",
    "points_offset_return",
    "points_offset_value",
    "points_redeem_gift",
    "points_redeem_offset",
    "points_reverse",
    "recorded_at",
    "redemption_return",
    "settings_of",
    "tier_apply_rule",
    "tier_change_request",
    "tier_create",
    "tier_rule_set",
    "tiers_configure",
    "transfer_points_on_merge",
]
