"""Printed documents (SUB-3, SUB-4): the subscription agreement (认购书), the queue-number
receipt (排号凭证) and a payment's receipt (收款收据, or 退款凭证 for a refund) from the project's
template (or the default), as PDFs with the shipped CJK font.

The buyer's phone and ID number are printed in full only for who may see them in full
(``customers.services.may_reveal``, the one rule); each such print is logged as a full view.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from anju.core import doc_templates as docs
from anju.core.chinese_money import yuan_figures, yuan_in_capitals
from anju.core.events import record_event
from anju.core.masking import mask_id_number, mask_phone
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.services import personal_data_access_log
from anju.core.validation import validate_fields
from anju.customers.services import may_reveal

from .contract_selectors import contract_of, paid_up_to
from .models import DocumentKind, DocumentTemplate, PaymentMethod, SubscriptionStatus
from .services.reminders import _item_name as instalment_name  # 款项 as reminders word it


@dataclass(frozen=True)
class DocumentSpec:
    title: str
    body: str
    fields: dict
    blocks: dict


DEFAULTS = {
    DocumentKind.AGREEMENT: DocumentSpec(
        docs.DEFAULT_AGREEMENT_TITLE,
        docs.DEFAULT_AGREEMENT_TEMPLATE,
        docs.AGREEMENT_FIELDS,
        docs.AGREEMENT_BLOCKS,
    ),
    DocumentKind.QUEUE_RECEIPT: DocumentSpec(
        docs.DEFAULT_QUEUE_RECEIPT_TITLE,
        docs.DEFAULT_QUEUE_RECEIPT_TEMPLATE,
        docs.QUEUE_RECEIPT_FIELDS,
        docs.QUEUE_RECEIPT_BLOCKS,
    ),
    DocumentKind.PAYMENT_RECEIPT: DocumentSpec(
        docs.DEFAULT_PAYMENT_RECEIPT_TITLE,
        docs.DEFAULT_PAYMENT_RECEIPT_TEMPLATE,
        docs.PAYMENT_RECEIPT_FIELDS,
        docs.PAYMENT_RECEIPT_BLOCKS,
    ),
}


def template_for(project, kind) -> tuple[str, str]:
    """(title, body) of the project's template of ``kind``, else the default."""
    row = (
        DocumentTemplate.objects.unscoped("the template of a project the caller scoped")
        .filter(project=project, kind=kind)
        .first()
    )
    spec = DEFAULTS[kind]
    return (row.title, row.body) if row else (spec.title, spec.body)


@transaction.atomic
def document_template_save(*, by, project, kind, title, body) -> DocumentTemplate:
    """A manager edits the project's template; an unknown {field} is refused, named."""
    require_perm(by, Perm.MANAGE_PRICING, company=project.company_id, project=project.pk)
    spec = DEFAULTS[DocumentKind(kind)]
    body = (body or "").replace("\r\n", "\n").strip()
    docs.check_document_template(body, spec.fields, spec.blocks, field="body")
    row = (
        DocumentTemplate.objects.unscoped("one template per project and kind")
        .select_for_update()
        .filter(project=project, kind=kind)
        .first()
    ) or DocumentTemplate(company_id=project.company_id, project=project, kind=kind)
    row.title = (title or "").strip() or spec.title
    row.body, row.updated_by = body, by
    validate_fields(row, ["title", "body"])
    row.save()
    record_event(by=by, verb="deals.template_saved", target=row, details={"kind": kind})
    return row


def preview_pdf(kind, title, body) -> bytes:
    spec = DEFAULTS[DocumentKind(kind)]
    return docs.render_example_pdf(body, spec.fields, spec.blocks, title or spec.title)


# --- the 认购书 ----------------------------------------------------------------------------------


def agreement_pdf(user, subscription) -> bytes:
    """The agreement of a subscription the user sees (the caller read it with
    ``selectors.subscription_detail``): its stored price lines, never a new price."""
    title, body = template_for(subscription.project, DocumentKind.AGREEMENT)
    customer = subscription.customer
    co_buyers = "、".join(c.customer.name for c in subscription.co_buyers.all())
    phone, id_number = _personal(user, customer, "agreement", subscription)
    unit = subscription.unit
    values = {
        "认购编号": str(subscription),
        "认购日期": _day(subscription.subscribed_at or subscription.created_at),
        "公司": subscription.company.name,
        "买受人": customer.name,
        "证件号码": id_number,
        "联系电话": phone,
        "共同买受人": co_buyers,
        "项目": subscription.project.name,
        "楼栋": unit.building.name,
        "房号": unit.number,
        "户型": unit.layout,
        "建筑面积": f"{unit.area}",
        "单价": yuan_figures((subscription.final_price / unit.area).quantize(Decimal("0.01"))),
        "总价": yuan_figures(subscription.final_price),
        "总价大写": yuan_in_capitals(subscription.final_price),
        "付款方式": subscription.get_payment_plan_display(),
        "定金": yuan_figures(subscription.deposit),
        "定金大写": yuan_in_capitals(subscription.deposit),
        "签约期限": _date(subscription.sign_by),
        "顾问": _person(subscription.consultant),
    }
    tables = {
        "价格明细": docs.price_table(_price_rows(subscription), subscription.final_price),
        "签字栏": docs.agreement_signatures(
            subscription.company.name, customer.name, co_buyers, _person(subscription.consultant)
        ),
    }
    return docs.render_document_pdf(body, values, tables, title, author=subscription.company.name)


