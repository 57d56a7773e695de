"""Job status pages; mounted at /jobs/ by the project urls."""

from django.urls import path

from . import job_views

app_name = "jobs"
urlpatterns = [
    path("", job_views.job_list, name="list"),
    path("<int:job_id>/", job_views.job_detail, name="detail"),
    path("<int:job_id>/progress/", job_views.job_progress, name="progress"),
]
