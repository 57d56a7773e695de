from django.urls import path

from . import views

app_name = "inventory"
urlpatterns = [
    path("", views.index, name="index"),
    path("buildings/<int:building_id>/board/", views.board, name="board"),
    path("units/<int:unit_id>/", views.unit_panel, name="unit"),
]