def _price_rows(subscription):
    rows = []
    for line in subscription.price_lines.all():
        if line.step == "final" or (line.step != "list" and not line.amount):
            continue
        note = line.note or (_share(line.rate) if line.rate is not None else "")
        if line.step == "list":
            unit = subscription.unit
            note = f"{unit.area} ㎡ × {yuan_figures((line.amount / unit.area).quantize(Decimal('0.01')))}"
        rows.append((line.label, note, line.amount))
    return rows


# --- the 排号凭证 --------------------------------------------------------------------------------


def queue_receipt_pdf(user, ticket) -> bytes:
    title, body = template_for(ticket.project, DocumentKind.QUEUE_RECEIPT)
    method = PaymentMethod(ticket.deposit_method).label if ticket.deposit_method else ""
    values = {
        "排号编号": f"{ticket.project.code.upper()}-{ticket}",
        "项目": ticket.project.name,
        "客户": ticket.customer.name,
        "诚意金": yuan_figures(ticket.deposit_amount),
        "诚意金大写": yuan_in_capitals(ticket.deposit_amount),
        "付款方式": str(method),
        "收据号": ticket.deposit_receipt_no,
        "日期": _day(ticket.created_at),
        "顾问": _person(ticket.consultant),
        "公司": ticket.company.name,
    }
    tables = {
        "签字栏": docs.queue_receipt_signatures(ticket.customer.name, _person(ticket.consultant))
    }
    return docs.render_document_pdf(body, values, tables, title, author=ticket.company.name)


# --- the 收款收据 / 退款凭证 of a payment (SUB-4) ---------------------------------------------


def payment_receipt_pdf(user, payment) -> bytes:
    """The receipt of a payment the user sees (the caller read it with
    ``contract_selectors.payment_detail``); a refund prints as a 退款凭证 with its reason,
    its amount as the amount paid back (never a negative amount in capitals)."""
    subscription = payment.subscription
    title, body = template_for(payment.project, DocumentKind.PAYMENT_RECEIPT)
    refund = payment.amount < 0
    amount = abs(payment.amount)
    customer = subscription.customer
    co_buyers = "、".join(c.customer.name for c in subscription.co_buyers.all())
    payer = "、".join(name for name in (customer.name, co_buyers) if name)
    contract = contract_of(subscription)
    total = contract.total if contract is not None else subscription.final_price
    paid = paid_up_to(user, payment)
    unit = subscription.unit
    values = {
        "收据编号": receipt_number(payment),
        "日期": _date(payment.paid_on),
        "公司": payment.company.name,
        "类别": "退款" if refund else "收款",
        "交款人": payer,
        "买受人": customer.name,
        "共同买受人": co_buyers,
        "项目": payment.project.name,
        "楼栋": unit.building.name,
        "房号": unit.number,
        "认购编号": str(subscription),
        "合同编号": str(contract) if contract is not None else "",
        "款项": _payment_item(payment, contract, paid, subscription.deposit),
        "金额": yuan_figures(amount),
        "金额大写": yuan_in_capitals(amount),
        "付款方式": str(PaymentMethod(payment.method).label),
        "退款原因": payment.reason if refund else "",
        "总价": yuan_figures(total),
        "累计已付": yuan_figures(paid),
        # a cancelled deal owes nothing more: what is left is refunded, not due
        "尚欠": ""
        if subscription.status == SubscriptionStatus.CANCELLED
        else yuan_figures(max(total - paid, 0)),
        "经办人": _person(payment.recorded_by),
    }
    tables = {
        "签字栏": docs.payment_receipt_signatures(
            payer, payment.company.name, _person(payment.recorded_by), refund=refund
        )
    }
    printed = docs.payment_receipt_title(title, refund=refund)
    return docs.render_document_pdf(body, values, tables, printed, author=payment.company.name)


def receipt_number(payment) -> str:
    """The receipt number recorded with the payment, else one of its own that never changes:
    the project's code, SK (收款) or TK (退款), the payment's id."""
    if payment.receipt_no:
        return payment.receipt_no
    prefix = "TK" if payment.amount < 0 else "SK"
    return f"{payment.project.code.upper()}-{prefix}{payment.pk:06d}"


def _payment_item(payment, contract, paid, deposit) -> str:
    """款项 as the buyer reads it: 退款 with its reason; before signing the 定金 (up to the
    agreed deposit) and 房款 beyond it; after signing the instalments the payment covers in
    due order (首付款, 第2期房款 …), as payments are spread over them."""
    if payment.amount < 0:
        return f"退款（原因：{payment.reason}）" if payment.reason else "退款"
    before = paid - payment.amount
    if contract is None or payment.created_at < contract.created_at:
        parts = []
        if before < deposit:
            parts.append("定金")
        if paid > deposit:
            parts.append("房款")
        return "、".join(parts)
    names, start = [], Decimal("0")
    for instalment in contract.instalments.order_by("due_date", "position"):
        end = start + instalment.amount
        if start < paid and end > before:
            names.append(instalment_name(instalment))
        start = end
    return "、".join(names) or "房款"


def _personal(user, customer, what, target):
    """Phone and ID number, in full where the one rule allows (logged), else masked."""
    shown = []
    phone = customer.phone or ""
    if phone and may_reveal(user, customer, "phone"):
        shown.append("phone")
    else:
        phone = mask_phone(phone)
    id_number = customer.id_number or ""
    if id_number and may_reveal(user, customer, "id_number"):
        shown.append("id_number")
    else:
        id_number = mask_id_number(id_number)
    if shown:
        personal_data_access_log(
            by=user,
            action="view",
            target=customer,
            fields=",".join(shown),
            description=f"{customer.code} printed on {what} {target}",
        )
    return phone, id_number


def _day(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日"


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _person(user) -> str:
    return str(user) if user else ""


def _share(rate) -> str:
    return f"{(rate * 100).normalize():f}%"
