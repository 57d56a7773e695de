"""SUB-3: the agreement printed from a real subscription — customer, unit, each price line,
the total in figures and in capitals, the date — with the font embedded; the template a
manager edits refuses unknown fields."""

from decimal import Decimal

import pytest

from anju.core.chinese_money import yuan_figures, yuan_in_capitals
from anju.core.tests.test_pdf import pdf_text, reader_of
from anju.deals.documents import document_template_save
from anju.deals.models import DocumentTemplate
from anju.deals.services import subscription_confirm, subscription_set_terms


@pytest.fixture
def priced(held, consultant):
    from anju.deals.models import DiscountKind, SalesDiscount

    SalesDiscount.objects.update_or_create(
        project=held.project,
        code="t_one_off",
        defaults={
            "company": held.company,
            "name": "一次性付款优惠",
            "kind": DiscountKind.RATE,
            "value": Decimal("0.0100"),
            "order": 10,
        },
    )
    subscription_set_terms(
        by=consultant, subscription=held, discount_codes=["t_one_off"], deposit="50000"
    )
    subscription_confirm(by=consultant, subscription=held)
    held.refresh_from_db()
    return held


def test_the_agreement_holds_the_deal_in_chinese_with_the_font_embedded(world, login, priced):
    answer = login(world.users["consultant"]).get(f"/deals/subscriptions/{priced.pk}/agreement.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    text = pdf_text(answer.content)
    unit = priced.unit
    for expected in (
        "商品房认购书",
        priced.customer.name,
        priced.project.name,
        unit.building.name,
        unit.number,
        "一次性付款优惠",
        yuan_figures(priced.final_price).replace(" ", ""),
        yuan_in_capitals(priced.final_price),
        str(priced),
    ):
        assert expected.replace(" ", "") in text, expected
    for line in priced.price_lines.exclude(step="final").exclude(amount=0):
        assert yuan_figures(line.amount) in text, line.label
    fonts = [
        f.get_object()
        for page in reader_of(answer.content).pages
        for f in page["/Resources"]["/Font"].values()
    ]
    descriptors = [f["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts]
    assert any(k in d for d in descriptors for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_a_consultant_prints_the_id_number_masked(world, login, priced):
    priced.customer.id_number = "110101199001011234"
    priced.customer.save(update_fields=["id_number"])
    text = pdf_text(
        login(world.users["consultant"])
        .get(f"/deals/subscriptions/{priced.pk}/agreement.pdf")
        .content
    )
    assert "110101199001011234" not in text


def test_a_manager_edits_the_template_and_an_unknown_field_is_named(world, login, priced):
    from anju.core.errors import ApplicationError

    manager = world.users["manager"]
    with pytest.raises(ApplicationError) as exc:
        document_template_save(
            by=manager,
            project=priced.project,
            kind="agreement",
            title="认购书",
            body="买受人：{买受人}\n{不存在的字段}",
        )
    assert "不存在的字段" in str(exc.value.message)
    assert not DocumentTemplate.objects.filter(project=priced.project).exists()
    document_template_save(
        by=manager,
        project=priced.project,
        kind="agreement",
        title="滨海认购确认书",
        body="# 确认\n买受人：{买受人}，总价{总价大写}。",
    )
    text = pdf_text(login(manager).get(f"/deals/subscriptions/{priced.pk}/agreement.pdf").content)
    assert "滨海认购确认书" in text and yuan_in_capitals(priced.final_price) in text


def test_the_template_page_previews_and_refuses_a_consultant(world, login, priced):
    url = f"/deals/templates/{priced.project_id}/agreement/"
    assert login(world.users["consultant"]).get(url).status_code == 403
    client = login(world.users["manager"])
    assert client.get(url).status_code == 200
    preview = client.post(url, {"title": "认购书", "body": "买受人：{买受人}", "preview": "1"})
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"


def test_the_queue_receipt_prints_the_deposit_in_capitals(world, login, buyer):
    from anju.deals.services import queue_number_issue

    consultant = world.users["consultant"]
    ticket = queue_number_issue(
        by=consultant,
        project=world.projects["binhai"],
        customer=buyer,
        deposit_amount="20000",
        deposit_method="wechat",
        deposit_receipt_no="SJ-77",
    )
    text = pdf_text(login(consultant).get(f"/deals/queue/{ticket.pk}/receipt.pdf").content)
    assert "排号凭证" in text and "贰万元整" in text and "SJ-77" in text
