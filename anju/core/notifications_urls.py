"""The notices page; mounted at /notifications/ by the project urls (issue 13 item 7)."""

from django.urls import path

from . import notifications_views as views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read_all, name="read_all"),
    path("<int:notification_id>/open/", views.notification_open, name="open"),
]
