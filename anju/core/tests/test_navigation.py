"""The menu (core.navigation): a role's areas grouped into sections so the bar fits a
1280-pixel screen; a section with one entry is that entry; nothing is lost by grouping."""

import pytest

from anju.core.navigation import NAV_ITEMS, SECTIONS, nav_for, nav_links
from anju.core.permissions import user_roles

pytestmark = pytest.mark.django_db


def opened_by(user):
    roles = user_roles(user)
    return [i.url_name for i in NAV_ITEMS if roles & i.roles]


@pytest.mark.parametrize("username", ["management", "manager", "consultant", "service"])
def test_every_area_of_a_role_is_in_its_menu_once(world, username):
    user = world.users[username]
    menu = nav_for(user)
    assert len(nav_links(menu)) == len(opened_by(user))
    for entry in menu:
        links = entry.get("links")
        if links is not None:
            assert len(links) >= 2  # a section of one would be that entry alone


def test_company_management_s_bar_holds_sections_not_two_dozen_links(world):
    menu = nav_for(world.users["management"])
    assert len(nav_links(menu)) > 20
    assert len(menu) <= 12
    assert {str(e["label"]) for e in menu if "links" in e} >= {"销售", "交易", "客服"}


def test_the_open_page_s_section_is_marked(world):
    menu = nav_for(world.users["manager"], "/reception/tasks/team/")
    sales = next(e for e in menu if str(e["label"]) == str(SECTIONS["reception"]))
    assert sales["active"]
    assert [link["url"] for link in sales["links"] if link["active"]] == ["/reception/tasks/"]


def test_sections_render_as_drop_downs(world, client):
    client.force_login(world.users["management"])
    page = client.get("/").content.decode()
    assert page.count('data-testid="nav-section"') >= 3
    assert "dropdown-item" in page
