"""Photos of a ticket (SVC-1): stored privately, served only to who may see the ticket.

``attachment_add`` checks every upload before it stores any: an image Pillow can read and
verify (JPEG, PNG, GIF, WebP), at most 5 MB, at most ``MAX_PER_TICKET`` per ticket. The file
is stored under a random token (``models.attachment_path``), never under the uploader's
name, and its type is the one Pillow found, not the one the browser claimed. The page
``/service/attachments/<token>/`` streams it to whoever sees the ticket (selectors).
"""

import secrets
from pathlib import PurePath

from django.db import transaction
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
from anju.core.validation import control_character_error

from .models import TicketAttachment
from .photos import MAX_BYTES, PhotoRefused, read_photo  # noqa: F401 (MAX_BYTES: the tests)
from .services import require_worker, ticket_for_update

MAX_PER_TICKET = 20
MAX_PER_UPLOAD = 10
# What a browser shows inline; the stored Content-Type is the one Pillow's format names.
IMAGE_TYPES = ("JPEG", "PNG", "GIF", "WEBP")
FIELD = "photos"


def check_photo(upload) -> str:
    """The photo's Content-Type, or an ApplicationError saying why it is refused."""
    name = display_name(upload)
    try:
        return read_photo(upload, formats=IMAGE_TYPES).content_type
    except PhotoRefused as refused:
        if refused.reason == "empty":
            message, code = _("%(name)s is empty."), "invalid_photo"
        elif refused.reason == "too_large":
            message, code = _("%(name)s is larger than 5 MB."), "too_large"
        else:
            message = _("%(name)s is not a photo (JPEG, PNG, GIF or WebP).")
            code = "invalid_photo"
        raise ApplicationError(message % {"name": name}, field=FIELD, code=code) from None


def display_name(upload) -> str:
    """The uploader's file name, for showing only: no path, no control characters, short."""
    raw = PurePath(str(getattr(upload, "name", "") or "").replace("\\", "/")).name
    clean = "".join(c for c in raw if not control_character_error(c)).strip()
    return (clean or _("photo"))[-100:]


@transaction.atomic
def attachment_add(*, by, ticket, uploads) -> list[TicketAttachment]:
    """Add photos to an open ticket (the desk, or the responsible person). Every photo is
    checked first: one refused photo stores none of them."""
    uploads = list(uploads)
    ticket = ticket_for_update(by, ticket)
    require_worker(by, ticket)
    if not ticket.is_open:
        raise Conflict(_("The ticket is closed."), code="invalid_transition")
    if not uploads:
        raise ApplicationError(_("Choose at least one photo."), field=FIELD, code="required")
    if len(uploads) > MAX_PER_UPLOAD:
        raise ApplicationError(
            _("At most %(n)s photos at a time.") % {"n": MAX_PER_UPLOAD},
            field=FIELD,
            code="too_many",
        )
    held = (
        TicketAttachment.objects.unscoped("the locked ticket's own photos")
        .filter(ticket=ticket)
        .count()
    )
    if held + len(uploads) > MAX_PER_TICKET:
        raise ApplicationError(
            _("A ticket holds at most %(n)s photos.") % {"n": MAX_PER_TICKET},
            field=FIELD,
            code="too_many",
        )
    checked = [(upload, check_photo(upload)) for upload in uploads]
    added = []
    for upload, content_type in checked:
        attachment = TicketAttachment(
            ticket=ticket,
            token=secrets.token_urlsafe(24),
            name=display_name(upload),
            content_type=content_type,
            size=upload.size,
            uploaded_by=by,
        )
        attachment.file.save(attachment.token, upload, save=False)
        attachment.save()
        added.append(attachment)
    record_event(
        by=by,
        verb="service.photos_added",
        target=ticket,
        subject=ticket.customer,
        details={"photos": [a.pk for a in added]},
    )
    return added
