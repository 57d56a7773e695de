"""Campaign pages (MSG-2), mounted at /campaigns/."""

from django.urls import path

from . import campaign_views as views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/edit/", views.campaign_edit, name="edit"),
    path("<int:campaign_id>/generate/", views.campaign_generate, name="generate"),
    path("<int:campaign_id>/submit/", views.campaign_submit, name="submit"),
    path("<int:campaign_id>/decide/", views.campaign_decide, name="decide"),
    path("<int:campaign_id>/send/", views.campaign_send, name="send"),
    path("<int:campaign_id>/retry/", views.campaign_retry, name="retry"),
    path("<int:campaign_id>/recipients/", views.campaign_recipients, name="recipients"),
    path("<int:campaign_id>/messages/", views.campaign_messages, name="messages"),
]
