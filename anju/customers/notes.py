"""Notes on a customer (备注, SAL-6): written on the 360° page, read on its timeline.

One module for the whole concern: the write service, the timeline provider, the rows of the
customer's data package and the erasure handler (PIPL), registered from ``ready()``.
A merged duplicate's notes stay on their row; the survivor's timeline reads them through
``merged_customer_ids``, as it reads events.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import ApplicationError
from anju.core.events import record_event
from anju.core.validation import validate_fields

from .models import Customer, CustomerNote
from .privacy import Erasure, plain, register_erasure_handler, register_personal_data_provider
from .services import _require_handler, refuse_anonymised
from .timeline import (
    TimelineEntry,
    merged_ids,
    register_timeline_kind,
    register_timeline_provider,
)


@transaction.atomic
def customer_add_note(*, by, customer, text: str) -> CustomerNote:
    """A note by whoever may handle the customer (his consultant, a manager there)."""
    _require_handler(by, customer)
    customer = (
        Customer.objects.unscoped("lock the row the caller passed")
        .select_for_update()
        .get(pk=customer.pk)
    )
    refuse_anonymised(customer)
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Write the note."), field="text")
    note = CustomerNote(company_id=customer.company_id, customer=customer, author=by, text=text)
    validate_fields(note, ["text"])
    note.save()
    # the event says a note was written, not what: the text stays on its row (erasable)
    record_event(by=by, verb="customer.note_added", target=note, subject=customer, details={})
    return note


def notes_timeline(user, customer, limit):
    """The customer's notes, newest first; ``timeline_for`` checked the customer (1 query)."""
    notes = (
        CustomerNote.objects.unscoped("timeline_for checked the customer")
        .filter(customer_id__in=merged_ids(customer))
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    for note in notes:
        yield TimelineEntry(
            when=note.created_at,
            kind="note",
            title=note.text,
            actor=str(note.author) if note.author else "",
            record_id=note.pk,
        )


def note_rows(customer) -> list[dict]:
    from .privacy_customers import person_ids

    rows = (
        CustomerNote.objects.unscoped("PIPL data package")
        .filter(customer_id__in=person_ids(customer))
        .order_by("created_at", "pk")
    )
    return [{"text": n.text, "created_at": plain(n.created_at)} for n in rows]


def erase_notes(erasure: Erasure) -> None:
    """A note is about the person through and through: its text is cleared, the row kept."""
    notes = CustomerNote.objects.unscoped("PIPL erasure").filter(
        customer_id__in=erasure.customer_ids
    )
    erasure.touch(CustomerNote, notes.values_list("pk", flat=True), {"text"})
    erasure.count("notes_cleared", notes.exclude(text="").update(text=""))


def register() -> None:
    register_timeline_kind("note", gettext_lazy("Note"))
    # covers: the note's own entry says it all; no second "note added" event line
    register_timeline_provider(
        notes_timeline, covers=("customer.note_added",), sources=(CustomerNote,)
    )
    register_personal_data_provider(
        "notes", note_rows, label=gettext_lazy("Notes"), model=CustomerNote
    )
    register_erasure_handler(erase_notes)
