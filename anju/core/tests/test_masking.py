"""SEC-2 masking helpers."""

from anju.core.masking import mask_id_number, mask_name, mask_phone


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_phone("+85291234567") == "*******4567"
    assert mask_phone("") == "" and mask_phone(None) == ""


def test_mask_id_number_keeps_region_and_last_four():
    assert mask_id_number("440301199001011234") == "4403**********1234"
    assert "19900101" not in mask_id_number("440301199001011234")
    assert mask_id_number("123") == "***"


def test_mask_name():
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳娜娜") == "欧**娜"
