"""Photos of a ticket (SVC-1, issue 13's bad input): images only, 5 MB each, checked with
Pillow; stored under a random token; streamed only to who sees the ticket."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.models import Event
from anju.service.attachments import MAX_BYTES, attachment_add
from anju.service.models import TicketAttachment


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def image_bytes(fmt="PNG", size=(16, 12)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, format=fmt)
    return out.getvalue()


def upload(name="crack.png", data=None, content_type="image/png"):
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type)


def test_a_photo_is_stored_under_a_token_with_the_type_pillow_found(world, receive, settings):
    ticket = receive()
    # the browser claims PNG for a JPEG: the stored type is the one Pillow read
    [photo] = attachment_add(
        by=world.users["service"],
        ticket=ticket,
        uploads=[upload("../../etc/裂缝.png", image_bytes("JPEG"), "image/png")],
    )
    assert photo.content_type == "image/jpeg"
    assert photo.name == "裂缝.png"  # shown only; never a path
    assert photo.token and photo.token in photo.file.name and "裂缝" not in photo.file.name
    assert (settings.MEDIA_ROOT / photo.file.name).read_bytes()[:2] == b"\xff\xd8"
    event = Event.objects.filter(target_id=ticket.pk, verb="service.photos_added").get()
    assert event.details == {"photos": [photo.pk]}


@pytest.mark.parametrize(
    "name,data,content_type",
    [
        ("invoice.jpg", b"%PDF-1.4 not a photo at all", "image/jpeg"),  # a renamed file
        ("page.png", b"<html><script>alert(1)</script></html>", "image/png"),
        ("cut.png", image_bytes()[:40], "image/png"),  # truncated: verify() fails
        ("scan.bmp", image_bytes("BMP"), "image/bmp"),  # an image, but not a photo type
        ("empty.png", b"", "image/png"),
    ],
)
def test_anything_but_a_whole_photo_is_refused_and_nothing_is_stored(
    world, receive, settings, name, data, content_type
):
    ticket = receive()
    good = upload()
    with pytest.raises(ApplicationError) as refused:
        attachment_add(
            by=world.users["service"],
            ticket=ticket,
            uploads=[good, upload(name, data, content_type)],
        )
    assert refused.value.field == "photos"
    assert not TicketAttachment.objects.filter(ticket=ticket).exists()
    assert not (settings.MEDIA_ROOT / "service").exists()  # not even the good one


def test_a_photo_over_5_mb_is_refused(world, receive):
    ticket = receive()
    big = upload(data=image_bytes() + b"\0" * MAX_BYTES)
    with pytest.raises(ApplicationError, match="5 MB") as refused:
        attachment_add(by=world.users["service"], ticket=ticket, uploads=[big])
    assert refused.value.code == "too_large"
    assert not TicketAttachment.objects.filter(ticket=ticket).exists()


def test_only_the_desk_or_the_responsible_adds_photos_and_only_while_open(
    world, receive, make_customer
):
    from anju.service.services import ticket_close

    ticket = receive(ticket_type="consultation", category="other")
    with pytest.raises(NotPermitted):  # a sales manager sees the ticket but does not work it
        attachment_add(by=world.users["manager"], ticket=ticket, uploads=[upload()])
    with pytest.raises(NotFound):  # 珠海 does not even see it
        attachment_add(by=world.users["manager_zh"], ticket=ticket, uploads=[upload()])
    ticket_close(by=world.users["service"], ticket=ticket, summary="已答复")
    with pytest.raises(Conflict):
        attachment_add(by=world.users["service"], ticket=ticket, uploads=[upload()])
    assert not TicketAttachment.objects.filter(ticket=ticket).exists()
