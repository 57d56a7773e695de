"""The public web form (issue 13 item 6): no login, the phone proved by a one-time code (or a
picture where messaging is absent), throttled per address and per phone (429 + Retry-After,
nothing written), the ticket in the right company's queue, the look-up showing only that
ticket's public history."""

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anju.core.errors import RateLimited
from anju.core.testing import requires_postgres
from anju.customers.models import Customer
from anju.messaging.models import Message
from anju.service import public
from anju.service.models import Ticket, TicketAttachment
from anju.service.public_models import PublicThrottle, PublicVerification

PHONE = "13912345601"


def form_url(code="sz"):
    return reverse("service_public:form", args=[code])


def code_url(code="sz"):
    return reverse("service_public:code", args=[code])


def lookup_url(code="sz"):
    return reverse("service_public:lookup", args=[code])


def ask_code(client, phone=PHONE, purpose="submit", company="sz", **extra):
    return client.post(code_url(company), {"phone": phone, "purpose": purpose}, **extra)


def code_in_outbox(phone=PHONE) -> str:
    message = (
        Message.objects.filter(to=phone, source__startswith="service:public_code")
        .order_by("-pk")
        .first()
    )
    assert message is not None, "no code in the outbox"
    return re.search(r"验证码(\d{6})", message.body).group(1)


def ticket_post(world, phone=PHONE, code="", **overrides):
    data = {
        "project": world.projects["binhai"].pk,
        "ticket_type": "complaint",
        "category": "quality",
        "subject": "阳台漏水",
        "description": "下雨后阳台地面积水，墙角渗水。",
        "demand": "尽快上门维修",
        "name": "林女士",
        "phone": phone,
        "code": code,
        "website": "",
    }
    data.update(overrides)
    return data


def counts():
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        Customer.objects.count(),
        TicketAttachment.objects.count(),
    )


