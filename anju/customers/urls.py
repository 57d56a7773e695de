from django.urls import path

from . import sources_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("reassign/", views.reassign_all, name="reassign_all"),
    path("data-quality/", views.data_quality, name="data_quality"),
    path("sources/", sources_views.source_list, name="sources"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("<int:customer_id>/claim/", views.claim, name="claim"),
    path("<int:customer_id>/hand-over/", views.hand_over, name="hand_over"),
    path("<int:customer_id>/status/", views.set_status, name="set_status"),
    path("<int:customer_id>/phones/", views.phone_add, name="phone_add"),
    path("<int:customer_id>/merge/", views.merge, name="merge"),
    path("<int:customer_id>/notes/", views.note_add, name="note_add"),
    path("<int:customer_id>/relations/", views.relation_add, name="relation_add"),
    path(
        "<int:customer_id>/relations/<int:relation_id>/remove/",
        views.relation_remove,
        name="relation_remove",
    ),
]
