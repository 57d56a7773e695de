"""The desk's settings (SVC-5): time limits per type × severity and who takes unassigned
tickets — MANAGE_SERVICE only, validated, an event per change, no row for the defaults."""

import pytest

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.models import Event
from anju.service import sla
from anju.service.models import ServiceSettings, SlaPolicy
from anju.service.settings_services import service_settings_update, sla_policy_set


def test_a_limit_is_set_changed_and_put_back_to_the_default(world):
    manager, company = world.users["servicemgr"], world.companies["sz"]
    limits = dict(first_response_minutes=45, solution_minutes=1440, closure_minutes=7200)
    row = sla_policy_set(
        by=manager, company=company, ticket_type="repair", severity="sensitive", **limits
    )
    assert sla.limits_for(company.pk, "repair", "sensitive") == sla.Limits(45, 1440, 7200)
    again = sla_policy_set(
        by=manager, company=company, ticket_type="repair", severity="sensitive", **limits
    )
    assert again.pk == row.pk
    assert Event.objects.filter(verb="service.sla_policy_set", target_id=row.pk).count() == 1
    default = sla.default_limits("consultation", "normal")
    unchanged = sla_policy_set(
        by=manager,
        company=company,
        ticket_type="consultation",
        severity="normal",
        first_response_minutes=default.first_response,
        solution_minutes=default.solution,
        closure_minutes=default.closure,
    )
    assert unchanged is None  # the defaults keep no row
    assert not SlaPolicy.objects.filter(company=company, ticket_type="consultation").exists()


@pytest.mark.parametrize(
    "who,limits,error",
    [
        ("service", (60, 120, 180), NotPermitted),  # an agent does not set limits
        ("servicemgr", (0, 120, 180), ApplicationError),
        ("servicemgr", (600, 120, 180), ApplicationError),  # answered after the solution
        ("servicemgr", (60, 120, "x"), ApplicationError),
    ],
)
def test_refused_limits_store_nothing(world, who, limits, error):
    with pytest.raises(error):
        sla_policy_set(
            by=world.users[who],
            company=world.companies["sz"],
            ticket_type="complaint",
            severity="normal",
            first_response_minutes=limits[0],
            solution_minutes=limits[1],
            closure_minutes=limits[2],
        )
    assert not SlaPolicy.objects.filter(company=world.companies["sz"]).exists()


def test_the_intake_person_must_handle_the_companys_tickets(world):
    manager, company = world.users["servicemgr"], world.companies["sz"]
    with pytest.raises(ApplicationError) as refused:
        service_settings_update(
            by=manager,
            company=company,
            intake_user=world.users["consultant"],
            revisit_working_days=5,
        )
    assert refused.value.field == "intake_user"
    with pytest.raises(NotPermitted):  # 珠海's management does not run 深圳's desk
        service_settings_update(
            by=world.users["manager_zh"], company=company, intake_user=None, revisit_working_days=3
        )
    row = service_settings_update(
        by=manager, company=company, intake_user=world.users["service"], revisit_working_days=4
    )
    assert (row.intake_user, row.revisit_working_days) == (world.users["service"], 4)
    event = Event.objects.get(verb="service.settings_updated", target_id=row.pk)
    assert event.details["after"] == {
        "intake_user": world.users["service"].pk,
        "revisit_working_days": 4,
    }
    assert ServiceSettings.objects.filter(company=company).count() == 1
