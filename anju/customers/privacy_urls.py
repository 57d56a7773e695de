"""PIPL pages (SEC-2); mounted at /privacy/ by the project urls."""

from django.urls import path

from . import privacy_views as views

app_name = "privacy"
urlpatterns = [
    path("", views.requests, name="requests"),
    path("customers/<int:customer_id>/erase/", views.request_new, name="request_new"),
    path("customers/<int:customer_id>/package/", views.package_start, name="package_start"),
    path("requests/<int:request_id>/approve/", views.approve, name="approve"),
    path("requests/<int:request_id>/reject/", views.reject, name="reject"),
    path("packages/<int:job_id>/download/", views.package_download, name="package_download"),
    path("retention/<int:company_id>/", views.retention, name="retention"),
]
