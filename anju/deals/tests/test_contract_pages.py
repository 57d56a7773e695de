"""The pages of signing and payments (SUB-4): sign from a subscription, a contract with its
instalments and payments, the overdue list (query count flat in the rows), its export and
the reminders' settings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anju.deals.models import Contract, Instalment, Payment, SubscriptionStatus
from anju.deals.services import reminder_settings_for

TODAY = timezone.localdate


def _sign_data(plan="one_off", rows=(), **extra):
    data = {
        "payment_plan": plan,
        "signed_on": TODAY().isoformat(),
        "inst-TOTAL_FORMS": str(max(len(rows), 2)),
        "inst-INITIAL_FORMS": "0",
        **extra,
    }
    for n, (due, amount) in enumerate(rows):
        data[f"inst-{n}-due_date"] = due.isoformat()
        data[f"inst-{n}-amount"] = str(amount)
    return data


def test_a_consultant_signs_a_subscribed_deal_from_its_page(subscribe, consultant, login):
    subscription = subscribe()
    client = login(consultant)
    url = f"/deals/subscriptions/{subscription.pk}/contract/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'data-testid="sign-form"' in page.content and b'name="inst-5-amount"' in page.content
    response = client.post(url, _sign_data())
    contract = Contract.objects.get(subscription=subscription)
    assert (
        response.status_code == 302 and response["Location"] == f"/deals/contracts/{contract.pk}/"
    )
    assert client.get(url)["Location"] == f"/deals/contracts/{contract.pk}/"  # signed: its contract


def test_a_bad_instalment_is_shown_on_its_row(subscribe, consultant, login):
    subscription = subscribe()
    client = login(consultant)
    url = f"/deals/subscriptions/{subscription.pk}/contract/"
    rows = [(TODAY() + timedelta(days=30), "1000"), (TODAY() + timedelta(days=10), "2000")]
    response = client.post(url, _sign_data("instalments", rows))
    assert response.status_code == 400
    assert response.content.count(b"invalid-feedback d-block") == 1  # on the second row
    response = client.post(url, _sign_data("instalments", rows[::-1]))  # do not add up
    assert response.status_code == 400 and b'data-testid="form-error"' in response.content
    assert not Contract.objects.filter(subscription=subscription).exists()


def test_a_draft_shows_that_it_is_not_signable(held, consultant, login):
    page = login(consultant).get(f"/deals/subscriptions/{held.pk}/contract/")
    assert page.status_code == 200 and b'data-testid="not-signable"' in page.content


def test_who_does_not_sell_there_gets_403_and_a_stranger_404(subscribe, world, login):
    subscription = subscribe()
    url = f"/deals/subscriptions/{subscription.pk}/contract/"
    assert login(world.users["callcentre"]).get(url).status_code == 403
    assert login(world.users["consultant2"]).get(url).status_code == 404
    assert login(world.users["consultant2"]).post(url, _sign_data()).status_code == 404
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.SUBSCRIBED


def test_the_contract_page_shows_instalments_and_takes_payments(signed, cashier, login):
    contract = signed()
    client = login(cashier)
    url = f"/deals/contracts/{contract.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and b'data-state="due"' in page.content
    pay = f"/deals/subscriptions/{contract.subscription_id}/payments/"
    data = {"direction": "payment", "amount": "50000", "method": "transfer"}
    response = client.post(pay, {**data, "paid_on": TODAY().isoformat(), "receipt_no": "R-1"})
    assert response.status_code == 302 and response["Location"] == url
    assert b'data-state="partly_paid"' in client.get(url).content
    refund = {**data, "direction": "refund", "amount": "100", "paid_on": TODAY().isoformat()}
    response = client.post(pay, refund)  # a refund without a reason
    assert response.status_code == 400 and b'data-testid="error-reason"' in response.content
    response = client.post(pay, {**refund, "reason": "多收退回"})
    assert response.status_code == 302
    amounts = sorted(
        Payment.objects.filter(subscription_id=contract.subscription_id).values_list(
            "amount", flat=True
        )
    )
    assert amounts == [Decimal("-100.00"), Decimal("50000.00")]


def test_the_contract_page_reads_the_same_queries_whatever_the_payments(signed, cashier, login):
    from anju.deals.services import payment_record

    contract = signed()
    client = login(cashier)
    url = f"/deals/contracts/{contract.pk}/"
    payment_record(by=cashier, subscription=contract.subscription, amount="10", method="cash")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(5):
        payment_record(by=cashier, subscription=contract.subscription, amount="10", method="cash")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(one) <= 12, [q["sql"][:100] for q in many.captured_queries]


def test_a_consultant_sees_the_contract_but_records_no_payment(signed, consultant, login):
    contract = signed()
    client = login(consultant)
    page = client.get(f"/deals/contracts/{contract.pk}/")
    assert page.status_code == 200 and b'data-testid="payment-form"' not in page.content
    pay = f"/deals/subscriptions/{contract.subscription_id}/payments/"
    response = client.post(
        pay, {"direction": "payment", "amount": "1", "method": "cash", "paid_on": TODAY()}
    )
    assert response.status_code == 403
    assert not Payment.objects.filter(subscription_id=contract.subscription_id).exists()


# --- the overdue list ---------------------------------------------------------------------------


def _overdue(contract, days):
    Instalment.objects.filter(contract=contract).update(due_date=TODAY() - timedelta(days=days))


def test_the_overdue_list_reads_a_constant_number_of_queries(signed, world, login, settings):
    settings.ANJU_PAGE_SIZE = 2
    client = login(world.users["manager"])

    def rows(query=""):  # the demo's overdue deals are listed too: count beyond them
        return client.get(f"/deals/overdue/{query}").content.count(b"/deals/contracts/")

    demo, demo_30 = rows(), rows("?overdue_days=30")
    _overdue(signed(), 3)
    with CaptureQueriesContext(connection) as one:
        page = client.get("/deals/overdue/")
    assert page.status_code == 200 and page.content.count(b"/deals/contracts/") == demo + 1
    for days in (10, 40, 100):
        _overdue(signed(), days)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/deals/overdue/")
    assert page.content.count(b"/deals/contracts/") == demo + 4
    assert len(many) == len(one), [q["sql"][:100] for q in many.captured_queries]
    assert rows("?overdue_days=30") == demo_30 + 2
    assert client.get("/deals/overdue/?overdue_days=5").status_code == 200  # not a choice


def test_the_overdue_list_is_for_managers_and_in_their_scope(signed, world, login):
    contract = signed()
    _overdue(contract, 3)
    link = f"/deals/contracts/{contract.pk}/".encode()
    assert login(world.users["consultant"]).get("/deals/overdue/").status_code == 403
    assert link in login(world.users["manager"]).get("/deals/overdue/").content
    zh = login(world.users["manager_zh"]).get("/deals/overdue/").content
    assert link not in zh and b"/deals/contracts/" in zh  # 珠海's own (the demo's) only
    assert link in login(world.users["group"]).get("/deals/overdue/").content


def test_the_overdue_export_masks_the_phone_for_who_may_not_see_it(signed, world, login):
    contract = signed()
    _overdue(contract, 3)
    customer = contract.subscription.customer
    for username, full in (("manager", True), ("group", False)):
        response = login(world.users[username]).get("/deals/overdue/export.csv")
        assert response.status_code == 200, username
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert str(contract) in text and customer.name[0] in text
        assert (customer.phone in text) == full, username
        assert (customer.name in text) == full, username  # the name masked too (李*)
    assert login(world.users["consultant"]).get("/deals/overdue/export.csv").status_code == 403


# --- reminder settings --------------------------------------------------------------------------


def test_a_manager_changes_the_reminders(world, login):
    client = login(world.users["manager"])
    page = client.get("/deals/reminders/")
    assert page.status_code == 200 and b'name="days_before"' in page.content
    company = world.companies["sz"]
    data = {
        "company": company.pk,
        "enabled": "on",
        "days_before": "5",
        "before_text": "{称呼}：{款项}{金额}元于{到期日}到期。",
        "overdue_text": "{称呼}：{款项}{金额}元已逾期。",
    }
    assert client.post("/deals/reminders/", data).status_code == 302
    assert reminder_settings_for(company).days_before == 5
    response = client.post("/deals/reminders/", {**data, "before_text": "{活动}"})
    assert response.status_code == 400 and b'data-testid="error-before_text"' in response.content
    assert login(world.users["consultant"]).get("/deals/reminders/").status_code == 403


@pytest.mark.parametrize("username", ["manager", "consultant"])
def test_the_menu_shows_the_overdue_list_to_managers_only(world, login, username):
    page = login(world.users[username]).get("/").content
    assert (b'href="/deals/overdue/"' in page) == (username == "manager")
