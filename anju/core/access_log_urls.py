"""The personal-data access log; mounted at /access-log/ by the project urls."""

from django.urls import path

from . import access_log_views as views

app_name = "access_log"
urlpatterns = [
    path("", views.access_log, name="list"),
    path("export.<str:fmt>", views.access_log_export, name="export"),
]
