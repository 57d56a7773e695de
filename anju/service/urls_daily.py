"""每日盘点 (SVC-5): /service/daily/, included from urls.py (namespace ``service``)."""

from django.urls import path

from . import views_daily

urlpatterns = [
    path("daily/", views_daily.daily_list, name="daily"),
]
