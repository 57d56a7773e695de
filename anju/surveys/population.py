"""SUR-2: whom a survey asks — owners by stage, from their contracts and key handovers.

准业主 signed but not yet delivered; 磨合期 in the first year after delivery; 稳定期 in the
second; 老业主 from the third year on. A customer owning several units is in every stage one
of his units is in. Staff (SUR-5) are the company's active staff.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from .models import Population


@dataclass(frozen=True)
class Person:
    customer_id: int | None
    project_id: int | None
    staff_id: int | None = None


def years_since(delivered: date, today: date) -> int:
    """Whole years from the delivery day to ``today`` (a 29 February counts to 1 March)."""
    years = today.year - delivered.year
    if (today.month, today.day) < (delivered.month, delivered.day):
        years -= 1
    return years


def stage_of(delivered, today) -> str:
    if delivered is None:
        return Population.PRE_OWNERS
    years = years_since(timezone.localtime(delivered).date(), today)
    if years < 1:
        return Population.SETTLING
    if years < 2:
        return Population.STABLE
    return Population.ESTABLISHED


def people_of(survey, *, today=None) -> list[Person]:
    """Everyone the survey asks, once each, in the order they signed."""
    if survey.population == Population.STAFF:
        return _staff(survey)
    from anju.deals.selectors import signed_units
    from anju.service.delivery_selectors import keys_handed_over

    today = today or timezone.localdate()
    owned = list(signed_units(company_id=survey.company_id, project_id=survey.project_id))
    delivered = keys_handed_over(
        company_id=survey.company_id, unit_ids=[unit for _c, _p, unit, _s in owned]
    )
    people, seen = [], set()
    for customer_id, project_id, unit_id, _signed in owned:
        if customer_id in seen:
            continue
        stage = stage_of(delivered.get(unit_id), today)
        if survey.population in (Population.ALL_OWNERS, stage):
            seen.add(customer_id)
            people.append(Person(customer_id, project_id))
    return people


def _staff(survey) -> list[Person]:
    from anju.org.models import User

    staff = User.objects.unscoped("an internal survey asks the company's staff").filter(
        company_id=survey.company_id, is_active=True
    )
    return [Person(None, None, pk) for pk in staff.order_by("pk").values_list("pk", flat=True)]
