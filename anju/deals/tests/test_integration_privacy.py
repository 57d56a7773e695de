"""SEC-2 (PIPL): a person's deals in his data package, and what an erasure keeps of them
(the rows and amounts) and takes (his text, the proof files) — refused while a deal is in
progress. Through the real services (``data_package_start``, ``erasure_approve``)."""

import io
import json
import os
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anju.approvals.models import ApprovalRequest
from anju.core.errors import Conflict
from anju.core.models import Event, Job
from anju.customers.models import Customer
from anju.customers.privacy import personal_data_providers
from anju.customers.privacy_models import ErasureStatus
from anju.customers.privacy_services import (
    data_package_open,
    data_package_start,
    erasure_approve,
    erasure_request,
)
from anju.customers.services import relation_add
from anju.deals.models import (
    Contract,
    Payment,
    QueueTicket,
    RelativeTierClaim,
    SalesChange,
    Subscription,
)
from anju.deals.services import (
    payment_record,
    queue_number_cancel,
    queue_number_issue,
    subscription_hold,
    subscription_release,
    subscription_set_terms,
)
from anju.deals.services.changes import sales_change_request

pytestmark = pytest.mark.django_db

NAME = "欧阳娜娜"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ANJU_PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def person(make_customer):
    return make_customer(name=NAME)


