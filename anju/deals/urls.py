from django.urls import path

from . import contract_views, views, views_changes

app_name = "deals"

urlpatterns = [
    # --- queue numbers, subscriptions, launch day (views.py) ---
    path("queue/", views.queue_list, name="queue"),
    path("queue/new/<int:customer_id>/", views.queue_new, name="queue_new"),
    path("queue/<int:ticket_id>/", views.queue_detail, name="queue_detail"),
    path("queue/<int:ticket_id>/cancel/", views.queue_cancel, name="queue_cancel"),
    path("queue/<int:ticket_id>/choose/", views.subscription_new, name="subscription_new"),
    path("subscriptions/", views.subscription_list, name="subscriptions"),
    path("export/<str:what>.<str:fmt>", views.export, name="export"),
    path(
        "subscriptions/<int:subscription_id>/",
        views.subscription_detail,
        name="subscription_detail",
    ),
    path(
        "subscriptions/<int:subscription_id>/confirm/",
        views.subscription_confirm,
        name="subscription_confirm",
    ),
    path(
        "subscriptions/<int:subscription_id>/release/",
        views.subscription_release,
        name="subscription_release",
    ),
    path(
        "subscriptions/<int:subscription_id>/agreement.pdf",
        views.agreement_pdf,
        name="agreement_pdf",
    ),
    path("queue/<int:ticket_id>/receipt.pdf", views.queue_receipt, name="queue_receipt"),
    path("payments/<int:payment_id>/receipt.pdf", views.payment_receipt, name="payment_receipt"),
    path(
        "templates/<int:project_id>/<str:kind>/",
        views.document_template,
        name="document_template",
    ),
    path("launch/", views.launch_index, name="launch_index"),
    path("launch/<int:launch_id>/", views.launch_screen, name="launch"),
    path(
        "launch/<int:launch_id>/next/", views.launch_action, {"action": "next"}, name="launch_next"
    ),
    path(
        "launch/<int:launch_id>/recall/",
        views.launch_action,
        {"action": "recall"},
        name="launch_recall",
    ),
    path(
        "launch/<int:launch_id>/choose/",
        views.launch_action,
        {"action": "choose"},
        name="launch_choose",
    ),
    path(
        "launch/<int:launch_id>/close/",
        views.launch_action,
        {"action": "close"},
        name="launch_close",
    ),
    # --- signing and payments (SUB-4): contract_views.py ----------------------------------------
    path(
        "subscriptions/<int:subscription_id>/contract/",
        contract_views.contract_sign,
        name="contract_sign",
    ),
    path(
        "subscriptions/<int:subscription_id>/payments/",
        contract_views.payment_record,
        name="payment_record",
    ),
    path("contracts/<int:contract_id>/", contract_views.contract_detail, name="contract_detail"),
    path("overdue/", contract_views.overdue, name="overdue"),
    path("overdue/export.<str:fmt>", contract_views.overdue_export, name="overdue_export"),
    path("reminders/", contract_views.reminder_settings, name="reminder_settings"),
    # --- end of signing and payments ------------------------------------------------------------
    # --- sales changes (SUB-5): views_changes.py ---------------------------------------------------
    path(
        "subscriptions/<int:subscription_id>/changes/new/",
        views_changes.change_request,
        name="change_request",
    ),
    path("changes/", views_changes.change_list, name="change_list"),
    path("changes/export.<str:fmt>", views_changes.change_export, name="change_export"),
    path("changes/<int:change_id>/", views_changes.change_detail, name="change_detail"),
]
