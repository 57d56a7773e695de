"""Phone search (issue 7 items 2 and 9, SEC-2).

Item 2: a masked number (152****5496) must not be rebuilt digit by digit through prefix
search. Roles that may not unmask search phones by the full number or the last 4 digits
only; roles that may unmask keep prefix search; every phone search is logged, masked.

Item 9: phone numbers do not appear in URLs: the list search is a POST whose query is kept
in the session behind a short token (?s=…); API lookups by phone are POSTs with a JSON body.
"""

import json
import re

import pytest

from anju.core.errors import ApplicationError
from anju.core.models import PersonalDataAccess
from anju.core.services import api_token_create
from anju.customers import selectors
from anju.customers.models import Customer
from anju.customers.services import customer_register

pytestmark = pytest.mark.django_db

PHONE = "15212345496"  # shown as 152****5496
PHONE_RUN = re.compile(r"(?<!\d)1\d{10}(?!\d)")  # an 11-digit mainland mobile
URL_ATTRS = re.compile(r"""(?:href|action|src|hx-get|hx-post|data-url)=["']([^"']*)["']""")


@pytest.fixture
def customer(world):
    return customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone=PHONE,
        name="钱多多",
    ).customer


def bearer(user):
    _token, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# --- how an attacker searches ------------------------------------------------------------------


def found_by_selector(user, q):
    try:
        return set(selectors.customer_list(user, q=q).values_list("pk", flat=True))
    except Exception:  # noqa: BLE001 — a refused search finds nothing
        return set()


def search_page(client, q, **filters):
    """The list page's search form: POST, then the page it redirects to."""
    response = client.post("/customers/", {"q": q, **filters})
    if response.status_code in (301, 302, 303):
        assert not PHONE_RUN.search(response["Location"]), response["Location"]
        response = client.get(response["Location"])
    return response


def found_by_page(client, q):
    response = search_page(client, q)
    page = response.context["page"] if response.context else None
    return {c.pk for c in page.object_list} if page else set()


def found_by_api(client, auth, q):
    """Whatever the API gives: the old GET ?q= and the POST search."""
    found = set()
    got = client.get("/api/v1/customers", {"q": q}, **auth)
    if got.status_code == 200:
        found |= {c["id"] for c in got.json()["items"]}
    posted = client.post(
        "/api/v1/customers/search", {"q": q}, content_type="application/json", **auth
    )
    if posted.status_code == 200:
        found |= {c["id"] for c in posted.json()["items"]}
    return found


def rebuild(mask_prefix, length, found):
    """Guess the hidden digits one at a time: extend the prefix while the customer is found."""
    known = mask_prefix
    searches = 0
    while len(known) < length:
        for digit in "0123456789":
            searches += 1
            if found(known + digit):
                known += digit
                break
        else:
            break  # no digit gives the customer away
    return known, searches


# --- item 2: the rebuild attack ----------------------------------------------------------------


@pytest.mark.parametrize("via", ["selector", "page", "api"])
def test_masked_number_cannot_be_rebuilt_by_prefix_search(world, client, login, customer, via):
    """Issue 7 item 2: the call centre (no unmask, sees the whole company) learns nothing."""
    attacker = world.users["callcentre"]
    if via == "selector":

        def found(q):
            return customer.pk in found_by_selector(attacker, q)
    elif via == "page":
        page_client = login(attacker)

        def found(q):
            return customer.pk in found_by_page(page_client, q)
    else:
        auth = bearer(attacker)

        def found(q):
            return customer.pk in found_by_api(client, auth, q)

    known, searches = rebuild("152", 7, found)
    assert known == "152", f"rebuilt {known} in {searches} searches"
    for prefix in ("1", "15", "152", "15212", "1521234", "1521234549"):
        assert not found(prefix), prefix
    # what the masked number already shows, or the whole number, still finds him
    assert found("5496") and found(PHONE) and found("152 1234 5496")


