from django.urls import path

from . import views

app_name = "membership"
urlpatterns = [
    path("", views.members, name="members"),
    path("customers/<int:customer_id>/", views.member, name="member"),
    path("customers/<int:customer_id>/join/", views.member_join, name="join"),
    path("customers/<int:customer_id>/redeem-gift/", views.redeem_gift, name="redeem_gift"),
    path("customers/<int:customer_id>/redeem-offset/", views.redeem_offset, name="redeem_offset"),
    path("customers/<int:customer_id>/adjust/", views.adjust, name="adjust"),
    path("customers/<int:customer_id>/tier-request/", views.tier_request, name="tier_request"),
    path("entries/<int:entry_id>/reverse/", views.entry_reverse, name="entry_reverse"),
    path(
        "redemptions/<int:redemption_id>/return/",
        views.redemption_return,
        name="redemption_return",
    ),
    path("visits/<int:visit_id>/join/", views.visit_join, name="visit_join"),
    path("settings/", views.club_settings, name="settings"),
    path("gifts/", views.gifts, name="gifts"),
    path("gifts/new/", views.gift_new, name="gift_new"),
    path("gifts/<int:gift_id>/", views.gift_edit, name="gift_edit"),
]
