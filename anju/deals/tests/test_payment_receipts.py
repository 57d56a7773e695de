"""SUB-4, issue 12: every payment prints a 收款收据, every refund a 退款凭证, from the project's
template — buyer and co-buyers, unit, amount in figures and in capitals, what it was for,
what was paid in total and what is still owed after it; out of scope is 404; the template a
manager edits refuses an unknown field, named."""

from decimal import Decimal

import pytest

from anju.core.chinese_money import yuan_figures, yuan_in_capitals
from anju.core.errors import ApplicationError
from anju.core.tests.test_pdf import pdf_text
from anju.deals.documents import document_template_save, receipt_number
from anju.deals.models import DocumentTemplate
from anju.deals.services import contract_sign, payment_record, subscription_set_terms


def _receipt(client, payment):
    answer = client.get(f"/deals/payments/{payment.pk}/receipt.pdf")
    assert answer.status_code == 200, answer.status_code
    assert answer["Content-Type"] == "application/pdf"
    return pdf_text(answer.content)


@pytest.fixture
def deal(world, held, consultant, make_customer):
    """A subscribed deal with a co-buyer and a 50,000 deposit agreed."""
    from anju.customers.services import relation_add
    from anju.deals.services import subscription_confirm

    spouse = make_customer(name="张敏")
    relation_add(by=consultant, customer=held.customer, related=spouse, kind="co_buyer")
    subscription_set_terms(by=consultant, subscription=held, co_buyers=[spouse], deposit="50000")
    subscription_confirm(by=consultant, subscription=held)
    held.refresh_from_db()
    return held


def test_a_payment_receipt_names_buyers_unit_amounts_and_what_is_left(
    world, login, deal, cashier, consultant
):
    deposit = payment_record(
        by=cashier, subscription=deal, amount="50000", method="transfer", receipt_no="SJ-0001"
    )
    contract = contract_sign(by=consultant, subscription=deal, payment_plan="one_off")
    payment = payment_record(by=cashier, subscription=deal, amount="123456.78", method="wechat")
    client = login(consultant)

    text = _receipt(client, deposit)
    assert "收款收据" in text and "SJ-0001" in text and "定金" in text
    assert "伍万元整" in text and yuan_figures(Decimal("50000")) in text

    text = _receipt(client, payment)
    unit = deal.unit
    paid = Decimal("173456.78")
    for expected in (
        "收款收据",
        deal.customer.name,
        "张敏",  # the co-buyer
        deal.project.name,
        unit.building.name,
        unit.number,
        str(deal),
        str(contract),  # 合同编号, signed
        "房款",  # the one-off plan's instalment
        yuan_figures(Decimal("123456.78")),
        yuan_in_capitals(Decimal("123456.78")),  # 壹拾贰万叁仟肆佰伍拾陆元柒角捌分
        yuan_figures(paid),  # 累计已付
        yuan_figures(deal.final_price - paid),  # 尚欠
        "微信支付",
        str(cashier),  # 经办人
        receipt_number(payment),  # no number recorded: the payment's own, stable
    ):
        assert expected.replace(" ", "") in text, expected
    assert receipt_number(payment) == f"{deal.project.code.upper()}-SK{payment.pk:06d}"


def test_a_refund_prints_as_a_refund_with_its_reason(world, login, deal, cashier):
    payment_record(by=cashier, subscription=deal, amount="50000", method="cash")
    refund = payment_record(
        by=cashier, subscription=deal, amount="-5000", method="cash", reason="客户资金周转困难"
    )
    text = _receipt(login(cashier), refund)
    assert "退款凭证" in text and "收款收据" not in text
    assert "退款" in text and "客户资金周转困难" in text
    assert "伍仟元整" in text and yuan_figures(Decimal("5000")) in text
    assert "-¥" not in text and "负" not in text  # paid back, not a negative amount
    assert yuan_figures(Decimal("45000")) in text  # paid in total after the refund
    assert "领款人" in text  # who was paid back signs
    assert f"-TK{refund.pk:06d}" in text


def test_the_instalments_a_payment_covers_are_named(world, login, subscribe, consultant, cashier):
    """A mortgage: the first payment goes to the 首付款, what is beyond it to the loan."""
    deal = subscribe()
    total = deal.final_price
    down = (total * Decimal("0.3")).quantize(Decimal("0.01"))
    contract_sign(
        by=consultant,
        subscription=deal,
        payment_plan="mortgage",
        down_payment=down,
        loan_amount=total - down,
    )
    first = payment_record(by=cashier, subscription=deal, amount=down - 1, method="transfer")
    second = payment_record(by=cashier, subscription=deal, amount="2", method="transfer")
    client = login(cashier)
    text = _receipt(client, first)
    assert "首付款" in text and "按揭贷款" not in text
    assert yuan_figures(total - down + 1) in text  # 尚欠
    assert "首付款、按揭贷款" in _receipt(client, second)