def test_refused_prefix_search_says_why(world, login, customer):
    response = search_page(login(world.users["callcentre"]), "1521234")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    errors = " ".join(response.context["form"].errors.get("q", []))
    assert "Enter the full number or the last 4 digits" in errors or "后 4 位" in errors


def test_refused_prefix_search_is_a_clear_400_in_the_api(world, client, customer):
    response = client.post(
        "/api/v1/customers/search",
        {"q": "1521234"},
        content_type="application/json",
        **bearer(world.users["consultant"]),
    )
    assert response.status_code == 403  # the role may not search by prefix (issue 8 item 1)
    assert response.json()["field"] == "q"
    assert response.json()["code"] == "phone_search_refused"


def test_full_number_guessing_is_limited_for_roles_that_see_masks(
    world, client, settings, customer
):
    """Issue 7 item 2: 152****5496 hides four digits; trying all 10,000 full numbers is cut
    off after the hourly limit (counted in the access log), for the page and the API alike."""
    settings.ANJU_PHONE_SEARCHES_PER_HOUR = 5
    caller = world.users["callcentre"]
    guesses = [f"152{n:04d}5496" for n in range(5)]
    assert all(found_by_selector(caller, g) == set() for g in guesses)
    with pytest.raises(ApplicationError) as refused:
        selectors.customer_list(caller, q=PHONE)  # the right number, but too late
    assert refused.value.code == "rate_limited"
    response = client.post(
        "/api/v1/customers/search", {"q": PHONE}, content_type="application/json", **bearer(caller)
    )
    assert response.status_code == 429 and response.json()["field"] == "q"
    assert response.json()["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 3601  # when the oldest search leaves the hour
    # a role that may see numbers in full is not limited: it learns nothing by guessing
    manager = world.users["manager"]
    for g in guesses + guesses:
        found_by_selector(manager, g)
    assert customer.pk in found_by_selector(manager, PHONE)


@pytest.mark.parametrize("who", ["manager", "datasteward", "management"])
def test_roles_that_may_unmask_keep_prefix_search(world, client, login, customer, who):
    user = world.users[who]
    assert customer.pk in found_by_selector(user, "1521234")
    assert customer.pk in found_by_page(login(user), "152123")
    assert customer.pk in found_by_api(client, bearer(user), "15212345")


def test_prefix_search_stays_where_the_role_may_unmask(world):
    """A manager who is also a consultant elsewhere prefix-searches only his project."""
    from anju.org.services import role_assign

    manager = world.users["manager"]  # unmask on 滨海花园 only
    role_assign(
        by=None,
        user=manager,
        role="sales_consultant",
        company=world.companies["sz"],
        project=world.projects["yunjing"],
    )
    elsewhere = customer_register(
        by=manager,
        company=world.companies["sz"],
        project=world.projects["yunjing"],
        phone="15212345497",
        name="孙多多",
    ).customer
    assert elsewhere.owner_id == manager.pk  # he sees it, masked
    assert elsewhere.pk in found_by_selector(manager, "5497")
    assert elsewhere.pk not in found_by_selector(manager, "1521234549")


# --- item 2: every phone search is logged, masked ----------------------------------------------


def test_every_phone_search_is_logged_with_the_digits_masked(world, client, login, customer):
    user = world.users["consultant"]
    before = PersonalDataAccess.objects.count()
    page = login(user)
    search_page(page, PHONE)  # full number
    search_page(page, "5496")  # last 4
    search_page(page, "152123")  # prefix, refused
    search_page(page, "钱多")  # a name: not a phone search
    auth = bearer(user)
    client.post("/api/v1/customers/search", {"q": "5496"}, content_type="application/json", **auth)
    client.post(
        "/api/v1/customers/lookup",
        {"phone": PHONE, "company_id": world.companies["sz"].pk},
        content_type="application/json",
        **auth,
    )
    rows = list(PersonalDataAccess.objects.order_by("id")[before:])
    # the API's two repeat the page's full and last-4 searches: the same look-ups, one row each
    assert [r.action for r in rows] == ["search"] * 3, [r.description for r in rows]
    assert all(r.user_id == user.pk and r.fields == "phone" for r in rows)
    assert all(r.company_id == world.companies["sz"].pk for r in rows)
    texts = [r.description for r in rows]
    assert "152****5496" in texts[0] and "****5496" in texts[1]
    assert "152***" in texts[2] and "refused" in texts[2]
    for row in PersonalDataAccess.objects.all():
        assert not PHONE_RUN.search(f"{row.description} {row.fields}"), row.description
        assert "152123" not in row.description
    assert rows[0].get_action_display() in ("Searched by phone", "按电话号码搜索")


def test_lookups_for_merge_relations_and_opportunities_are_logged_too(world, customer):
    manager = world.users["manager"]
    before = PersonalDataAccess.objects.filter(action="search").count()
    assert selectors.find_customer(manager, "152-1234-5496") == customer
    assert selectors.find_customer(manager, customer.code) == customer  # a code: not logged
    assert selectors.customer_by_phone(manager, world.companies["sz"], PHONE) == customer
    rows = PersonalDataAccess.objects.filter(action="search").order_by("id")[before:]
    assert [r.description for r in rows] == ["phone search, full: 152****5496"] * 2


# --- item 9: no phone numbers in URLs ----------------------------------------------------------


def urls_in(html):
    return URL_ATTRS.findall(html)


def test_list_search_keeps_the_phone_out_of_every_url(world, login, customer):
    """Issue 7 item 9: the POSTed search redirects to ?s=<token>; links keep the token."""
    client = login(world.users["manager"])
    response = client.post("/customers/", {"q": PHONE})
    assert response.status_code in (302, 303)
    location = response["Location"]
    assert re.fullmatch(r"/customers/\?s=[\w-]{6,32}", location), location
    page = client.get(location)
    assert [c.pk for c in page.context["page"].object_list] == [customer.pk]
    html = page.content.decode()
    links = urls_in(html)
    assert links and not [u for u in links if PHONE_RUN.search(u) or "5496" in u]
    export = next(u for u in links if "export.xlsx" in u).replace("&amp;", "&")
    assert "s=" in export
    exported = client.get(export)
    assert exported.status_code == 200  # the export reads the same search from the token
    # the token lives in this session: another login does not know it
    other = login(world.users["management"]).get(location)
    assert other.status_code == 302 and other["Location"] == "/customers/"


def test_pagination_links_keep_the_search_token_not_the_query(world, login, customer):
    for i in range(60):
        customer_register(
            by=world.users["consultant"],
            company=world.companies["sz"],
            project=world.projects["binhai"],
            phone=f"1370000{i:04d}",
            name=f"钱客{i}",
        )
    client = login(world.users["manager"])
    first = search_page(client, "钱")
    html = first.content.decode()
    nexts = [u for u in urls_in(html) if "page=2" in u]
    assert nexts and all("s=" in u and "q=" not in u for u in nexts)
    second = client.get("/customers/" + nexts[0].replace("&amp;", "&"))
    names = {c.name for c in second.context["page"].object_list}
    assert names and all(n.startswith("钱") for n in names)


def test_name_search_works_through_the_token_too(world, login, customer):
    client = login(world.users["consultant"])
    response = search_page(client, "钱多")
    assert [c.pk for c in response.context["page"].object_list] == [customer.pk]


def test_a_phone_in_the_query_string_is_not_searched(world, login, customer):
    """An old bookmark ?q=<phone> is refused with a reason; nothing is searched or logged."""
    client = login(world.users["manager"])
    before = PersonalDataAccess.objects.count()
    response = client.get("/customers/", {"q": PHONE})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert response.context["form"].errors.get("q")
    assert PersonalDataAccess.objects.count() == before
    assert client.get("/customers/import/export.xlsx", {"q": PHONE}).status_code == 400


def test_unknown_or_foreign_search_token_shows_the_plain_list(world, login, customer):
    client = login(world.users["manager"])
    response = client.get("/customers/?s=nonsense", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain and response.redirect_chain[-1][0] == "/customers/"


def test_api_phone_lookups_are_posts_with_a_json_body(world, client, customer):
    """Issue 7 item 9: no API operation takes a phone in its URL."""
    auth = bearer(world.users["manager"])
    body = {"phone": PHONE, "company_id": world.companies["sz"].pk}
    found = client.post(
        "/api/v1/customers/lookup", json.dumps(body), content_type="application/json", **auth
    )
    assert found.status_code == 200 and found.json()["id"] == customer.pk
    assert found.json()["phone"] == "152****5496"
    assert client.get("/api/v1/customers/lookup", {"phone": PHONE}, **auth).status_code in (
        404,
        405,
    )
    refused = client.get("/api/v1/customers", {"q": PHONE}, **auth)
    assert refused.status_code == 422 and refused.json()["field"] == "q"
    assert "POST" in refused.json()["detail"]
    searched = client.post(
        "/api/v1/customers/search", {"q": PHONE}, content_type="application/json", **auth
    )
    assert [c["id"] for c in searched.json()["items"]] == [customer.pk]
    # names still work with GET, as before
    assert customer.pk in [
        c["id"] for c in client.get("/api/v1/customers", {"q": "钱多"}, **auth).json()["items"]
    ]
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        assert "phone" not in path
        for operation in operations.values():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] != "header"}
            assert "phone" not in names, (path, names)