def png_bytes(size=(40, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.ANJU_PUBLIC_FORM_VERIFICATION = "sms"


# --- the whole path ----------------------------------------------------------------------------


def test_code_then_ticket_lands_in_the_companys_queue_and_only_its_staff_see_it(world, client):
    page = client.get(form_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "csrfmiddlewaretoken" in html and 'name="website"' in html
    assert world.projects["binhai"].name in html
    assert world.projects["haiwan"].name not in html  # only the company's own projects
    assert "在线反映" in html and "获取验证码" in html

    sent = ask_code(client)
    assert sent.status_code == 200
    assert "验证码已发送" in sent.content.decode()
    code = code_in_outbox()
    message = Message.objects.filter(to=PHONE).latest("pk")
    assert message.kind == "service" and message.channel == "sms"
    assert message.company == world.companies["sz"]
    row = PublicVerification.objects.latest("pk")
    assert code not in row.code_hash and PHONE not in row.key  # only keyed hashes are kept
    assert row.expires_at - row.created_at == timedelta(minutes=10)

    done = client.post(form_url(), ticket_post(world, code=code))
    assert done.status_code == 200, done.content.decode()
    ticket = Ticket.objects.get(contact_phone=PHONE)
    assert f'data-testid="ticket-number">{ticket}<' in done.content.decode()
    assert "查询处理进度" in done.content.decode()
    assert ticket.channel == "web_form" and ticket.received_by is None
    assert ticket.company == world.companies["sz"] and ticket.project == world.projects["binhai"]
    assert ticket.contact_name == "林女士" and ticket.customer is None
    assert ticket.responsible.role_assignments.filter(company=ticket.company).exists()
    row.refresh_from_db()
    assert row.used_at is not None

    detail = reverse("service:ticket_detail", args=[ticket.pk])
    for username in ("service", "servicemgr"):
        staff = Client()
        staff.force_login(world.users[username])
        assert staff.get(detail).status_code == 200, username
    for username in ("manager_zh", "consultant_zh"):
        other = Client()
        other.force_login(world.users[username])
        assert other.get(detail).status_code == 404, username

    # the code is spent: the same post again files nothing
    again = client.post(form_url(), ticket_post(world, code=code))
    assert again.status_code == 400 and "验证码已过期或已使用" in again.content.decode()
    assert Ticket.objects.filter(contact_phone=PHONE).count() == 1


def test_a_verified_phone_of_one_customer_links_him(world, client, make_customer):
    customer = make_customer(name="老业主")
    ask_code(client, phone=customer.phone)
    response = client.post(
        form_url(), ticket_post(world, phone=customer.phone, code=code_in_outbox(customer.phone))
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get(contact_phone=customer.phone)
    assert ticket.customer == customer


def test_a_unit_is_matched_in_the_chosen_project(world, client):
    from anju.inventory.models import Unit

    unit = Unit.objects.filter(project=world.projects["binhai"]).select_related("building").first()
    other = Unit.objects.filter(project=world.projects["haiwan"]).first()
    ask_code(client)
    code = code_in_outbox()
    wrong = client.post(
        form_url(),
        ticket_post(world, code=code, building=other.building_id, unit_number=other.number),
    )
    assert wrong.status_code == 400  # a building of another company is not a choice
    missing = client.post(
        form_url(), ticket_post(world, code=code, building=unit.building_id, unit_number="9999")
    )
    assert "该楼栋没有这个房号" in missing.content.decode()
    right = client.post(
        form_url(),
        ticket_post(world, code=code, building=unit.building_id, unit_number=unit.number),
    )
    assert right.status_code == 200
    assert Ticket.objects.get(contact_phone=PHONE).unit == unit


def test_photos_are_images_of_at_most_5_mb(world, client):
    ask_code(client)
    code = code_in_outbox()
    before = counts()
    fake = SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    refused = client.post(form_url(), {**ticket_post(world, code=code), "photos": [fake]})
    assert refused.status_code == 400 and "不是照片" in refused.content.decode()
    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * (5 * 1024 * 1024), "image/png")
    refused = client.post(form_url(), {**ticket_post(world, code=code), "photos": [big]})
    assert refused.status_code == 400 and "超过 5 MB" in refused.content.decode()
    assert counts() == before
    photo = SimpleUploadedFile("../../etc/passwd.png", png_bytes(), content_type="text/plain")
    done = client.post(form_url(), {**ticket_post(world, code=code), "photos": [photo]})
    assert done.status_code == 200
    attachment = TicketAttachment.objects.get(ticket__contact_phone=PHONE)
    assert attachment.content_type == "image/png" and attachment.uploaded_by is None
    assert "/" not in attachment.name and ".." not in attachment.file.name


# --- refusals ----------------------------------------------------------------------------------


def test_a_wrong_code_counts_its_tries_then_even_the_right_one_is_refused(world, client):
    ask_code(client)
    code = code_in_outbox()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    before = counts()
    for left in (4, 3, 2, 1):
        response = client.post(form_url(), ticket_post(world, code=wrong))
        assert response.status_code == 400
        assert f"还可尝试 {left} 次" in response.content.decode()
    response = client.post(form_url(), ticket_post(world, code=wrong))
    assert "验证码错误次数过多" in response.content.decode()
    assert PublicVerification.objects.latest("pk").tries == 5
    right = client.post(form_url(), ticket_post(world, code=code))
    assert right.status_code == 400 and "验证码错误次数过多" in right.content.decode()
    assert counts() == before


def test_a_code_expires_after_ten_minutes(world, client):
    ask_code(client)
    code = code_in_outbox()
    PublicVerification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(form_url(), ticket_post(world, code=code))
    assert response.status_code == 400 and "验证码已过期" in response.content.decode()
    assert not Ticket.objects.filter(contact_phone=PHONE).exists()


def test_a_project_of_another_company_is_refused(world, client):
    ask_code(client)
    before = counts()
    response = client.post(
        form_url(),
        ticket_post(world, code=code_in_outbox(), project=world.projects["haiwan"].pk),
    )
    assert response.status_code == 400
    assert 'data-testid="error-project"' in response.content.decode()
    assert counts() == before
    assert client.get(form_url("nosuch")).status_code == 404


def test_control_characters_and_the_honeypot_are_refused(world, client):
    ask_code(client)
    code = code_in_outbox()
    before = counts()
    bell = client.post(form_url(), ticket_post(world, code=code, subject="漏水\x07"))
    assert bell.status_code == 400 and 'data-testid="error-subject"' in bell.content.decode()
    robot = client.post(form_url(), ticket_post(world, code=code, website="http://spam.example"))
    assert robot.status_code == 400 and "表单提交失败" in robot.content.decode()
    assert counts() == before


def test_the_form_needs_its_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    before = counts()
    assert browser.post(code_url(), {"phone": PHONE, "purpose": "submit"}).status_code == 403
    assert browser.post(form_url(), ticket_post(world, code="123456")).status_code == 403
    assert counts() == before


# --- throttling --------------------------------------------------------------------------------


def test_thirty_rapid_posts_are_answered_429_and_write_nothing(world, client):
    ask_code(client)
    code = code_in_outbox()
    first = client.post(form_url(), ticket_post(world, code=code))
    assert first.status_code == 200
    after_first = counts()
    statuses = [
        client.post(form_url(), ticket_post(world, code=code)).status_code for _ in range(29)
    ]
    assert statuses[:19] == [400] * 19  # the code is spent: a form error each
    assert statuses[19:] == [429] * 10  # 20 an hour from one address
    assert counts() == after_first  # no ticket, message, customer or photo from the refused
    limited = client.post(form_url(), ticket_post(world, code=code))
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 3600
    text = limited.content.decode()
    assert "您所在网络的提交次数过多" in text and "后再试" in text
    assert "阳台漏水" in text  # what was typed stays on the page


def test_thirty_posts_with_new_phones_from_one_address(world, client):
    before = counts()
    statuses = [
        client.post(
            form_url(), ticket_post(world, phone=f"1381234{i:04d}", code="123456")
        ).status_code
        for i in range(30)
    ]
    assert statuses == [400] * 20 + [429] * 10
    assert counts() == before
    # another address is not held back by this one
    other = client.post(form_url(), ticket_post(world, code="123456"), REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 400


def test_codes_are_limited_per_phone_and_per_address(world, client):
    assert ask_code(client).status_code == 200
    messages = Message.objects.count()
    again = ask_code(client)
    assert again.status_code == 429 and 0 < int(again["Retry-After"]) <= 60
    assert "刚刚已向该手机号发送过验证码" in again.content.decode()
    assert Message.objects.count() == messages  # no second SMS
    htmx = ask_code(client, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 429 and 'data-testid="rate-limited"' in htmx.content.decode()
    statuses = [ask_code(client, phone=f"1371234{i:04d}").status_code for i in range(20)]
    assert statuses == [200] * 19 + [429]  # 20 an hour from one address


def test_the_windows_slide(world):
    phone = "13900001111"
    start = timezone.now()
    for minute in range(5):
        public.throttle_take((public.CODE_PHONE, phone), now=start + timedelta(minutes=minute))
    with pytest.raises(RateLimited) as refused:
        public.throttle_take((public.CODE_PHONE, phone), now=start + timedelta(minutes=10))
    assert 49 * 60 < refused.value.retry_after <= 50 * 60 + 1  # the first leaves at 60 min
    public.throttle_take((public.CODE_PHONE, phone), now=start + timedelta(minutes=60, seconds=1))
    with pytest.raises(RateLimited) as refused:
        public.throttle_take(
            (public.CODE_PHONE, phone), now=start + timedelta(minutes=60, seconds=30)
        )
    assert refused.value.retry_after <= 31  # one a minute
    assert PublicThrottle.objects.count() == 1
    assert phone not in PublicThrottle.objects.get().bucket


def test_five_tickets_an_hour_per_phone(world, monkeypatch):
    monkeypatch.setattr(public, "SUBMIT_IP", public.Limit("submit_ip", ((999, 3600),), "x"))
    for i in range(6):
        client = Client(REMOTE_ADDR=f"203.0.113.{i + 1}")
        PublicThrottle.objects.filter(bucket__startswith="code_phone").delete()
        ask_code(client)
        response = client.post(form_url(), ticket_post(world, code=code_in_outbox()))
        assert response.status_code == (200 if i < 5 else 429), i
    assert Ticket.objects.filter(contact_phone=PHONE).count() == 5
    assert "该手机号提交的工单过多" in response.content.decode()
    # the refused one did not spend the code
    assert PublicVerification.objects.latest("pk").used_at is None


def test_the_address_behind_a_trusted_proxy(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.9", REMOTE_ADDR="10.0.0.1")
    settings.AXES_IPWARE_PROXY_COUNT = None
    assert public.client_ip(request) == "10.0.0.1"  # no proxy trusted: the header is ignored
    settings.AXES_IPWARE_PROXY_COUNT = 1
    assert public.client_ip(request) == "10.0.0.9"  # what our proxy saw, not what was sent


# --- the look-up -------------------------------------------------------------------------------


def _file(world, client, phone=PHONE, **overrides):
    ask_code(client, phone=phone)
    client.post(
        form_url(), ticket_post(world, phone=phone, code=code_in_outbox(phone), **overrides)
    )
    PublicThrottle.objects.filter(bucket__startswith="code_phone").delete()
    return Ticket.objects.filter(contact_phone=phone).latest("pk")


def _look_up(client, number, phone=PHONE):
    ask_code(client, phone=phone, purpose="lookup")
    code = code_in_outbox(phone)
    PublicThrottle.objects.filter(bucket__startswith="code_phone").delete()
    return client.post(lookup_url(), {"number": number, "phone": phone, "code": code})


def test_look_up_shows_only_the_public_history(world, client):
    from anju.service import services

    ticket = _file(world, client)
    agent = world.users["service"]
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=world.users["engineer"])
    response = _look_up(client, str(ticket).lower())
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="found-number">{ticket}<' in html
    assert "处理中" in html and "已受理" in html and "客服专员" in html
    for staff in ("service", "engineer", "servicemgr"):
        user = world.users[staff]
        assert user.username not in html and (user.display_name or "@@") not in html
    assert "林女士" not in html  # nothing beyond what the look-up typed
    assert ticket.description not in html


def test_look_up_with_a_wrong_phone_is_not_found_like_a_missing_ticket(world, client):
    ticket = _file(world, client)
    _file(world, client, phone="13912345602", subject="另一户的投诉")
    wrong_phone = _look_up(client, str(ticket), phone="13912345602")
    missing = _look_up(client, "KF999999", phone="13912345602")
    for response in (wrong_phone, missing):
        html = response.content.decode()
        assert response.status_code == 404
        assert "未找到用该手机号提交的此工单号" in html
        assert "阳台漏水" not in html and "另一户的投诉" not in html
        assert 'data-testid="lookup-result"' not in html

    def body(response):
        html = re.sub(r'value="[^"]*"', "", response.content.decode())
        return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)

    assert body(wrong_phone) == body(missing)


def test_look_ups_are_limited_per_address(world, client):
    statuses = [
        client.post(
            lookup_url(), {"number": "KF000001", "phone": PHONE, "code": "000000"}
        ).status_code
        for _ in range(31)
    ]
    assert statuses == [400] * 30 + [429]


def test_closed_ticket_shows_the_reply(world, client):
    from anju.service import services

    ticket = _file(world, client, ticket_type="consultation", category="other")
    services.ticket_close(by=world.users["service"], ticket=ticket, summary="交房时间为明年六月。")
    html = _look_up(client, str(ticket)).content.decode()
    assert "已办结" in html and "交房时间为明年六月。" in html


# --- where messaging is absent: the picture ---------------------------------------------------


def _answer(token):
    from django.core import signing

    data = signing.loads(token, salt=public.CAPTCHA_SALT)
    return next(
        str(n) for n in range(0, 100) if public._hex("captcha", data["n"], n)[:32] == data["h"]
    )


def test_without_messaging_the_picture_proves_a_person(world, client, settings, make_customer):
    settings.ANJU_PUBLIC_FORM_VERIFICATION = "auto"
    settings.ANJU_MESSAGE_GATEWAYS = {"sms": "no-such-gateway", "email": "dev"}
    assert public.verification_method() == "captcha"
    customer = make_customer(name="图形业主")
    page = client.get(form_url()).content.decode()
    assert 'data-testid="captcha-image"' in page and "获取验证码" not in page
    token = re.search(r'name="captcha_token" value="([^"]+)"', page).group(1)
    data = ticket_post(world, phone=customer.phone, captcha_token=token, captcha="1000")
    data.pop("code")
    wrong = client.post(form_url(), data)
    assert wrong.status_code == 400 and "答案不正确" in wrong.content.decode()
    replay = client.post(form_url(), {**data, "captcha": _answer(token)})
    assert "图形验证已过期" in replay.content.decode()  # one try per picture
    fresh = re.search(r'name="captcha_token" value="([^"]+)"', replay.content.decode()).group(1)
    done = client.post(form_url(), {**data, "captcha_token": fresh, "captcha": _answer(fresh)})
    assert done.status_code == 200
    ticket = Ticket.objects.get(contact_phone=customer.phone)
    assert ticket.customer is None  # an unproved phone links nobody
    assert ask_code(client).status_code == 400  # no codes are sent here


# --- on a phone ---------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_file_a_complaint_and_look_it_up(world, page, screenshot, settings):
    from anju.inventory.models import Unit

    settings.ANJU_PUBLIC_FORM_VERIFICATION = "sms"
    phone = "13912345699"
    project = world.projects["binhai"]
    unit = Unit.objects.filter(project=project).select_related("building").first()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(form_url())
    page.select_option("#id_project", str(project.pk))
    page.select_option("#id_ticket_type", "complaint")
    page.select_option("#id_category", "quality")
    page.fill("#id_subject", "卫生间天花板渗水")
    page.fill("#id_description", "楼上卫生间漏水，已经持续一周，天花板发霉。")
    page.fill("#id_demand", "尽快检查楼上防水并维修")
    page.select_option("#id_building", str(unit.building_id))
    page.fill("#id_unit_number", unit.number)
    page.set_input_files(
        "#id_photos", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.fill("#id_name", "陈先生")
    page.fill("#id_phone", phone)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("#code-status [data-testid=code-sent]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    page.fill("#id_code", code_in_outbox(phone))
    screenshot("service-public-form-phone")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=ticket-number]")
    ticket = Ticket.objects.get(contact_phone=phone)
    assert page.inner_text("[data-testid=ticket-number]").strip() == str(ticket)
    assert ticket.unit_id == unit.pk and ticket.attachments.count() == 1
    screenshot("service-public-form-done")

    PublicThrottle.objects.filter(bucket__startswith="code_phone").delete()  # skip the minute
    page.click("[data-testid=go-lookup]")
    page.fill("#id_number", str(ticket))
    page.fill("#id_phone", phone)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("#code-status [data-testid=code-sent]")
    page.fill("#id_code", code_in_outbox(phone))
    page.click("[data-testid=lookup]")
    page.wait_for_selector("[data-testid=lookup-result]")
    assert page.inner_text("[data-testid=found-number]").strip() == str(ticket)
    assert "已受理" in page.inner_text("[data-testid=found-status]")
    assert "陈先生" not in page.content()
    screenshot("service-public-lookup-phone")

    # a second code within the minute: the 429's message shows where the code would
    page.fill("#id_number", str(ticket))
    page.fill("#id_phone", phone)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("#code-status [data-testid=rate-limited]")
    assert "刚刚已向该手机号发送过验证码" in page.inner_text("#code-status")
    screenshot("service-public-code-too-soon")


# --- several processes at once (PostgreSQL: real threads, each its own connection) -------------


def _race(n, work, target, attr):
    """Run ``work(i)`` in ``n`` threads at once; ``target.attr`` (a read) is widened with a
    barrier so every thread passes it before any writes: only a row lock keeps them apart."""
    import contextlib
    import threading
    from unittest import mock

    from django.db import connection

    start, checked = threading.Barrier(n), threading.Barrier(n)
    real = getattr(target, attr)

    def wait_for_the_others(*args, **kwargs):
        result = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):  # the others wait on the lock
            checked.wait(timeout=3)
        return result

    done, refused, errors = [], [], []

    def run(i):
        try:
            start.wait(timeout=30)
            try:
                done.append(work(i))
            except (RateLimited, public.ApplicationError) as exc:
                refused.append(exc)
            finally:
                connection.close()
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)

    with mock.patch.object(target, attr, wait_for_the_others):
        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not errors, errors
    return done, refused


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_processes_at_once_share_one_count(world):
    limit = public.Limit("race", ((5, 3600),), "x")
    done, refused = _race(
        8,
        lambda i: public.throttle_take((limit, "one-address")),
        public,
        "_retry_after",
    )
    assert len(done) == 5 and len(refused) == 3
    assert len(PublicThrottle.objects.get().hits) == 5


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_code_files_one_ticket_even_at_once(world):
    company = world.companies["sz"]
    public.code_request(company=company, phone=PHONE, purpose="submit", ip="192.0.2.1")
    code = code_in_outbox()
    submission = public.Submission(
        project=world.projects["binhai"],
        ticket_type="repair",
        category="repairs",
        subject="门锁坏了",
        description="入户门锁无法反锁。",
        demand="",
        name="周先生",
        phone=PHONE,
    )
    done, refused = _race(
        4,
        lambda i: public.public_ticket_submit(
            company=company, submission=submission, method="sms", code=code
        ),
        public,
        "code_check",
    )
    assert len(done) == 1 and len(refused) == 3
    assert {exc.code for exc in refused} == {"code_expired"}
    assert Ticket.objects.filter(contact_phone=PHONE).count() == 1
