"""每日盘点, the daily open-ticket list (SVC-5): none may be forgotten.

Each responsible person's open tickets, the most urgent first, the late ones marked — on a
page (``/service/daily/``: one's own; a service manager, company management or the group's
relations centre may pick a person) and every morning at 08:00 as one in-app notice and,
for who has a phone, one SMS (``send_daily_lists``). The notice's key and the message's
idempotency key are per person and day, so a rerun of the task tells nobody twice.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anju.core.errors import NotPermitted
from anju.core.notifications import notify
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.org.selectors import staff_visible_to

from . import selectors
from .models import OPEN_STATUSES, Ticket

log = logging.getLogger(__name__)

# Who may look at another person's list: who oversees the desk.
OVERSEERS = (Perm.MANAGE_SERVICE, Perm.APPROVE_SOLUTION)


def may_pick_person(user) -> bool:
    return any(has_perm(user, perm) for perm in OVERSEERS)


def _late(now) -> Q:
    return Q(overdue=True) | Q(next_due_at__lte=now)


EVERYONE = "all"  # ?person=all: every responsible person's open tickets the overseer sees


def person_for(viewer, person_id):
    """Whose list the viewer asks for: his own, or (an overseer) everyone's (``None``, where
    an overseer starts: he holds few tickets himself, his team holds them) or a person he
    sees — anyone else's is refused (403); a person he does not see is 404."""
    overseer = may_pick_person(viewer)
    if overseer and person_id in (None, "", EVERYONE):
        return None
    if person_id in (None, "", viewer.pk, str(viewer.pk)):
        return viewer
    if not overseer:
        raise NotPermitted()
    from django.http import Http404

    text = str(person_id).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**53:
        raise Http404("not found")
    person = staff_visible_to(viewer).select_related(None).filter(pk=int(text)).first()
    if person is None:
        raise Http404("not found")
    return person


def open_list(viewer, person):
    """The person's open tickets the viewer sees, most urgent first (``sla_status.is_late``
    marks the late ones)."""
    return selectors.open_tickets_of(viewer, person)


def late_count(viewer, person, *, now=None) -> int:
    now = now or timezone.now()
    tickets = Ticket.objects.visible_to(viewer).filter(status__in=OPEN_STATUSES)
    if person is not None:
        tickets = tickets.filter(responsible=person)
    return tickets.filter(_late(now)).count()


@dataclass(frozen=True)
class PersonChoice:
    pk: int
    name: str
    open: int
    late: int


def people_with_open_tickets(viewer, *, now=None) -> list[PersonChoice]:
    """For an overseer's choice: who holds open tickets he sees, with counts (one query)."""
    now = now or timezone.now()
    rows = (
        Ticket.objects.visible_to(viewer)
        .filter(status__in=OPEN_STATUSES)
        .values(
            "responsible_id",
            "responsible__display_name",
            "responsible__first_name",
            "responsible__last_name",
            "responsible__username",
        )
        .annotate(open=Count("pk"), late=Count("pk", filter=_late(now)))
        .order_by("responsible__username")
    )
    choices = []
    for row in rows:
        full = f"{row['responsible__first_name']} {row['responsible__last_name']}".strip()
        name = row["responsible__display_name"] or full or row["responsible__username"]
        choices.append(PersonChoice(row["responsible_id"], name, row["open"], row["late"]))
    return choices


# --- the morning notice (the periodic task in tasks.py) ----------------------------------------


def digest_rows(now):
    """Per responsible person: open tickets, late ones, the earliest due time (system read)."""
    return (
        Ticket.objects.unscoped("每日盘点: every company's open tickets, per responsible person")
        .filter(status__in=OPEN_STATUSES)
        .values("responsible_id")
        .annotate(
            open=Count("pk"),
            late=Count("pk", filter=_late(now)),
            first_due=Min("next_due_at"),
            company_id=Min("company_id"),
        )
        .order_by("responsible_id")
    )


def send_daily_lists(*, now=None) -> dict:
    """Tell each responsible person with open tickets, once per day: an in-app notice and,
    for who has a phone, an SMS. Returns counts (for the task's log)."""
    from anju.org.models import Company, User

    now = now or timezone.now()
    day = timezone.localtime(now).date()
    rows = list(digest_rows(now))
    people = User.objects.filter(pk__in=[r["responsible_id"] for r in rows], is_active=True)
    people = {u.pk: u for u in people.select_related("company")}
    companies = Company.objects.in_bulk({r["company_id"] for r in rows})
    counts = {"people": 0, "notices": 0, "messages": 0}
    with translation.override(settings.LANGUAGE_CODE):
        for row in rows:
            person = people.get(row["responsible_id"])
            if person is None:
                continue  # a deactivated account: the desk's open list shows his tickets
            company = person.company or companies.get(row["company_id"])
            try:
                with transaction.atomic():
                    told = _tell(person, company, row, day)
            except Exception:  # noqa: BLE001 – one person's failure does not stop the others
                log.exception("service: the daily list of user %s failed", person.pk)
                continue
            counts["people"] += 1
            counts["notices"] += told[0]
            counts["messages"] += told[1]
    return counts


def _summary(row) -> str:
    return _("You have %(n)s open ticket(s), %(late)s late; the next is due %(when)s.") % {
        "n": row["open"],
        "late": row["late"],
        "when": timezone.localtime(row["first_due"]).strftime("%m-%d %H:%M"),
    }


def _tell(person, company, row, day) -> tuple[int, int]:
    from anju.messaging.models import Channel, Kind, Message
    from anju.messaging.services import message_enqueue

    key = f"service:daily:{person.pk}:{day.isoformat()}"
    summary = _summary(row)
    written = notify(
        [person],
        key=key,
        title=_("Daily open-ticket list: %(summary)s") % {"summary": summary},
        url=reverse("service:daily"),
        body=day.isoformat(),
    )
    sent = 0
    if person.phone and company is not None:
        known = (
            Message.objects.unscoped("idempotency: the key is unique across the outbox")
            .filter(idempotency_key=key)
            .exists()
        )
        message_enqueue(
            by=None,
            company=company,
            channel=Channel.SMS,
            kind=Kind.SERVICE,
            to=person.phone,
            body=_("Daily open-ticket list: %(summary)s Please handle them in Anju CRM.")
            % {"summary": summary},
            idempotency_key=key,
            source="service:daily",
        )
        sent = int(not known)
    return len(written), sent
