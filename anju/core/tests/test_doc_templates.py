"""The document template language (core/doc_templates.py) and the shared {字段} check."""

import pytest

from anju.core.doc_templates import (
    AGREEMENT_BLOCKS,
    AGREEMENT_FIELDS,
    DEFAULT_AGREEMENT_TEMPLATE,
    DEFAULT_AGREEMENT_TITLE,
    DEFAULT_QUEUE_RECEIPT_TEMPLATE,
    DEFAULT_QUEUE_RECEIPT_TITLE,
    QUEUE_RECEIPT_BLOCKS,
    QUEUE_RECEIPT_FIELDS,
    check_document_template,
    render_document_pdf,
    render_example_pdf,
)
from anju.core.errors import ApplicationError
from anju.core.pdf import Column, Table
from anju.core.text_fields import check_fields, fields_used

from .test_pdf import pdf_text


def test_the_default_templates_use_only_their_fields():
    check_document_template(DEFAULT_AGREEMENT_TEMPLATE, AGREEMENT_FIELDS, AGREEMENT_BLOCKS)
    check_document_template(
        DEFAULT_QUEUE_RECEIPT_TEMPLATE, QUEUE_RECEIPT_FIELDS, QUEUE_RECEIPT_BLOCKS
    )
    used = set(fields_used(DEFAULT_AGREEMENT_TEMPLATE))
    assert used == set(AGREEMENT_FIELDS) | set(AGREEMENT_BLOCKS)  # every field is shown
    assert set(fields_used(DEFAULT_QUEUE_RECEIPT_TEMPLATE)) == set(QUEUE_RECEIPT_FIELDS) | set(
        QUEUE_RECEIPT_BLOCKS
    )


def test_an_unknown_field_is_refused_naming_it():
    with pytest.raises(ApplicationError) as refused:
        check_document_template("买受人：{买受人}，楼盘：{楼盘}", AGREEMENT_FIELDS)
    assert refused.value.field == "body"
    assert "{楼盘}" in refused.value.message
    assert "{买受人}" in refused.value.message  # the fields one may use are listed


def test_a_stray_brace_is_refused():
    with pytest.raises(ApplicationError) as refused:
        check_document_template("买受人：{买受人", AGREEMENT_FIELDS, field="text")
    assert refused.value.field == "text"
    assert "{认购编号}" in refused.value.message  # the example is one of these fields


def test_a_block_must_stand_alone_on_its_line():
    check_document_template("价格如下：\n  {价格明细}  \n", AGREEMENT_FIELDS, AGREEMENT_BLOCKS)
    with pytest.raises(ApplicationError) as refused:
        check_document_template("价格如下：{价格明细}", AGREEMENT_FIELDS, AGREEMENT_BLOCKS)
    assert "{价格明细}" in refused.value.message and refused.value.field == "body"
    with pytest.raises(ApplicationError):
        check_document_template("# {价格明细}", AGREEMENT_FIELDS, AGREEMENT_BLOCKS)


def test_an_empty_or_huge_template_is_refused():
    for text in ("", "  \n ", "字" * 20_001):
        with pytest.raises(ApplicationError) as refused:
            check_document_template(text, AGREEMENT_FIELDS, AGREEMENT_BLOCKS)
        assert refused.value.field == "body"


def test_render_refuses_a_field_it_has_no_value_for():
    with pytest.raises(ApplicationError) as refused:
        render_document_pdf("{买受人}{车位号}", {"买受人": "王伟"}, {}, title="认购书")
    assert "{车位号}" in refused.value.message and refused.value.field == "body"


def test_headings_blank_values_and_tables():
    table = Table(columns=(Column("项目"), Column("金额", align="R")), rows=[("车位", "¥1.00")])
    pdf = render_document_pdf(
        "# 第一条　{项目}\n共同买受人：{共同买受人}\n\n{明细}\n{备注}",
        {"项目": "滨海花园", "共同买受人": "", "备注": None},
        {"明细": table},
        title="测试文件",
    )
    text = pdf_text(pdf)
    assert "第一条滨海花园" in text
    assert "共同买受人：/" in text  # a blank is struck through, not left open
    assert "车位¥1.00" in text
    assert text.startswith("测试文件")  # the title is printed on top


def test_previews_of_the_default_templates():
    for template, fields, blocks, title in (
        (DEFAULT_AGREEMENT_TEMPLATE, AGREEMENT_FIELDS, AGREEMENT_BLOCKS, DEFAULT_AGREEMENT_TITLE),
        (
            DEFAULT_QUEUE_RECEIPT_TEMPLATE,
            QUEUE_RECEIPT_FIELDS,
            QUEUE_RECEIPT_BLOCKS,
            DEFAULT_QUEUE_RECEIPT_TITLE,
        ),
    ):
        text = pdf_text(render_example_pdf(template, fields, blocks, title))
        for spec in fields.values():
            assert spec.example.replace(" ", "") in text
    receipt = pdf_text(
        render_example_pdf(
            DEFAULT_QUEUE_RECEIPT_TEMPLATE,
            QUEUE_RECEIPT_FIELDS,
            QUEUE_RECEIPT_BLOCKS,
            DEFAULT_QUEUE_RECEIPT_TITLE,
        )
    )
    assert "排号凭证" in receipt and "BH-0086" in receipt and "贰万元整" in receipt


def test_the_shared_field_check():
    assert fields_used("{a}{b}{a}") == ["a", "b"]
    check_fields("{称呼}您好", ["称呼"])
    with pytest.raises(ApplicationError) as refused:
        check_fields("{称呼}您好 {x}", ["称呼"], field="subject")
    assert refused.value.field == "subject" and "{x}" in refused.value.message
    with pytest.raises(ApplicationError):
        check_fields("}您好", ["称呼"])
