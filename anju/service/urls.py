from django.urls import include, path

from . import views, views_actions, views_settings

app_name = "service"

urlpatterns = [
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/<int:service_ticket_id>/", views.ticket_detail, name="ticket_detail"),
    # --- svcpages: the desk's pages (list, receipt, the ticket's steps, photos, limits, cases) ---
    path("tickets/export.<str:fmt>", views.ticket_export, name="ticket_export"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:service_ticket_id>/judge/", views_actions.ticket_judge, name="ticket_judge"),
    path(
        "tickets/<int:service_ticket_id>/assign/",
        views_actions.ticket_assign,
        name="ticket_assign",
    ),
    path("tickets/<int:service_ticket_id>/cause/", views_actions.ticket_cause, name="ticket_cause"),
    path(
        "tickets/<int:service_ticket_id>/solution/",
        views_actions.ticket_solution,
        name="ticket_solution",
    ),
    path(
        "tickets/<int:service_ticket_id>/implement/",
        views_actions.ticket_implement,
        name="ticket_implement",
    ),
    path(
        "tickets/<int:service_ticket_id>/revisit/",
        views_actions.ticket_revisit,
        name="ticket_revisit",
    ),
    path("tickets/<int:service_ticket_id>/close/", views_actions.ticket_close, name="ticket_close"),
    path(
        "tickets/<int:service_ticket_id>/reclassify/",
        views_actions.ticket_reclassify,
        name="ticket_reclassify",
    ),
    path(
        "tickets/<int:service_ticket_id>/photos/",
        views_actions.ticket_photos,
        name="ticket_photos",
    ),
    path("attachments/<str:attachment_token>/", views.attachment, name="attachment"),
    path("sla/", views_settings.sla_settings, name="sla"),
    path("sla/desk/", views_settings.desk_settings, name="desk_settings"),
    path("cases/", views_settings.case_list, name="cases"),
    path("cases/new/", views_settings.case_open, name="case_open"),
    path("cases/<int:service_case_id>/", views_settings.case_detail, name="case_detail"),
    # --- end of svcpages ---
    path("", include("anju.service.urls_daily")),  # 每日盘点 (svcapi)
    path("", include("anju.service.urls_report")),  # SVC-6 the monthly report (svcreport)
]

from .urls_delivery import urlpatterns as delivery_urls  # noqa: E402  (SVC-7)

urlpatterns += delivery_urls
