"""Document templates a manager edits in the browser (SUB-3 认购书, the 排号凭证 receipt, the
收款收据 / 退款凭证 of a payment, SUB-4).

The language is plain text, one paragraph a line:

* ``{字段}`` is replaced by a field's value; the caller names the fields it knows
  (a registry ``name → DocumentField(description, example)``), the same ``{…}`` syntax
  as message templates (``core/text_fields.py``);
* a line starting with ``# `` is a heading (第一条 …);
* a line holding nothing but a block field, ``{价格明细}``, places a block the caller
  supplies: a ``pdf.Table`` or the ``pdf.Signatures`` block;
* an empty line is a little vertical space; leading spaces (全角 "　　") indent.

A field with no value prints as "/" (a blank in a Chinese contract is struck through, not
left open). ``check_document_template`` refuses an unknown field, a stray brace or a block
that does not stand alone, naming it, with ``field="body"`` for the form.

    check_document_template(text, AGREEMENT_FIELDS, AGREEMENT_BLOCKS)
    pdf = render_document_pdf(text, values, {"价格明细": table, "签字栏": signatures},
                              title=DEFAULT_AGREEMENT_TITLE)
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import ApplicationError
from anju.core.pdf import Column, PdfDocument, Signatures, Table
from anju.core.text_fields import FIELD_PATTERN, check_fields

HEADING_PREFIX = "# "
BLOCK_LINE = re.compile(r"^\s*\{([^{}]*)\}\s*$")
BLANK = "/"
MAX_TEMPLATE_LENGTH = 20_000


@dataclass(frozen=True)
class DocumentField:
    """A field a template may use: what it is (shown to the editor) and an example value."""

    description: object
    example: str = ""


@dataclass(frozen=True)
class DocumentBlock:
    """A block field (a table or the signatures) and the example a preview shows."""

    description: object
    example: Table | Signatures | None = None


Block = Table | Signatures


def check_document_template(
    text: str,
    fields: Mapping[str, object],
    blocks: Mapping[str, object] = {},  # noqa: B006 - read only
    *,
    field: str = "body",
) -> None:
    """Refuse a template the renderer could not print, naming the field at fault."""
    text = text or ""
    if not text.strip():
        raise ApplicationError(_("The template is empty."), field=field)
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise ApplicationError(
            _("A template has at most %(limit)d characters.") % {"limit": MAX_TEMPLATE_LENGTH},
            field=field,
        )
    example = f"{{{next(iter(fields))}}}" if fields else "{字段}"
    check_fields(text, [*fields, *blocks], field=field, example=example)
    for line in text.splitlines():
        alone = BLOCK_LINE.match(line)
        for name in FIELD_PATTERN.findall(line):
            if name in blocks and not alone:
                raise ApplicationError(
                    _("{%(block)s} is a block: put it alone on its own line.") % {"block": name},
                    field=field,
                )


def render_document_pdf(
    text: str,
    values: Mapping[str, object],
    tables: Mapping[str, Block],
    title: str,
    *,
    author: str = "",
    blank: str = BLANK,
) -> bytes:
    """The template as a PDF: ``title`` printed on top (and in the file's metadata), every
    ``{字段}`` from ``values`` (None or "" prints ``blank``), every block line from ``tables``.
    """
    check_document_template(text, values, tables)

    def value(match: re.Match) -> str:
        found = values[match.group(1)]
        found = "" if found is None else str(found).strip()
        return found or blank

    doc = PdfDocument(title=title, author=author)
    doc.title(title)
    for line in text.splitlines():
        alone = BLOCK_LINE.match(line)
        if alone and alone.group(1) in tables:
            block = tables[alone.group(1)]
            if isinstance(block, Signatures):
                doc.signatures(block)
            else:
                doc.table(block)
        elif not line.strip():
            doc.space()
        elif line.startswith(HEADING_PREFIX):
            doc.heading(FIELD_PATTERN.sub(value, line[len(HEADING_PREFIX) :]).strip())
        else:
            doc.paragraph(FIELD_PATTERN.sub(value, line.rstrip()))
    return doc.to_bytes()


def example_values(fields: Mapping[str, DocumentField]) -> dict[str, str]:
    return {name: spec.example for name, spec in fields.items()}


def render_example_pdf(
    text: str,
    fields: Mapping[str, DocumentField],
    blocks: Mapping[str, DocumentBlock],
    title: str,
) -> bytes:
    """The template filled with the registry's examples: the editor's preview."""
    tables = {
        name: spec.example or Table(columns=(Column(str(spec.description)),))
        for name, spec in blocks.items()
    }
    return render_document_pdf(text, example_values(fields), tables, title)


def price_table(lines: Sequence[tuple[str, str, Decimal]], total: Decimal) -> Table:
    """The 价格明细 block: (item, how it is computed, amount) per line and the 成交总价 row."""
    return Table(
        columns=(Column("项目", 3), Column("说明", 4), Column("金额（元）", 3, align="R")),
        rows=[(item, note, amount) for item, note, amount in lines],
        total=("成交总价", "", total),
    )


def agreement_signatures(
    company: str, buyer: str, co_buyers: str = "", consultant: str = ""
) -> Signatures:
    """The 签字栏 of a 认购书: seller (seal), buyer, co-buyers when any, the consultant."""
    parties = [("出卖人（甲方，盖章）：", company), ("买受人（乙方，签字）：", buyer)]
    if co_buyers.strip():
        parties.append(("共同买受人（签字）：", co_buyers))
    if consultant.strip():
        parties.append(("置业顾问：", consultant))
    return Signatures(tuple(parties))


def queue_receipt_signatures(customer: str, consultant: str = "") -> Signatures:
    """The 签字栏 of a 排号凭证: the customer and the consultant who took the money."""
    return Signatures((("客户（签字）：", customer), ("经办人（签字）：", consultant)))


def payment_receipt_signatures(
    payer: str, company: str, handler: str = "", *, refund: bool = False
) -> Signatures:
    """The 签字栏 of a 收款收据 (who paid, the seller's seal, who took the money) or of a
    退款凭证 (who was paid back, the seller's seal, who paid it)."""
    if refund:
        parties = (("领款人（签字）：", payer), ("退款单位（盖章）：", company))
    else:
        parties = (("交款人（签字）：", payer), ("收款单位（盖章）：", company))
    return Signatures((*parties, ("经办人（签字）：", handler)))


# --- the 认购书 (SUB-3) ------------------------------------------------------------------------

DEFAULT_AGREEMENT_TITLE = "商品房认购书"

AGREEMENT_FIELDS: dict[str, DocumentField] = {
    "认购编号": DocumentField(gettext_lazy("Subscription number"), "RG-2026-000123"),
    "认购日期": DocumentField(gettext_lazy("Date of subscription"), "2026年11月26日"),
    "公司": DocumentField(gettext_lazy("Seller (the project's company)"), "滨海置业有限公司"),
    "买受人": DocumentField(gettext_lazy("Buyer"), "王伟"),
    "证件号码": DocumentField(gettext_lazy("Buyer's ID number"), "110101199001011234"),
    "联系电话": DocumentField(gettext_lazy("Buyer's phone"), "13800138000"),
    "共同买受人": DocumentField(gettext_lazy("Co-buyers"), "李娜"),
    "项目": DocumentField(gettext_lazy("Project"), "滨海花园"),
    "楼栋": DocumentField(gettext_lazy("Building"), "1栋"),
    "房号": DocumentField(gettext_lazy("Unit number"), "1203"),
    "户型": DocumentField(gettext_lazy("Layout"), "三室两厅两卫"),
    "建筑面积": DocumentField(gettext_lazy("Floor area (m²)"), "89.50"),
    "单价": DocumentField(gettext_lazy("Price per m²"), "¥36,675.98"),
    "总价": DocumentField(gettext_lazy("Total price in figures"), "¥3,282,500.50"),
    "总价大写": DocumentField(
        gettext_lazy("Total price in Chinese capitals"), "叁佰贰拾捌万贰仟伍佰元伍角"
    ),
    "付款方式": DocumentField(gettext_lazy("Payment method"), "按揭"),
    "定金": DocumentField(gettext_lazy("Deposit in figures"), "¥50,000.00"),
    "定金大写": DocumentField(gettext_lazy("Deposit in Chinese capitals"), "伍万元整"),
    "签约期限": DocumentField(gettext_lazy("Sign the contract by"), "2026年12月3日"),
    "顾问": DocumentField(gettext_lazy("Consultant"), "李娜"),
}

AGREEMENT_BLOCKS: dict[str, DocumentBlock] = {
    "价格明细": DocumentBlock(
        gettext_lazy("Price lines (table)"),
        price_table(
            [
                ("标准总价", "89.50 ㎡ × ¥38,000.00", Decimal("3401000.00")),
                ("按揭付款折扣", "九九折", Decimal("-34010.00")),
                ("万客会会员优惠", "金卡", Decimal("-84489.50")),
            ],
            Decimal("3282500.50"),
        ),
    ),
    "签字栏": DocumentBlock(
        gettext_lazy("Signatures"), agreement_signatures("滨海置业有限公司", "王伟", "李娜")
    ),
}

DEFAULT_AGREEMENT_TEMPLATE = """\
认购编号：{认购编号}　　　　认购日期：{认购日期}

出卖人（甲方）：{公司}
买受人（乙方）：{买受人}　　证件号码：{证件号码}　　联系电话：{联系电话}
共同买受人：{共同买受人}

　　根据《中华人民共和国民法典》《商品房销售管理办法》等法律法规的规定，甲乙双方在平等、自愿、协商一致的基础上，就乙方认购甲方开发的{项目}商品房事宜，订立本认购书，共同遵守。

# 第一条　认购房屋
　　乙方认购{项目}{楼栋}{房号}号房（以下简称“该房屋”），户型为{户型}，建筑面积{建筑面积}平方米（以房产测绘机构的实测面积为准）。

# 第二条　房屋价格
　　该房屋按建筑面积计价，单价为每平方米{单价}，价格明细如下：
{价格明细}
　　该房屋总价款为{总价}（人民币大写：{总价大写}）。

# 第三条　付款方式
　　乙方选择{付款方式}方式付款，各期付款的时间和金额以双方签订的《商品房买卖合同》约定为准。选择按揭付款的，乙方应按银行要求提交贷款资料；贷款未获批准的，双方另行协商付款方式。

# 第四条　定金
　　乙方于签署本认购书当日向甲方支付定金{定金}（人民币大写：{定金大写}），甲方开具收据。双方签订《商品房买卖合同》后，定金转为购房款。

# 第五条　签约期限
　　乙方应于{签约期限}前持本认购书、定金收据及身份证明原件到{项目}销售中心与甲方签订《商品房买卖合同》，并支付首期房款。在此期限内，甲方不得将该房屋另售他人。

# 第六条　违约责任
　　一、乙方逾期未签订《商品房买卖合同》或未按约定支付首期房款的，视为乙方放弃认购，甲方有权将该房屋另行出售，乙方已付定金不予退还。
　　二、甲方在签约期限内将该房屋另售他人或拒绝与乙方签订《商品房买卖合同》的，应向乙方双倍返还定金。
　　三、因不可归责于双方的事由未能签订《商品房买卖合同》的，甲方应将定金全额无息退还乙方。

# 第七条　其他约定
　　一、本认购书自双方签字（盖章）之日起生效；双方签订《商品房买卖合同》后本认购书终止，双方权利义务以《商品房买卖合同》为准。
　　二、乙方的联系地址、电话如有变更，应及时书面通知甲方。
　　三、本认购书一式贰份，甲乙双方各执壹份，具有同等法律效力。

置业顾问：{顾问}

{签字栏}
"""


# --- the 排号凭证 receipt (issue 12 item 1) ----------------------------------------------------

DEFAULT_QUEUE_RECEIPT_TITLE = "排号凭证"

QUEUE_RECEIPT_FIELDS: dict[str, DocumentField] = {
    "排号编号": DocumentField(gettext_lazy("Queue number"), "BH-0086"),
    "项目": DocumentField(gettext_lazy("Project"), "滨海花园"),
    "客户": DocumentField(gettext_lazy("Customer"), "王伟"),
    "诚意金": DocumentField(gettext_lazy("Earnest money in figures"), "¥20,000.00"),
    "诚意金大写": DocumentField(gettext_lazy("Earnest money in Chinese capitals"), "贰万元整"),
    "付款方式": DocumentField(gettext_lazy("Payment method"), "银行转账"),
    "收据号": DocumentField(gettext_lazy("Receipt number"), "SJ-2026-004512"),
    "日期": DocumentField(gettext_lazy("Date"), "2026年11月26日"),
    "顾问": DocumentField(gettext_lazy("Consultant"), "李娜"),
    "公司": DocumentField(gettext_lazy("Company"), "滨海置业有限公司"),
}

QUEUE_RECEIPT_BLOCKS: dict[str, DocumentBlock] = {
    "签字栏": DocumentBlock(gettext_lazy("Signatures"), queue_receipt_signatures("王伟", "李娜")),
}

DEFAULT_QUEUE_RECEIPT_TEMPLATE = """\
排号编号：{排号编号}　　　　日期：{日期}

　　兹收到客户{客户}交来{项目}诚意金{诚意金}（人民币大写：{诚意金大写}），付款方式：{付款方式}，收据号：{收据号}。客户凭本凭证参加{项目}的选房，排号编号为{排号编号}。

# 须知
　　一、本凭证仅作为选房的排号依据，不代表已认购具体房号。
　　二、选房并签署认购书后，诚意金按约定转为定金；未选房或放弃选房的，凭本凭证、收据及身份证明原件办理诚意金无息退还。
　　三、本凭证限本人使用，不得转让；遗失请及时告知置业顾问。

置业顾问：{顾问}　　　　{公司}

{签字栏}
"""


# --- the 收款收据 / 退款凭证 of a payment (SUB-4, issue 12) ---------------------------------------

DEFAULT_PAYMENT_RECEIPT_TITLE = "收款收据"
# A refund is printed as a refund: under this title while the template keeps the default one,
# else under the manager's title followed by REFUND_TITLE_SUFFIX.
REFUND_RECEIPT_TITLE = "退款凭证"
REFUND_TITLE_SUFFIX = "（退款）"


def payment_receipt_title(title: str, *, refund: bool) -> str:
    """The printed title: the template's, a refund's own for a refund."""
    title = (title or "").strip() or DEFAULT_PAYMENT_RECEIPT_TITLE
    if not refund:
        return title
    if title == DEFAULT_PAYMENT_RECEIPT_TITLE:
        return REFUND_RECEIPT_TITLE
    return f"{title}{REFUND_TITLE_SUFFIX}"


PAYMENT_RECEIPT_FIELDS: dict[str, DocumentField] = {
    "收据编号": DocumentField(
        gettext_lazy("Receipt number (the one recorded, else the payment's own)"), "BH-SK000123"
    ),
    "日期": DocumentField(gettext_lazy("Date paid"), "2026年11月26日"),
    "公司": DocumentField(gettext_lazy("Company"), "滨海置业有限公司"),
    "类别": DocumentField(gettext_lazy("Payment or refund (收款 / 退款)"), "收款"),
    "交款人": DocumentField(gettext_lazy("The buyer and the co-buyers"), "王伟、李娜"),
    "买受人": DocumentField(gettext_lazy("Buyer"), "王伟"),
    "共同买受人": DocumentField(gettext_lazy("Co-buyers"), "李娜"),
    "项目": DocumentField(gettext_lazy("Project"), "滨海花园"),
    "楼栋": DocumentField(gettext_lazy("Building"), "1栋"),
    "房号": DocumentField(gettext_lazy("Unit number"), "1203"),
    "认购编号": DocumentField(gettext_lazy("Subscription number"), "RG000123"),
    "合同编号": DocumentField(gettext_lazy("Contract number (once signed)"), "HT000045"),
    "款项": DocumentField(
        gettext_lazy("What the money is for (定金, 首付款 … or 退款 with its reason)"), "首付款"
    ),
    "金额": DocumentField(
        gettext_lazy("Amount in figures (a refund: the amount paid back)"), "¥650,000.00"
    ),
    "金额大写": DocumentField(gettext_lazy("Amount in Chinese capitals"), "陆拾伍万元整"),
    "付款方式": DocumentField(gettext_lazy("Payment method"), "银行转账"),
    "退款原因": DocumentField(gettext_lazy("Reason of a refund"), "客户退房"),
    "总价": DocumentField(gettext_lazy("Price of the deal"), "¥3,282,500.50"),
    "累计已付": DocumentField(gettext_lazy("Paid in total, this payment included"), "¥700,000.00"),
    "尚欠": DocumentField(gettext_lazy("Still owed after this payment"), "¥2,582,500.50"),
    "经办人": DocumentField(gettext_lazy("Who recorded the payment"), "李娜"),
}

PAYMENT_RECEIPT_BLOCKS: dict[str, DocumentBlock] = {
    "签字栏": DocumentBlock(
        gettext_lazy("Signatures"),
        payment_receipt_signatures("王伟、李娜", "滨海置业有限公司", "李娜"),
    ),
}

DEFAULT_PAYMENT_RECEIPT_TEMPLATE = """\
收据编号：{收据编号}　　　　日期：{日期}

买受人：{交款人}
房屋：{项目}{楼栋}{房号}号房　　认购编号：{认购编号}　　合同编号：{合同编号}
类别：{类别}　　款项：{款项}
金额：{金额}（人民币大写：{金额大写}）
付款方式：{付款方式}
房屋总价：{总价}　　累计已付：{累计已付}　　尚欠：{尚欠}

# 说明
　　一、本凭证为{公司}收取或退还上述购房款项的凭据，请妥善保管；累计已付与尚欠按本笔款项计入后计算。
　　二、退款凭证须由领款人本人签字，并核对身份证明原件。
　　三、本凭证涂改无效，未加盖收款单位印章无效。

经办人：{经办人}　　　　{公司}

{签字栏}
"""
