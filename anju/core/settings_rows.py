"""A company's one settings row (issue 12): the shared write of the settings pages.

Several apps keep per-company settings in one row of their own model (no row = the model's
defaults): deals' payment reminders, messaging's care, reception's follow-up timings. Their
update services do the same steps, done once here: the permission for the company, unknown
fields refused, the row locked (or a new one), each value checked by the app, the model's
validators, the save and one event naming what changed. Each app keeps its own service (name,
signature, permission, checks, event verb) and calls ``company_settings_update``.
"""

from collections.abc import Callable, Iterable, Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from .errors import ApplicationError
from .events import record_event
from .permissions import require_perm
from .validation import validate_fields


def _new_value(name, old, new):
    return new


def changed_text(name, old, new):
    """How an event names a change: the new value, but "changed" for a text (``*_text``),
    which may be long and is shown on the settings page anyway."""
    return "changed" if name.endswith("_text") else new


@transaction.atomic
def company_settings_update(
    *,
    by,
    company,
    model,
    perm,
    fields: Iterable[str],
    values: Mapping,
    clean: Callable[[str, object], object],
    verb: str,
    describe: Callable[[str, object, object], object] = _new_value,
    save_new_unchanged: bool = False,
):
    """Set ``values`` on ``company``'s row of ``model`` and record ``verb`` naming the changes.

    ``by`` needs ``perm`` for the company; a name outside ``fields`` is refused ("Unknown
    setting."). ``clean(name, value)`` returns the value to store or raises an
    ApplicationError; the model's own validators run after it. The event's details are
    ``{name: describe(name, old, new)}`` for each field whose value differs. Nothing changed:
    nothing is saved and no event recorded, except that with ``save_new_unchanged`` a company
    without a row gets one saved (with an event naming no field).
    """
    require_perm(by, perm, company=company.pk)
    unknown = set(values) - set(fields)
    if unknown:
        raise ApplicationError(_("Unknown setting."), field=sorted(unknown)[0])
    row = (
        model.objects.unscoped("lock the company's settings")
        .select_for_update()
        .filter(company=company)
        .first()
    ) or model(company=company)
    changes = {}
    for name, value in values.items():
        value = clean(name, value)
        old = getattr(row, name)
        if old != value:
            changes[name] = describe(name, old, value)
        setattr(row, name, value)
    validate_fields(row, list(values))
    if not changes and (row.pk or not save_new_unchanged):
        return row
    row.save()
    record_event(by=by, verb=verb, target=row, details=changes)
    return row