def test_lookup_answers_404_for_unknown_or_out_of_scope_numbers(world, client, customer):
    body = {"phone": "13900000000", "company_id": world.companies["sz"].pk}
    auth = bearer(world.users["manager"])
    assert (
        client.post(
            "/api/v1/customers/lookup", body, content_type="application/json", **auth
        ).status_code
        == 404
    )
    zh = bearer(world.users["manager_zh"])
    body = {"phone": PHONE, "company_id": world.companies["sz"].pk}
    assert (
        client.post(
            "/api/v1/customers/lookup", body, content_type="application/json", **zh
        ).status_code
        == 404
    )
    assert Customer.objects.filter(phone=PHONE).count() == 1


def test_one_search_is_one_log_row_naming_the_customer_it_found(world, login, customer):
    """Found walking the data steward's day: one search, then choosing the customer and
    coming back, was two rows, and neither said whose number it was (客户 "—"). The same
    search within 10 minutes is one row; a full number names the customer it found."""
    user = world.users["consultant"]
    page = login(user)
    before = PersonalDataAccess.objects.count()
    search_page(page, PHONE)
    page.get(f"/customers/{customer.pk}/")
    search_page(page, PHONE)  # back to the results
    search_page(page, "5496")
    search_page(page, "5496")
    rows = list(PersonalDataAccess.objects.order_by("id")[before:])
    assert [r.description for r in rows] == [
        "phone search, full: 152****5496",
        "phone search, last4: ****5496",
    ]
    assert rows[0].target_id == customer.pk and rows[1].target_id is None
    steward = login(world.users["datasteward"]).get("/access-log/").content.decode()
    assert customer.code in steward  # the 客户 column names him for who may see him


def test_every_guess_at_a_masked_number_is_a_row_of_its_own(world, login, customer):
    """The rows of full numbers that found nobody read alike (152****5496): each is counted,
    or guessing the hidden digits would cost one search (issue 7 item 2)."""
    user = world.users["consultant"]
    before = PersonalDataAccess.objects.count()
    for n in range(3):
        assert found_by_selector(user, f"152{n:04d}5496") == set()
    found_by_selector(user, "15200005496")  # the same guess again: counted again
    assert PersonalDataAccess.objects.count() - before == 4
