from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_new, name="new"),
    path("figures/", views.survey_figures, name="figures"),
    path("figures/export.xlsx", views.survey_figures_export, name="figures_export"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<slug:touchpoint>/revise/", views.template_revise, name="revise"),
    path("<int:survey_id>/", views.survey_detail, name="detail"),
    path("<int:survey_id>/open/", views.survey_open, name="open"),
    path("<int:survey_id>/close/", views.survey_close, name="close"),
    path("responses/<int:response_id>/", views.response_take, name="take"),
    path("responses/<int:response_id>/outcome/", views.response_outcome, name="outcome"),
]
