"""SVC-6 The monthly complaint report's URLs (included from urls.py, namespace ``service``)."""

from django.urls import path

from . import report_views

urlpatterns = [
    path("report/", report_views.report_page, name="report"),
    path("report/data.json", report_views.report_data, name="report_data"),
    path("report/export.xlsx", report_views.report_export, name="report_export"),
]
