"""The survey links, mounted at /q/ (short, for an SMS): no login (PUBLIC in core/authz.py)."""

from django.urls import path

from . import public_views

app_name = "survey_public"

urlpatterns = [path("<str:token>/", public_views.answer, name="answer")]