def test_another_projects_consultant_gets_404(world, login, deal, cashier):
    payment = payment_record(by=cashier, subscription=deal, amount="1000", method="cash")
    url = f"/deals/payments/{payment.pk}/receipt.pdf"
    assert login(world.users["consultant2"]).get(url).status_code == 404
    assert login(world.users["consultant_zh"]).get(url).status_code == 404
    assert (
        login(world.users["consultant2"]).get("/deals/payments/999999/receipt.pdf").status_code
        == 404
    )
    assert login(world.users["consultant"]).get(url).status_code == 200


def test_the_contract_page_links_each_payment_and_the_template(
    world, login, deal, consultant, cashier
):
    payment_record(by=cashier, subscription=deal, amount="50000", method="cash")
    contract = contract_sign(by=consultant, subscription=deal, payment_plan="one_off")
    refund = payment_record(
        by=cashier, subscription=deal, amount="-100", method="cash", reason="多收"
    )
    html = login(cashier).get(f"/deals/contracts/{contract.pk}/").content.decode()
    for payment in deal.payments.all():
        assert f"/deals/payments/{payment.pk}/receipt.pdf" in html
    assert "退款凭证" in html  # the refund's link says what it prints
    template_url = f"/deals/templates/{deal.project_id}/payment_receipt/"
    assert template_url in html  # a manager may edit the template
    assert (
        template_url
        not in login(consultant).get(f"/deals/contracts/{contract.pk}/").content.decode()
    )
    assert refund.pk


def test_the_signing_page_links_the_receipts_of_payments_before_signing(
    world, login, deal, consultant, cashier
):
    payment = payment_record(by=cashier, subscription=deal, amount="50000", method="cash")
    html = login(consultant).get(f"/deals/subscriptions/{deal.pk}/contract/").content.decode()
    assert f"/deals/payments/{payment.pk}/receipt.pdf" in html


def test_the_template_editor_offers_the_receipt_and_refuses_an_unknown_field(
    world, login, deal, cashier
):
    manager = world.users["manager"]
    client = login(manager)
    url = f"/deals/templates/{deal.project_id}/payment_receipt/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "{累计已付}" in html and "{金额大写}" in html  # the fields are listed
    assert url in client.get(f"/deals/templates/{deal.project_id}/agreement/").content.decode()
    assert login(world.users["consultant"]).get(url).status_code == 403

    client = login(manager)
    refused = client.post(url, {"title": "收据", "body": "交款人：{交款人}\n{发票号}"})
    assert refused.status_code == 400 and "发票号" in refused.content.decode()
    with pytest.raises(ApplicationError) as exc:
        document_template_save(
            by=manager, project=deal.project, kind="payment_receipt", title="收据", body="{发票号}"
        )
    assert "发票号" in str(exc.value.message) and exc.value.field == "body"
    assert not DocumentTemplate.objects.filter(project=deal.project).exists()

    preview = client.post(url, {"title": "收据", "body": "{交款人}{金额大写}", "preview": "1"})
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"


def test_a_managers_template_prints_and_a_refund_says_so_in_its_title(world, login, deal, cashier):
    document_template_save(
        by=world.users["manager"],
        project=deal.project,
        kind="payment_receipt",
        title="滨海花园收款单",
        body="# {类别}\n{交款人}：{款项}{金额}（{金额大写}），尚欠{尚欠}。",
    )
    payment = payment_record(by=cashier, subscription=deal, amount="2000", method="cash")
    refund = payment_record(
        by=cashier, subscription=deal, amount="-500", method="cash", reason="多收"
    )
    client = login(cashier)
    text = _receipt(client, payment)
    assert "滨海花园收款单" in text and "贰仟元整" in text and "（退款）" not in text
    text = _receipt(client, refund)
    assert "滨海花园收款单（退款）" in text and "退款（原因：多收）" in text and "伍佰元整" in text


def test_the_receipt_reads_few_queries(world, login, deal, cashier, django_assert_max_num_queries):
    payment = payment_record(by=cashier, subscription=deal, amount="1000", method="cash")
    client = login(cashier)
    client.get(f"/deals/payments/{payment.pk}/receipt.pdf")  # warm the session and roles
    with django_assert_max_num_queries(12):
        assert client.get(f"/deals/payments/{payment.pk}/receipt.pdf").status_code == 200
