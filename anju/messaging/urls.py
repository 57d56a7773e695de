from django.urls import path

from . import care_views, views

app_name = "messaging"

urlpatterns = [
    path("", views.index, name="index"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/retry-failed/", views.retry_failed, name="retry_failed"),
    path("messages/<int:message_id>/", views.message_detail, name="message_detail"),
    path("messages/<int:message_id>/retry/", views.message_retry, name="message_retry"),
    path("messages/<int:message_id>/mark-sent/", views.message_mark_sent, name="message_mark_sent"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path("templates/preview/", views.template_preview, name="template_preview"),
    path("consent/", views.consent, name="consent"),
    path("settings/", views.settings_page, name="settings"),
    path("care/", care_views.care_settings_page, name="care"),  # MSG-4
    path("dev-outbox/", views.dev_outbox, name="dev_outbox"),
]
