"""CUS-3 merge, CUS-4 claim, CUS-5 reassign-all, CUS-7 relations, CUS-8 archiving, SEC-2."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.models import Event, PersonalDataAccess
from anju.customers.models import Customer, CustomerPhone, CustomerRelation, CustomerStatus
from anju.customers.selectors import customer_by_phone, customer_list
from anju.customers.services import (
    archive_stale_leads,
    customer_add_phone,
    customer_claim,
    customer_merge,
    customer_reassign_all,
    customer_register,
    customer_reveal_personal_data,
    customer_set_status,
    customer_update,
    relation_add,
)
from anju.customers.timeline import timeline_for


def new_customer(world, who="consultant", phone="13800001111", name="赵六", project="binhai"):
    return customer_register(
        by=world.users[who],
        company=world.projects[project].company,
        project=world.projects[project],
        phone=phone,
        name=name,
    ).customer


def test_update_recomputes_completeness_and_pinyin(world):
    c = new_customer(world)
    before = c.completeness
    c = customer_update(
        by=world.users["consultant"],
        customer=c,
        name="单田芳",
        occupation="教师",
        birth_date=date(1985, 5, 1),
        budget_max=3000000,
    )
    assert c.name_initials == "stf" and c.completeness > before
    assert Event.objects.filter(verb="customer.updated", target_id=c.pk).exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"birth_date": date(2999, 1, 1)}, "birth_date"),
        ({"budget_min": 5, "budget_max": 1}, "budget_min"),
        ({"name": "x" * 80}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"name": "  "}, "name"),
    ],
)
def test_update_bad_input_changes_nothing(world, changes, field):
    c = new_customer(world)
    with pytest.raises(ApplicationError) as exc:
        customer_update(by=world.users["consultant"], customer=c, **changes)
    assert exc.value.field == field
    fresh = Customer.objects.get(pk=c.pk)
    assert fresh.name == "赵六" and fresh.birth_date is None and fresh.email == ""


def test_consultant_cannot_update_a_colleagues_customer(world):
    c = new_customer(world)
    with pytest.raises(NotPermitted):
        customer_update(by=world.users["consultant2"], customer=c, occupation="x")
    assert Customer.objects.get(pk=c.pk).occupation == ""


def test_extra_phone_belonging_to_someone_else_is_refused(world):
    a = new_customer(world)
    b = new_customer(world, phone="13800002222", name="钱七")
    customer_add_phone(by=world.users["consultant"], customer=a, phone="13900003333")
    with pytest.raises(ApplicationError) as exc:
        customer_add_phone(by=world.users["consultant"], customer=a, phone="13800002222")
    assert b.code in str(exc.value)
    assert customer_by_phone(world.users["manager"], a.company, "139 0000 3333").pk == a.pk


def test_claim_only_after_protection_lapses(world):
    c = new_customer(world)
    with pytest.raises(ApplicationError) as exc:
        customer_claim(by=world.users["consultant2"], customer=c)
    assert "置业顾问·李娜" in str(exc.value)
    Customer.objects.filter(pk=c.pk).update(protected_until=timezone.now() - timedelta(days=1))
    claimed = customer_claim(by=world.users["consultant2"], customer=c)
    assert claimed.owner == world.users["consultant2"]
    change = Event.objects.filter(verb="customer.owner_changed", target_id=c.pk).get()
    assert change.details["from"] == world.users["consultant"].pk


def test_manager_cannot_claim(world):
    c = new_customer(world)
    Customer.objects.filter(pk=c.pk).update(protected_until=timezone.now() - timedelta(days=1))
    with pytest.raises(NotPermitted):
        customer_claim(by=world.users["manager"], customer=c)


def test_reassign_all_moves_every_customer_and_logs_each(world, colleague):
    leaver, heir = world.users["consultant"], world.users["consultant2"]

    owned = set(Customer.objects.filter(owner=leaver).values_list("pk", flat=True))
    assert owned
    moved = customer_reassign_all(
        by=world.users["manager"], from_user=leaver, to_user=heir, reason="离职"
    )
    assert moved == len(owned)
    assert not Customer.objects.filter(owner=leaver).exists()
    assert (
        set(Customer.objects.filter(owner=heir, pk__in=owned).values_list("pk", flat=True)) == owned
    )
    logged = Event.objects.filter(verb="customer.owner_changed", target_id__in=owned)
    assert logged.count() == len(owned)
    assert all(e.details["reason"] == "离职" for e in logged)


def test_reassign_all_checks_permission_once_per_place_not_per_customer(
    world, colleague, monkeypatch
):
    """Issue 7 item 16: a leaver with thousands of customers costs one check per project."""
    from anju.customers import services

    calls = []
    real = services.require_perm
    monkeypatch.setattr(services, "require_perm", lambda *a, **k: calls.append(k) or real(*a, **k))
    leaver = world.users["consultant"]
    places = set(Customer.objects.filter(owner=leaver).values_list("company_id", "project_id"))
    moved = customer_reassign_all(
        by=world.users["manager"], from_user=leaver, to_user=colleague, reason="离职"
    )
    assert moved > len(places)
    assert len(calls) == len(places)


def test_reassign_all_refused_for_consultants_and_wrong_receiver(world):
    leaver = world.users["consultant"]
    count = Customer.objects.filter(owner=leaver).count()
    with pytest.raises(NotPermitted):
        customer_reassign_all(
            by=world.users["consultant2"],
            from_user=leaver,
            to_user=world.users["consultant2"],
            reason="x",
        )
    with pytest.raises(ApplicationError):  # consultant_zh works in another company
        customer_reassign_all(
            by=world.users["management"],
            from_user=leaver,
            to_user=world.users["consultant_zh"],
            reason="x",
        )
    with pytest.raises(ApplicationError):
        customer_reassign_all(
            by=world.users["manager"],
            from_user=leaver,
            to_user=world.users["consultant2"],
            reason=" ",
        )
    assert Customer.objects.filter(owner=leaver).count() == count


def test_merge_keeps_every_record_of_both(world):
    from anju.reception.services import call_log

    keep = new_customer(world)
    dup = new_customer(world, phone="13800002222", name="赵六")
    call = call_log(
        by=world.users["consultant"],
        project=world.projects["binhai"],
        rings=2,
        answer_seconds=5,
        duration_seconds=120,
        phone="13800002222",
        name="赵六",
    ).call
    friend = new_customer(world, phone="13800004444", name="孙八")
    relation_add(by=world.users["consultant"], customer=dup, related=friend, kind="friend")
    dup_events = Event.objects.filter(subject_id=dup.pk).count()
    keep_events = Event.objects.filter(subject_id=keep.pk).count()

    result = customer_merge(by=world.users["manager"], keep=keep, duplicate=dup, reason="同一人")

    dup.refresh_from_db()
    assert dup.merged_into_id == result.pk  # the duplicate row stays, code never reused
    assert set(CustomerPhone.objects.filter(customer=keep).values_list("phone", flat=True)) == {
        "13800001111",
        "13800002222",
    }
    call.refresh_from_db()
    assert call.customer_id == keep.pk
    assert CustomerRelation.objects.filter(customer=keep, related=friend).exists()
    # History keeps its original subject; each side gets a merge event (issue 7 item 16).
    assert Event.objects.filter(subject_id=dup.pk).count() == dup_events + 1
    assert Event.objects.filter(subject_id=keep.pk).count() == keep_events + 1
    assert Event.objects.filter(subject_id=dup.pk, verb="customer.merged_into").exists()
    survivor_timeline = timeline_for(world.users["manager"], keep)
    dup_registered = Event.objects.get(subject_id=dup.pk, verb="customer.registered")
    assert any(e.when == dup_registered.created_at for e in survivor_timeline)
    assert customer_by_phone(world.users["manager"], keep.company, "13800002222").pk == keep.pk
    assert dup.pk not in set(customer_list(world.users["manager"]).values_list("pk", flat=True))
    again = customer_register(
        by=world.users["consultant"],
        company=keep.company,
        project=keep.project,
        phone="13800002222",
        name="x",
    )
    assert again.customer.pk == keep.pk


def test_merge_needs_permission_and_a_reason(world):
    keep = new_customer(world)
    dup = new_customer(world, phone="13800002222")
    with pytest.raises(NotPermitted):
        customer_merge(by=world.users["consultant"], keep=keep, duplicate=dup, reason="x")
    with pytest.raises(ApplicationError):
        customer_merge(by=world.users["manager"], keep=keep, duplicate=dup, reason="")
    with pytest.raises(ApplicationError):
        customer_merge(by=world.users["manager"], keep=keep, duplicate=keep, reason="x")
    assert Customer.objects.get(pk=dup.pk).merged_into_id is None


def test_relations_are_recorded_both_ways(world):
    a = new_customer(world)
    b = new_customer(world, phone="13800002222", name="钱七")
    relation_add(by=world.users["consultant"], customer=a, related=b, kind="parent")
    assert CustomerRelation.objects.filter(customer=b, related=a, kind="child").exists()
    relation_add(by=world.users["consultant"], customer=b, related=a, kind="referrer")
    assert Customer.objects.get(pk=b.pk).referrer_id == a.pk
    with pytest.raises(ApplicationError):
        relation_add(by=world.users["consultant"], customer=a, related=a, kind="friend")


def test_reveal_needs_permission_and_is_logged(world):
    c = new_customer(world)
    with pytest.raises(NotPermitted):  # the consultant's own customer: the phone, not the ID
        customer_reveal_personal_data(by=world.users["consultant"], customer=c, field="id_number")
    with pytest.raises(NotPermitted):  # a colleague of the project who is not his consultant
        customer_reveal_personal_data(by=world.users["engineer"], customer=c, field="phone")
    assert not PersonalDataAccess.objects.exists()
    value = customer_reveal_personal_data(by=world.users["manager"], customer=c, field="phone")
    assert value == "13800001111"
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.action, log.fields, log.target_id) == (
        world.users["manager"],
        "view",
        "phone",
        c.pk,
    )
    with pytest.raises(NotPermitted):  # another company's manager cannot even see it
        customer_reveal_personal_data(by=world.users["manager_zh"], customer=c, field="phone")
    with pytest.raises(ApplicationError):
        customer_reveal_personal_data(by=world.users["manager"], customer=c, field="name")


def test_stale_leads_are_archived_not_deleted_and_come_back(world):
    c = new_customer(world)
    company = c.company
    old = timezone.now() - timedelta(days=company.stale_lead_days + 1)
    Customer.objects.filter(pk=c.pk).update(last_activity_at=old)
    signed = new_customer(world, phone="13800002222")
    Customer.objects.filter(pk=signed.pk).update(last_activity_at=old, status=CustomerStatus.SIGNED)
    assert archive_stale_leads() >= 1
    c.refresh_from_db()
    assert c.archived_at is not None and Customer.objects.filter(pk=c.pk).exists()
    assert Customer.objects.get(pk=signed.pk).archived_at is None  # only leads go stale
    assert c.pk not in set(customer_list(world.users["manager"]).values_list("pk", flat=True))
    from anju.customers.services import customer_record_activity

    customer_record_activity(by=world.users["consultant"], customer=c)
    assert Customer.objects.get(pk=c.pk).archived_at is None


def test_status_moves_forward_freely_and_back_only_with_a_reason(world):
    c = new_customer(world)
    c = customer_set_status(by=world.users["consultant"], customer=c, status="visitor")
    with pytest.raises(ApplicationError):
        customer_set_status(by=world.users["consultant"], customer=c, status="lead")
    c = customer_set_status(by=world.users["manager"], customer=c, status="lead", reason="误登记")
    assert c.status == "lead"


def test_stale_lead_archiving_is_scheduled_nightly(world):
    from datetime import timedelta

    from django.utils import timezone

    from anju.core.scheduling import discover_periodic_jobs
    from anju.customers.tasks import archive_stale_leads_nightly

    jobs = {job.task: job.cron for job in discover_periodic_jobs()}
    assert archive_stale_leads_nightly in jobs
    c = new_customer(world)
    Customer.objects.filter(pk=c.pk).update(last_activity_at=timezone.now() - timedelta(days=400))
    archive_stale_leads_nightly.enqueue()  # immediate backend in tests: runs now
    assert Customer.objects.get(pk=c.pk).archived_at is not None
