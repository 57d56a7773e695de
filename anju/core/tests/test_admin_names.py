"""Issue 9 item 16: the admin is titled and named as the product, in Chinese."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_index_has_the_products_title_and_chinese_names(world, login):
    response = login(world.users["admin"]).get("/admin/")
    html = response.content.decode()
    assert "Django" not in re.sub(r"<[^>]+>", " ", html.split("<body", 1)[1])
    assert response.context["site_header"] == "安居客户关系管理 · 系统管理"
    for app in response.context["app_list"]:
        names = [str(app["name"])] + [str(m["name"]) for m in app["models"]]
        for name in names:  # every app and model name is Chinese, none left in English
            assert re.search(r"[\u4e00-\u9fff]", name) and not re.search(r"[A-Za-z]", name), (
                app["app_label"],
                name,
            )
