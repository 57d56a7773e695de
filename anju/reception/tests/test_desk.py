"""Issue 9 item 3: the reception order (接待顺序, seed 001).

The next consultant in order greets a new walk-in and goes to the back of the queue; a
consultant who steps out keeps his place; a skip needs a reason and is recorded; a customer
who asks for his consultant is recorded with who received him, and the order does not move;
the manager sees how walk-ins were shared. Two desks taking "next in order" at once never get
the same consultant (real threads on PostgreSQL).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.models import Event
from anju.core.testing import requires_postgres, run_at_once
from anju.reception import desk_selectors
from anju.reception.models import DeskTurn, DutySlot, TurnKind
from anju.reception.services import desk as desk_services
from anju.reception.services import (
    desk_asked_for,
    desk_set_order,
    desk_set_status,
    desk_skip,
    desk_take_next,
    desk_walk_in,
)


def _consultants(world, n, project="binhai", prefix="duty"):
    from anju.org.models import User
    from anju.org.services import role_assign

    users = []
    for i in range(n):
        user = User.objects.create(
            username=f"{prefix}{i}",
            display_name=f"置业顾问·{prefix}{i}",
            company=world.companies["sz"],
        )
        role_assign(
            by=None,
            user=user,
            role="sales_consultant",
            company=world.companies["sz"],
            project=world.projects[project],
        )
        users.append(user)
    return users


@pytest.fixture
def office(world):
    """滨海花园 with three consultants on duty today: 李娜, duty0, duty1, in that order."""
    extra = _consultants(world, 2)
    order = [world.users["consultant"], *extra]
    desk_set_order(by=world.users["manager"], project=world.projects["binhai"], consultants=order)
    return order


def _names(turns):
    return [t.consultant for t in turns]


@pytest.mark.django_db
def test_walkins_go_round_the_order(world, office):
    project, desk = world.projects["binhai"], world.users["consultant"]
    turns = [desk_take_next(by=desk, project=project) for _ in range(4)]
    assert _names(turns) == [office[0], office[1], office[2], office[0]]
    assert all(t.kind == TurnKind.IN_ORDER for t in turns)
    assert Event.objects.filter(verb="reception.desk_in_order").count() >= 4


@pytest.mark.django_db
def test_stepping_out_keeps_the_place_and_is_passed_over(world, office):
    project = world.projects["binhai"]
    first = office[0]
    desk_set_status(by=first, project=project, consultant=first, status="stepped_out")
    assert desk_take_next(by=first, project=project).consultant == office[1]
    desk_set_status(by=first, project=project, consultant=first, status="on_duty")
    # back at the desk, he is first again: his place was kept
    assert desk_take_next(by=first, project=project).consultant == first


@pytest.mark.django_db
def test_only_the_consultant_himself_or_a_manager_steps_him_out(world, office):
    project = world.projects["binhai"]
    with pytest.raises(NotPermitted):
        desk_set_status(by=office[1], project=project, consultant=office[0], status="stepped_out")
    today = DutySlot.objects.get(consultant=office[0], desk_day__day=timezone.localdate())
    assert today.status == "on_duty"
    desk_set_status(
        by=world.users["manager"], project=project, consultant=office[0], status="stepped_out"
    )


@pytest.mark.django_db
def test_a_skip_needs_a_reason_is_recorded_and_moves_to_the_back(world, office):
    project, desk = world.projects["binhai"], world.users["consultant"]
    with pytest.raises(ApplicationError):
        desk_skip(by=desk, project=project, consultant=office[0], reason=" ")
    with pytest.raises(ApplicationError):  # not next: refused rather than skip the wrong one
        desk_skip(by=desk, project=project, consultant=office[1], reason="忙")
    turn = desk_skip(by=desk, project=project, consultant=office[0], reason="正在接待客户")
    assert turn.kind == TurnKind.SKIPPED and turn.reason == "正在接待客户"
    assert desk_take_next(by=desk, project=project).consultant == office[1]
    assert Event.objects.filter(verb="reception.desk_skipped", target_id=turn.pk).exists()


@pytest.mark.django_db
def test_asked_for_consultant_records_the_receiver_and_keeps_the_order(world, office):
    project, desk = world.projects["binhai"], office[1]
    # a customer asks for 张伟, a consultant of another project of the same company
    turn = desk_asked_for(by=desk, project=project, consultant=world.users["consultant2"])
    assert turn.kind == TurnKind.ASKED_FOR and turn.received_by_id == desk.pk
    assert desk_take_next(by=desk, project=project).consultant == office[0]
    with pytest.raises(ApplicationError):  # another company's consultant
        desk_asked_for(by=desk, project=project, consultant=world.users["consultant_zh"])


@pytest.mark.django_db
def test_only_a_manager_sets_the_order_and_only_with_the_office_s_consultants(world, office):
    project = world.projects["binhai"]
    with pytest.raises(NotPermitted):
        desk_set_order(by=office[0], project=project, consultants=[office[1]])
    with pytest.raises(ApplicationError):  # consultant2 works at 云境, not here
        desk_set_order(
            by=world.users["manager"], project=project, consultants=[world.users["consultant2"]]
        )
    with pytest.raises(NotPermitted):  # another company's desk is out of scope
        desk_take_next(by=world.users["consultant_zh"], project=project)
    # re-ordering puts the ones left out off duty
    desk_set_order(by=world.users["manager"], project=project, consultants=[office[2], office[0]])
    turns = [desk_take_next(by=office[0], project=project) for _ in range(3)]
    assert _names(turns) == [office[2], office[0], office[2]]


@pytest.mark.django_db
def test_nobody_on_duty_is_a_clear_refusal(world):
    with pytest.raises(ApplicationError):
        desk_take_next(by=world.users["consultant"], project=world.projects["binhai"])


@pytest.mark.django_db
def test_fairness_table_per_consultant_for_a_period(world, office):
    project, desk = world.projects["binhai"], world.users["consultant"]
    for _ in range(3):
        desk_take_next(by=desk, project=project)  # one each
    desk_skip(by=desk, project=project, consultant=office[0], reason="接电话")
    desk_take_next(by=desk, project=project)  # office[1]
    desk_asked_for(by=desk, project=project, consultant=office[2], received_by=office[0])
    today = timezone.localdate()
    rows = {
        r.consultant_id: r
        for r in desk_selectors.desk_fairness(
            world.users["manager"], project=project, date_from=today, date_to=today
        )
    }
    assert (rows[office[0].pk].in_order, rows[office[0].pk].skipped) == (1, 1)
    assert rows[office[0].pk].received_for_colleague == 1
    assert rows[office[1].pk].in_order == 2 and rows[office[1].pk].share == 50.0
    assert rows[office[2].pk].asked_for == 1
    long_ago = today - timedelta(days=400)  # the demo's desk turns are of the last 2 weeks
    assert not desk_selectors.desk_fairness(
        world.users["manager"], project=project, date_from=long_ago, date_to=long_ago
    )
    # a manager of another company sees none of it
    assert not desk_selectors.desk_fairness(world.users["manager_zh"])


@pytest.mark.django_db
def test_desk_page_walk_through(world, office, login, django_assert_max_num_queries):
    project = world.projects["binhai"]
    url = f"/reception/desk/?project={project.pk}"
    consultant = login(world.users["consultant"])
    page = consultant.get(url).content.decode()
    assert 'data-testid="next-name">置业顾问·李娜' in page
    assert 'data-testid="set-order"' not in page  # the order is the manager's
    response = consultant.post(url, {"project": project.pk, "action": "next"}, follow=True)
    assert 'data-testid="next-name">置业顾问·duty0' in response.content.decode()
    bad = consultant.post(
        url,
        {"project": project.pk, "action": "skip", "consultant": office[1].pk, "reason": ""},
        follow=True,
    )
    assert (
        bad.status_code == 200
        and DeskTurn.objects.filter(kind="skipped", desk_day__day=timezone.localdate()).count() == 0
    )
    consultant.post(
        url,
        {"project": project.pk, "action": "skip", "consultant": office[1].pk, "reason": "接电话"},
    )
    skipped = DeskTurn.objects.get(kind="skipped", desk_day__day=timezone.localdate())
    assert skipped.consultant == office[1]
    # the page's reads do not grow with the book
    for _ in range(5):
        desk_take_next(by=world.users["consultant"], project=project)
    with django_assert_max_num_queries(20):
        consultant.get(url)
    manager = login(world.users["manager"])
    page = manager.get(url).content.decode()
    assert 'data-testid="set-order"' in page
    manager.post(
        url,
        {
            "project": project.pk,
            "action": "order",
            f"place_{office[2].pk}": "1",
            f"place_{office[1].pk}": "2",
        },
    )
    assert desk_take_next(by=world.users["manager"], project=project).consultant == office[2]
    metrics = manager.get("/reception/metrics/").content.decode()
    assert 'data-testid="desk-fairness"' in metrics and "duty1" in metrics


# --- a walk-in looked up first: a returning customer goes to his consultant -------------------


def _customer(world, owner, phone, name="老客户甲"):
    from anju.customers.services import customer_register

    return customer_register(
        by=owner,
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone=phone,
        name=name,
    ).customer


def _today():
    """Today's turns (the demo's desk book holds the past two weeks)."""
    return DeskTurn.objects.filter(desk_day__day=timezone.localdate())


def _keys(project):
    return dict(
        DutySlot.objects.filter(project=project, desk_day__day=timezone.localdate()).values_list(
            "consultant_id", "queue_key"
        )
    )


@pytest.mark.django_db
def test_a_returning_customer_goes_to_his_owner_and_the_order_does_not_move(world, office):
    project, manager = world.projects["binhai"], world.users["manager"]
    customer = _customer(world, office[2], "13900007001")
    before = _keys(project)
    result = desk_walk_in(by=manager, project=project, customer=customer)
    turn = result.turn
    assert result.returning and turn.kind == TurnKind.RETURNING
    assert turn.consultant == office[2] and turn.received_by == manager
    assert result.consultant_label == str(office[2])  # the manager sees the customer
    assert _keys(project) == before  # nobody's place moved
    assert desk_take_next(by=manager, project=project).consultant == office[0]
    event = Event.objects.get(verb="reception.desk_returning", target_id=turn.pk)
    assert event.subject_id == customer.pk and event.details["consultant"] == office[2].pk
    # his owner operating the desk himself: a turn for him, nobody received him for a colleague
    own = desk_walk_in(by=office[2], project=project, customer=customer).turn
    assert own.consultant == office[2] and own.received_by is None


@pytest.mark.django_db
def test_an_unknown_visitor_or_one_without_a_consultant_goes_to_the_next_in_order(world, office):
    project, manager = world.projects["binhai"], world.users["manager"]
    unknown = desk_walk_in(by=manager, project=project, phone="13900007002")
    assert not unknown.returning and unknown.turn.kind == TurnKind.IN_ORDER
    assert unknown.turn.consultant == office[0]
    free = _customer(world, manager, "13900007003")  # registered by a manager: no owner
    assert free.owner_id is None
    result = desk_walk_in(by=manager, project=project, customer=free)
    assert result.turn.kind == TurnKind.IN_ORDER and result.turn.consultant == office[1]
    # an owner who no longer receives customers: the next in order too
    gone = _customer(world, office[2], "13900007004")
    office[2].is_active = False
    office[2].save(update_fields=["is_active"])
    assert desk_walk_in(by=manager, project=project, customer=gone).turn.kind == "in_order"
    with pytest.raises(ApplicationError):  # not a phone number
        desk_walk_in(by=manager, project=project, phone="12")
    assert not _today().filter(kind=TurnKind.RETURNING).exists()


@pytest.mark.django_db
def test_a_colleague_s_protected_customer_goes_to_him_and_the_desk_sees_only_his_masked_name(
    world, office, colleague
):
    project, desk = world.projects["binhai"], office[1]
    zhang = colleague  # 张伟, also at 滨海花园 (not on duty today)
    customer = _customer(world, zhang, "13900007005", name="欧阳老客")
    with pytest.raises(NotPermitted):  # the receptionist cannot name a customer he cannot see
        desk_walk_in(by=desk, project=project, customer=customer)
    before = _keys(project)
    result = desk_walk_in(by=desk, project=project, phone="139 0000 7005")
    assert result.returning and result.turn.consultant == zhang
    assert result.consultant_label == "张*"
    assert "张*" in result.message
    assert "张伟" not in result.message and "欧阳" not in result.message
    assert "13900007005" not in result.message and "7005" not in result.message
    assert _keys(project) == before
    # the look-up by number is the receptionist's phone search: in the access log, masked
    from anju.core.models import PersonalDataAccess

    logged = PersonalDataAccess.objects.filter(user=desk, action="search").get()
    assert "139****7005" in logged.description and "13900007005" not in logged.description
    # the book: masked for the desk, in full for the owner and the office's manager
    labels = {
        user.username: desk_selectors.desk_board(user, project, sees_owners=sees)
        .turns[0]
        .consultant_label
        for user, sees in ((desk, False), (zhang, False), (world.users["manager"], True))
    }
    assert labels == {desk.username: "张*", zhang.username: str(zhang), "manager": str(zhang)}
    # another company's customer is nobody's here: the next in order greets him
    from anju.customers.services import customer_register

    customer_register(
        by=world.users["consultant_zh"],
        company=world.companies["zh"],
        phone="13900007006",
        name="别家客户",
    )
    other = desk_walk_in(by=desk, project=project, phone="13900007006")
    assert not other.returning and other.turn.consultant == office[0]


@pytest.mark.django_db
def test_fairness_counts_returning_customers_per_consultant(world, office):
    project, desk = world.projects["binhai"], office[0]
    customer = _customer(world, office[2], "13900007007")
    desk_walk_in(by=world.users["manager"], project=project, customer=customer)
    desk_walk_in(by=desk, project=project, phone="13900007007")
    desk_take_next(by=desk, project=project)
    today = timezone.localdate()
    rows = {
        r.consultant_id: r
        for r in desk_selectors.desk_fairness(
            world.users["manager"], project=project, date_from=today, date_to=today
        )
    }
    assert rows[office[2].pk].returning == 2 and rows[office[2].pk].in_order == 0
    assert rows[office[0].pk].in_order == 1 and rows[office[0].pk].share == 100.0
    assert rows[office[0].pk].received_for_colleague == 1  # seated office[2]'s customer
    page = _manager_metrics(world)
    assert 'data-testid="fairness-returning">2<' in page


def _manager_metrics(world):
    from django.test import Client

    client = Client()
    client.force_login(world.users["manager"])
    return client.get("/reception/metrics/").content.decode()


@pytest.mark.django_db
def test_desk_page_looks_the_visitor_up_first(
    world, office, login, django_assert_num_queries, django_assert_max_num_queries
):
    project = world.projects["binhai"]
    url = f"/reception/desk/?project={project.pk}"
    hidden = _customer(world, office[2], "13900007008", name="隐客户")
    mine = _customer(world, world.users["consultant"], "13900007018", name="李娜的客户")
    desk = login(world.users["consultant"])
    # her own customer, found by the last 4 digits: masked number, his consultant called
    found = desk.post(url, {"project": project.pk, "action": "find", "q": "7018"})
    page = found.content.decode()
    assert found.status_code == 200 and 'data-testid="desk-results"' in page
    assert "李娜的客户" in page and "13900007018" not in page and "139****7018" in page
    assert "隐客户" not in page  # a colleague's customer is not listed
    response = desk.post(url, {"project": project.pk, "returning": mine.pk}, follow=True)
    assert response.redirect_chain[-1][0] == url  # no phone in any URL
    turn = _today().get(kind="returning", consultant=world.users["consultant"])
    assert turn.received_by is None
    # a colleague's customer, by the full number: not listed, handed over by the number
    page = desk.post(url, {"project": project.pk, "action": "find", "q": "13900007008"})
    page = page.content.decode()
    assert 'data-testid="desk-by-number"' in page and "隐客户" not in page
    response = desk.post(
        url, {"project": project.pk, "action": "returning", "q": "13900007008"}, follow=True
    )
    page = response.content.decode()
    assert _today().filter(kind="returning", consultant=office[2]).count() == 1
    assert "d***1" in page and "隐客户" not in page and "13900007008" not in page
    book = page.split('data-testid="desk-book"')[1]
    assert "置业顾问·duty1" not in book and "d***1" in book
    # another's customer by id: 404, nothing written
    assert desk.post(url, {"project": project.pk, "returning": hidden.pk}).status_code == 404
    assert _today().filter(kind="returning").count() == 2
    # the look-up's reads are fixed: one result or ten
    for i in range(12):
        _customer(world, world.users["consultant"], f"1390001{i:04d}", name=f"李娜客户{i}")
    with django_assert_max_num_queries(30) as one:
        desk.post(url, {"project": project.pk, "action": "find", "q": "李娜的客户"})
    with django_assert_num_queries(len(one.captured_queries)):
        many = desk.post(url, {"project": project.pk, "action": "find", "q": "李娜客户"})
    assert many.content.decode().count('data-testid="desk-returning"') == 10


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_taking_next_at_once_never_get_the_same_consultant(world):
    """Real threads, each on its own PostgreSQL connection: N desks press "next in order" at
    the same moment; N different consultants greet N walk-ins, none twice."""
    desks = 4
    project = world.projects["binhai"]
    team = _consultants(world, desks, prefix="race")
    desk_set_order(by=world.users["manager"], project=project, consultants=team)

    def press(user):
        return desk_take_next(by=user, project=project).consultant_id

    # Everyone has read "who is next" before anyone writes — unless the others are blocked on
    # the day's lock (the fixed code): then the pause ends and they go on.
    got, refused, errors = run_at_once(press, team, pause_after=[(desk_services, "_first_on_duty")])
    assert not errors and not refused, (errors, refused)
    assert sorted(got) == sorted(u.pk for u in team)  # everyone once, nobody twice
    keys = list(DutySlot.objects.filter(consultant__in=team).values_list("queue_key", flat=True))
    assert len(set(keys)) == desks
