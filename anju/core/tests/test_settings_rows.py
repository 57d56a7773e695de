"""A company's one settings row (issue 12): the write every settings page shares."""

import pytest

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.models import Event
from anju.core.roles import Perm
from anju.core.settings_rows import changed_text, company_settings_update
from anju.reception.models import FollowUpSettings

VERB = "test.settings_changed"
FIELDS = ("invitation_days", "no_intent_days")


def _update(world, *, by="manager", company="sz", clean=None, **kwargs):
    kwargs.setdefault("values", {})
    return company_settings_update(
        by=world.users[by],
        company=world.companies[company],
        model=FollowUpSettings,
        perm=Perm.VIEW_REPORTS,
        fields=FIELDS,
        clean=clean or (lambda name, value: int(value)),
        verb=VERB,
        **kwargs,
    )


def _events():
    return list(Event.objects.unscoped("test").filter(verb=VERB).order_by("pk"))


def _row(world):
    return (
        FollowUpSettings.objects.unscoped("test")
        .filter(company=world.companies["sz"])
        .values("invitation_days", "no_intent_days")
        .first()
    )


def test_a_change_is_saved_and_its_event_names_the_changed_fields_only(world):
    row = _update(world, values={"invitation_days": "4", "no_intent_days": 3})
    assert row.pk and _row(world) == {"invitation_days": 4, "no_intent_days": 3}
    [event] = _events()
    # no_intent_days was already 3 (the default): not named
    assert event.details == {"invitation_days": 4}
    assert event.target_id == row.pk and event.company_id == world.companies["sz"].pk
    assert event.actor == world.users["manager"]

    _update(
        world,
        values={"invitation_days": 5, "no_intent_days": 9},
        describe=lambda name, old, new: [old, new],
    )
    assert _events()[-1].details == {"invitation_days": [4, 5], "no_intent_days": [3, 9]}
    assert (
        FollowUpSettings.objects.unscoped("test").filter(company=world.companies["sz"]).count() == 1
    )


def test_no_change_records_no_event(world):
    _update(world, values={"invitation_days": 4})
    assert len(_events()) == 1
    _update(world, values={"invitation_days": 4, "no_intent_days": 3})
    assert len(_events()) == 1
    assert _row(world) == {"invitation_days": 4, "no_intent_days": 3}


def test_without_a_row_the_defaults_are_not_saved_unless_asked(world):
    row = _update(world, values={"invitation_days": 1})  # the default
    assert row.pk is None and _row(world) is None and _events() == []
    row = _update(world, values={"invitation_days": 1}, save_new_unchanged=True)
    assert row.pk and _row(world) == {"invitation_days": 1, "no_intent_days": 3}
    [event] = _events()
    assert event.details == {}
    _update(world, values={"invitation_days": 1}, save_new_unchanged=True)
    assert len(_events()) == 1  # the row exists now: no change, no event


@pytest.mark.parametrize(
    ("by", "company", "values", "error", "field"),
    [
        ("consultant", "sz", {"invitation_days": 4}, NotPermitted, None),
        ("manager", "zh", {"invitation_days": 4}, NotPermitted, None),
        ("manager", "sz", {"invitation_days": 4, "colour": "red"}, ApplicationError, "colour"),
        ("manager", "sz", {"invitation_days": "x"}, ApplicationError, "invitation_days"),
        # the model's own validators (1–30 days)
        (
            "manager",
            "sz",
            {"no_intent_days": 2, "invitation_days": 31},
            ApplicationError,
            "invitation_days",
        ),
    ],
)
def test_refusals_write_nothing(world, by, company, values, error, field):
    def clean(name, value):
        try:
            return int(value)
        except ValueError as exc:
            raise ApplicationError("a number", field=name) from exc

    with pytest.raises(error) as raised:
        _update(world, by=by, company=company, values=values, clean=clean)
    if field:
        assert raised.value.field == field
    assert _row(world) is None and _events() == []


def test_changed_text_names_a_text_without_its_value():
    assert changed_text("before_text", "old", "new") == "changed"
    assert changed_text("days_before", 7, 3) == 3
