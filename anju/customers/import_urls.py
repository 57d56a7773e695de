"""Customer import and export (CUS-9); mounted at /customers/import/ by the project urls."""

from django.urls import path

from . import import_views as views

app_name = "customer_import"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("template.csv", views.template_csv, name="template"),
    path("template.xlsx", views.template_xlsx, name="template_xlsx"),
    path("export.<str:fmt>", views.export, name="export"),
    path("<int:job_id>/", views.detail, name="detail"),
    path("<int:job_id>/start/", views.start, name="start"),
    path("<int:job_id>/errors.csv", views.errors_csv, name="errors"),
]