@pytest.fixture
def history(world, person, consultant, cashier, make_customer, available_unit, subscribe, signed):
    """Everything the deals app can hold about the person, every deal finished: a number
    cancelled, a draft given up, a deal signed and paid in full, a friend's deal he co-buys
    (signed, paid), and his tier lent to his son (with proof)."""
    binhai, phone = world.projects["binhai"], person.phone
    ticket = queue_number_issue(
        by=consultant, project=binhai, customer=person, intention=f"{NAME}要三房"
    )
    queue_number_cancel(by=consultant, ticket=ticket, reason=f"{NAME}改买别处 {phone}")
    draft = subscription_hold(by=consultant, unit=available_unit(), customer=person)
    subscription_release(by=consultant, subscription=draft, reason=f"{NAME}放弃")
    own = signed(subscription=subscribe(customer=person, skip=1))
    payment_record(
        by=cashier,
        subscription=own.subscription,
        amount=own.total,
        method="transfer",
        receipt_no="SK-0001",
        reason=f"{NAME}本人转账",
    )
    friend = make_customer(name="李娜")
    relation_add(by=consultant, customer=friend, related=person, kind="friend")
    friends = subscription_hold(by=consultant, unit=available_unit(skip=2), customer=friend)
    subscription_set_terms(by=consultant, subscription=friends, co_buyers=[person])
    from anju.deals.services import subscription_confirm

    subscription_confirm(by=consultant, subscription=friends)
    theirs = signed(subscription=Subscription.objects.get(pk=friends.pk))
    payment_record(by=cashier, subscription=theirs.subscription, amount=theirs.total, method="cash")
    son = make_customer(name="欧阳小明")
    relation_add(by=consultant, customer=son, related=person, kind="parent")
    sons = subscription_hold(by=consultant, unit=available_unit(skip=3), customer=son)
    subscription_set_terms(
        by=consultant,
        subscription=sons,
        relative=person,
        relative_proof=SimpleUploadedFile("hukou.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )
    change = sales_change_request(
        by=consultant,
        subscription=own.subscription,
        kind="price_adjustment",
        reason=f"{NAME}要求优惠，电话{phone}",
        final_price=own.total + 1,
    )
    return {
        "ticket": ticket,
        "draft": draft,
        "own": own,
        "theirs": theirs,
        "sons": sons,
        "change": change,
    }


def _sheets(customer):
    return {p.name: p.fn(customer) for p in personal_data_providers()}


def test_the_data_package_holds_his_deals(person, history):
    sheets = _sheets(person)
    own, theirs = history["own"], history["theirs"]
    assert [r["number"] for r in sheets["queue_numbers"]] == [history["ticket"].number]
    assert sheets["queue_numbers"][0]["intention"] == f"{NAME}要三房"
    assert {r["number"] for r in sheets["subscriptions"]} == {
        history["draft"].number,
        own.subscription.number,
    }
    lines = [
        r for r in sheets["subscription_price_lines"] if r["subscription"] == str(own.subscription)
    ]
    assert lines and lines[-1]["step"] == "final"
    assert lines[-1]["amount"] == str(own.subscription.final_price)
    (co_buying,) = sheets["co_buyer_roles"]
    assert co_buying["subscription"] == str(theirs.subscription) and co_buying["buyer"] == "李*"
    (lent,) = sheets["relative_tier_claims"]
    assert lent["subscription"] == str(history["sons"]) and lent["proof"] == "hukou.pdf"
    assert lent["buyer"] == "欧**明"  # another person: masked
    # a co-buyer is a party to the contract: both contracts, their plans and payments
    assert {r["number"] for r in sheets["contracts"]} == {own.number, theirs.number}
    assert {r["contract"] for r in sheets["instalments"]} == {str(own), str(theirs)}
    assert sorted(r["amount"] for r in sheets["payments"]) == sorted(
        [str(own.total), str(theirs.total)]
    )
    (change,) = sheets["sales_changes"]
    assert change["reason"].startswith(NAME) and change["kind"] == "价格调整"


def test_the_package_file_has_a_chinese_sheet_per_deals_kind(
    world, person, history, django_capture_on_commit_callbacks
):
    steward = world.users["datasteward"]
    with django_capture_on_commit_callbacks(execute=True):
        job = data_package_start(by=steward, customer=person, language="zh-hans")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    path, _name = data_package_open(by=steward, job_id=job.pk)
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    data = json.loads(archive.read(next(n for n in names if n.endswith(".json"))))["data"]
    assert data["contracts"] and data["payments"] and data["co_buyer_roles"]
    book = openpyxl.load_workbook(
        io.BytesIO(archive.read(next(n for n in names if n.endswith(".xlsx"))))
    )
    assert {"排号", "认购", "合同", "付款与退款", "分期款项"} <= set(book.sheetnames)
    headers = [c.value for c in book["付款与退款"][1]]
    assert "金额（元）" in headers or "金额(元)" in headers, headers


def _erase(world, customer):
    request = erasure_request(by=world.users["servicemgr"], customer=customer, reason="客户要求")
    erasure_approve(by=world.users["datasteward"], request=request)
    return request


def test_erasure_keeps_the_deals_and_amounts_and_takes_his_text_and_proofs(
    world, person, history, django_capture_on_commit_callbacks
):
    own, claim = history["own"], RelativeTierClaim.objects.get(subscription=history["sons"])
    phone = person.phone
    proof_path = claim.proof.path
    paid_before = list(Payment.objects.order_by("pk").values_list("pk", "amount", "receipt_no"))

    with django_capture_on_commit_callbacks(execute=True):  # the proof file goes on commit
        _erase(world, person)

    person.refresh_from_db()
    assert person.anonymised_at and person.name.startswith("已匿名-")
    label = person.name
    ticket = QueueTicket.objects.get(pk=history["ticket"].pk)
    assert ticket.intention == f"{label}要三房" and NAME not in ticket.cancel_reason
    assert phone not in ticket.cancel_reason
    assert ticket.number == history["ticket"].number and ticket.status == "cancelled"
    draft = Subscription.objects.get(pk=history["draft"].pk)
    assert draft.cancel_reason == f"{label}放弃"
    # the financial record stays whole: contracts, instalments, payments and their receipts
    contract = Contract.objects.get(pk=own.pk)
    assert contract.total == own.total and contract.instalments.count() >= 1
    assert list(Payment.objects.order_by("pk").values_list("pk", "amount", "receipt_no")) == (
        paid_before
    )
    assert Payment.objects.get(subscription=own.subscription, amount__gt=0).reason == (
        f"{label}本人转账"
    )
    assert Subscription.objects.get(pk=own.subscription.pk).customer_id == person.pk
    # his text in the sales change and its approval request; the proof file is gone
    change = SalesChange.objects.get(pk=history["change"].pk)
    assert NAME not in change.reason and phone not in change.reason
    approval = ApprovalRequest.objects.get(kind="deals.sales_change", target_id=change.pk)
    assert NAME not in json.dumps(approval.payload, ensure_ascii=False)
    assert approval.payload["customer"] == label  # was his masked name
    assert NAME not in approval.summary
    claim.refresh_from_db()
    assert not claim.proof and claim.relation and claim.relative_id == person.pk
    assert not os.path.exists(proof_path)
    applied = Event.objects.get(verb="customers.erasure_applied", subject_id=person.pk)
    counts = applied.details["counts"]
    assert counts["relative_proofs_deleted"] == 1 and counts["payments"] == 1
    # no event about his deals keeps his name or number
    for event in Event.objects.filter(verb__startswith="deals.", subject_id=person.pk):
        text = json.dumps(event.details, ensure_ascii=False)
        assert NAME not in text and phone not in text


@pytest.mark.parametrize("in_progress", ["live_number", "draft", "balance_due", "co_buyer"])
def test_erasure_waits_until_his_deals_are_done(
    world, person, consultant, make_customer, available_unit, signed, subscribe, in_progress
):
    """A live number, an unsigned subscription, a signed deal with a balance due — as the
    buyer or a co-buyer — refuse the erasure with the deal named; nothing is erased."""
    if in_progress == "live_number":
        named = str(
            queue_number_issue(by=consultant, project=world.projects["binhai"], customer=person)
        )
    elif in_progress == "draft":
        named = str(subscription_hold(by=consultant, unit=available_unit(), customer=person))
    elif in_progress == "balance_due":
        named = str(signed(subscription=subscribe(customer=person)).subscription)
    else:
        buyer = make_customer(name="李娜")
        relation_add(by=consultant, customer=buyer, related=person, kind="spouse")
        deal = subscription_hold(by=consultant, unit=available_unit(), customer=buyer)
        subscription_set_terms(by=consultant, subscription=deal, co_buyers=[person])
        named = str(deal)
    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="客户要求")

    with pytest.raises(Conflict) as exc:
        erasure_approve(by=world.users["datasteward"], request=request)

    assert exc.value.code == "deal_in_progress" and named in str(exc.value.message)
    request.refresh_from_db()
    assert request.status == ErasureStatus.PENDING
    assert Customer.objects.get(pk=person.pk).anonymised_at is None


def test_the_erasure_page_says_why_in_chinese(world, person, consultant, login):
    queue_number_issue(by=consultant, project=world.projects["binhai"], customer=person)
    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="客户要求")
    client = login(world.users["datasteward"])
    page = client.post(f"/privacy/requests/{request.pk}/approve/", follow=True)
    assert "进行中的交易" in page.content.decode()
    assert Customer.objects.get(pk=person.pk).anonymised_at is None
