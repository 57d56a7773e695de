from django.urls import path

from . import rules_views, views

app_name = "reception"
urlpatterns = [
    path("", views.index, name="index"),
    path("calls/", views.calls, name="calls"),
    path("calls/new/", views.call_new, name="call_new"),
    path("calls/<int:call_id>/", views.call_detail, name="call_detail"),
    path("visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:visit_id>/", views.visit_detail, name="visit_detail"),
    path("desk/", views.desk, name="desk"),
    path("risk-factors/", views.risk_factors, name="risk_factors"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/team/", views.team_tasks, name="team_tasks"),
    path("tasks/<int:task_id>/", views.task_detail, name="task_detail"),
    path("tasks/<int:task_id>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:task_id>/cancel/", views.task_cancel, name="task_cancel"),
    path("opportunities/", views.opportunities, name="opportunities"),
    path("opportunities/new/", views.opportunity_new, name="opportunity_new"),
    path("opportunities/analysis/", views.win_loss, name="win_loss"),
    path("opportunities/reasons/", views.reasons, name="reasons"),
    path(
        "opportunities/<int:opportunity_id>/", views.opportunity_detail, name="opportunity_detail"
    ),
    path(
        "opportunities/<int:opportunity_id>/stage/",
        views.opportunity_stage,
        name="opportunity_stage",
    ),
    path(
        "opportunities/<int:opportunity_id>/close/",
        views.opportunity_close,
        name="opportunity_close",
    ),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("pipeline/<int:opportunity_id>/move/", views.pipeline_move, name="pipeline_move"),
    path("customers/<int:customer_id>/tasks/", views.customer_task_add, name="customer_task_add"),
    path("metrics/", views.metrics, name="metrics"),
    path("rules/", rules_views.followup_rules_page, name="followup_rules"),
    path("export/<str:what>.<str:fmt>", views.export, name="export"),
]
