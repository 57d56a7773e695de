"""Club events pages (MEM-4), mounted at /membership/events/ (namespace ``club_events``)."""

from django.urls import path

from . import events_views as views

app_name = "club_events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("new/", views.event_new, name="new"),
    path("<int:event_id>/", views.event_detail, name="detail"),
    path("<int:event_id>/edit/", views.event_edit, name="edit"),
    path("<int:event_id>/call-off/", views.event_cancel, name="call_off"),
    path("<int:event_id>/find/", views.event_find, name="find"),
    path("<int:event_id>/rsvp/", views.event_rsvp, name="rsvp"),
    path("<int:event_id>/invite/", views.event_invite, name="invite"),
    path("<int:event_id>/remind/", views.event_remind, name="remind"),
    path("<int:event_id>/check-in/", views.event_check_in, name="check_in"),
    path("<int:event_id>/check-in/search/", views.event_check_in_search, name="check_in_search"),
    path("<int:event_id>/check-in/tap/", views.event_check_in_do, name="check_in_tap"),
    path(
        "<int:event_id>/registrations/<int:registration_id>/cancel/",
        views.registration_cancel,
        name="cancel",
    ),
    path(
        "<int:event_id>/registrations/<int:registration_id>/uninvite/",
        views.registration_uninvite,
        name="uninvite",
    ),
    path(
        "<int:event_id>/registrations/<int:registration_id>/feedback/",
        views.registration_feedback,
        name="feedback",
    ),
]
