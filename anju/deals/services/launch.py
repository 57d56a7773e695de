"""Launch day (开盘选房, QUE-1): numbers are called in order, the called customer chooses a
unit, which is held for him at once.

The launch row is locked for every step, so two tablets pressing "next" at the same moment
call two numbers one after the other, never the same one twice. Choosing locks the unit,
then the number, as every hold does (``hold_for_ticket_holder``): of two consultants choosing
one unit at once exactly one wins, and a hold of the same number on a tablet at the same
moment never deadlocks with the screen.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
from anju.core.validation import validate_fields

from ..models import LaunchDay, LaunchStatus, QueueStatus, QueueTicket
from ._common import require_seller
from .queue import lock_ticket, queue_set_status
from .subscriptions import hold_for_ticket_holder


@transaction.atomic
def launch_open(*, by, project, buildings, name: str = "") -> LaunchDay:
    require_seller(by, project)
    buildings = list(buildings)
    if not buildings:
        raise ApplicationError(_("Choose the buildings on sale."), field="buildings")
    if any(b.project_id != project.pk for b in buildings):
        raise ApplicationError(_("A building of another project."), field="buildings")
    launch = LaunchDay(
        company_id=project.company_id,
        project=project,
        name=(name or "").strip() or _("Launch %(day)s") % {"day": timezone.localdate()},
        opened_by=by,
    )
    validate_fields(launch, ["name"])
    try:
        with transaction.atomic():
            launch.save()
    except IntegrityError as exc:
        raise Conflict(
            _("A launch of this project is running already."), code="launch_running"
        ) from exc
    launch.buildings.set(buildings)
    record_event(by=by, verb="deals.launch_opened", target=launch, details={"name": launch.name})
    return launch


@transaction.atomic
def launch_call_next(*, by, launch) -> QueueTicket | None:
    """Call the next waiting number (the current one, if not yet done, is skipped)."""
    launch = _lock(by, launch)
    _leave_current(by, launch)
    ticket = (
        QueueTicket.objects.unscoped("the launch calls the project's queue in order")
        .select_for_update(of=("self",))
        .filter(project_id=launch.project_id, status=QueueStatus.WAITING)
        .order_by("number")
        .first()
    )
    return _call(by, launch, ticket)


@transaction.atomic
def launch_recall(*, by, launch, ticket) -> QueueTicket:
    """A skipped number came back: he is called again now."""
    launch = _lock(by, launch)
    ticket = lock_ticket(ticket)
    if ticket.project_id != launch.project_id or ticket.status != QueueStatus.SKIPPED:
        raise Conflict(
            _("Only a skipped number of this launch can be recalled."), code="not_skipped"
        )
    _leave_current(by, launch)
    return _call(by, launch, ticket)


@transaction.atomic
def launch_choose(*, by, launch, unit):
    """The called customer chooses ``unit``: held for him as a draft subscription."""
    launch = _lock(by, launch)
    if launch.current_id is None:
        raise Conflict(_("Call a number first."), code="nobody_called")
    if not launch.buildings.filter(pk=unit.building_id).exists():
        raise ApplicationError(_("This unit is not on sale at this launch."), field="unit_id")
    if unit.project_id != launch.project_id:
        raise ApplicationError(_("This unit is not on sale at this launch."), field="unit_id")
    # Not locked here: the hold locks the unit, then the number, the order every hold keeps
    # (a consultant may hold the unit with this number on his tablet at the same moment;
    # the number first here would deadlock with him). The hold re-checks the locked number.
    ticket = launch.current
    # The screen's driver holds it; the number's own consultant keeps the deal.
    subscription = hold_for_ticket_holder(
        by=by,
        unit=unit,
        customer=ticket.customer,
        queue_ticket=ticket,
        consultant=ticket.consultant,
    )
    launch.current = None
    launch.save(update_fields=["current", "updated_at"])
    return subscription


@transaction.atomic
def launch_close(*, by, launch) -> LaunchDay:
    launch = _lock(by, launch)
    _leave_current(by, launch)
    launch.status, launch.closed_at = LaunchStatus.CLOSED, timezone.now()
    launch.save(update_fields=["status", "closed_at", "updated_at"])
    record_event(by=by, verb="deals.launch_closed", target=launch, details={})
    return launch


def _lock(by, launch) -> LaunchDay:
    launch = (
        LaunchDay.objects.unscoped("lock the launch the caller scoped")
        .select_for_update(of=("self",))
        .select_related("project")
        .get(pk=launch.pk)
    )
    require_seller(by, launch.project)
    if launch.status != LaunchStatus.OPEN:
        raise Conflict(_("This launch is closed."), code="launch_closed")
    return launch


def _leave_current(by, launch) -> None:
    """The called number did not choose: he is skipped (and may be recalled)."""
    if launch.current_id is None:
        return
    ticket = lock_ticket(launch.current)
    if ticket.status == QueueStatus.CALLED:
        queue_set_status(by=by, ticket=ticket, to=QueueStatus.SKIPPED)
    launch.current = None


def _call(by, launch, ticket):
    if ticket is not None:
        queue_set_status(by=by, ticket=ticket, to=QueueStatus.CALLED)
    launch.current = ticket
    launch.save(update_fields=["current", "updated_at"])
    record_event(
        by=by,
        verb="deals.number_called",
        target=launch,
        subject=ticket.customer if ticket else None,
        details={"number": ticket.number if ticket else None},
    )
    return ticket
