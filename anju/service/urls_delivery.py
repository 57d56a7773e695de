"""Delivery and repairs (SVC-7), under /service/delivery/, names in the ``service``
namespace (added at the end of ``urls.py``)."""

from django.urls import path

from . import delivery_views as v

urlpatterns = [
    path("delivery/batches/", v.batch_list, name="delivery_batches"),
    path("delivery/batches/new/", v.batch_new, name="delivery_batch_new"),
    path("delivery/batches/<int:batch_id>/", v.batch_detail, name="delivery_batch"),
    path("delivery/batches/<int:batch_id>/slots/", v.slot_add, name="delivery_slot_add"),
    path("delivery/batches/<int:batch_id>/close/", v.batch_close, name="delivery_batch_close"),
    path("delivery/batches/<int:batch_id>/book/", v.appointment_book, name="delivery_book"),
    path(
        "delivery/appointments/<int:appointment_id>/",
        v.appointment_detail,
        name="delivery_appointment",
    ),
    path(
        "delivery/appointments/<int:appointment_id>/cancel/",
        v.appointment_cancel,
        name="delivery_appointment_cancel",
    ),
    path(
        "delivery/appointments/<int:appointment_id>/reschedule/",
        v.appointment_reschedule,
        name="delivery_appointment_reschedule",
    ),
    path(
        "delivery/appointments/<int:appointment_id>/inspect/",
        v.inspection_start,
        name="delivery_inspection_start",
    ),
    path("delivery/inspections/<int:inspection_id>/", v.inspection, name="delivery_inspection"),
    path(
        "delivery/inspections/<int:inspection_id>/defects/",
        v.defect_add,
        name="delivery_defect_add",
    ),
    path(
        "delivery/inspections/<int:inspection_id>/finish/",
        v.inspection_finish,
        name="delivery_inspection_finish",
    ),
    path("delivery/photos/<int:photo_id>/", v.photo, name="delivery_photo"),
    path("delivery/repairs/", v.repair_list, name="delivery_repairs"),
    path("delivery/repairs/<int:repair_id>/", v.repair_detail, name="delivery_repair"),
    path(
        "delivery/repairs/<int:repair_id>/assign/", v.repair_assign, name="delivery_repair_assign"
    ),
    path(
        "delivery/repairs/<int:repair_id>/complete/",
        v.repair_complete,
        name="delivery_repair_complete",
    ),
    path(
        "delivery/repairs/<int:repair_id>/sign-off/",
        v.repair_sign_off,
        name="delivery_repair_sign_off",
    ),
    path(
        "delivery/repairs/<int:repair_id>/reject/", v.repair_reject, name="delivery_repair_reject"
    ),
    path("delivery/units/<int:unit_id>/", v.unit_delivery, name="delivery_unit"),
    path("delivery/units/<int:unit_id>/keys/", v.key_handover, name="delivery_keys"),
]
