"""Task lists by role (SAL-2), win/loss aggregation (SAL-4), reception metrics (seed 001)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from anju.reception import selectors, services
from anju.reception.models import LossReason, RiskFactor, WinReason

from .conftest import frozen, local

pytestmark = pytest.mark.django_db


def test_overdue_task_visible_to_consultant_and_his_manager_not_to_others(world, log_call):
    with frozen(local(2026, 4, 1, 10)):
        result = log_call(called_at=local(2026, 4, 1, 9), visit_wanted=True)
    ids = {t.pk for t in result.tasks}
    with frozen(local(2026, 4, 5, 9)):
        consultant = {t.pk for t in selectors.my_tasks(world.users["consultant"]).overdue}
        manager_team = {t.pk for t in selectors.team_overdue_tasks(world.users["manager"])}
        summary = selectors.team_task_summary(world.users["manager"])
        assert ids <= consultant and ids <= manager_team
        row = next(r for r in summary if r["assignee_id"] == world.users["consultant"].pk)
        assert row["overdue"] >= 2
        for outsider in ("consultant2", "manager_zh", "consultant_zh"):
            user = world.users[outsider]
            assert not ids & {t.pk for t in selectors.tasks_visible_to(user)}
            assert not ids & {t.pk for t in selectors.team_overdue_tasks(user)}
            assert not ids & {t.pk for t in selectors.my_tasks(user).overdue}
        # the manager's own list is his own tasks, not his team's
        assert not ids & {t.pk for t in selectors.my_tasks(world.users["manager"]).overdue}


def test_win_loss_aggregation_by_project_channel_consultant_and_reason(world, log_call):
    sz = world.companies["sz"]
    win = list(WinReason.objects.filter(company=sz).order_by("sort_order"))
    loss = list(LossReason.objects.filter(company=sz).order_by("sort_order"))
    plan = [  # (who, project, phone, source, won, reason, value)
        ("consultant", "binhai", "13812341001", "online", True, win[0], "3000000"),
        ("consultant", "binhai", "13812341002", "online", True, win[0], "2000000"),
        ("consultant", "binhai", "13812341003", "referral", False, loss[0], "5000000"),
        ("consultant2", "yunjing", "13812341004", "online", False, loss[1], "4000000"),
        ("consultant2", "yunjing", "13812341005", "referral", True, win[1], "6000000"),
    ]
    closed_on = local(2020, 1, 15, 12)
    for n, (who, project, phone, source, won, reason, value) in enumerate(plan):
        customer = log_call(
            who=who, project=project, phone=phone, name=f"客户{n}", source=source
        ).customer
        opp = services.opportunity_open(
            by=world.users[who],
            customer=customer,
            products_of_interest="三房",
            expected_value=value,
        )
        services.opportunity_close(
            by=world.users[who], opportunity=opp, won=won, reason=reason, when=closed_on
        )
    window = {"date_from": date(2020, 1, 1), "date_to": date(2020, 1, 31)}
    a = selectors.win_loss_analysis(world.users["management"], **window)
    assert (a.total.won, a.total.lost, a.total.won_value) == (3, 2, Decimal("11000000"))
    assert a.total.win_rate == 60.0
    by_project = {r.label: (r.won, r.lost, r.won_value) for r in a.by_project}
    assert by_project == {
        "安居·滨海花园": (2, 1, Decimal("5000000")),
        "安居·云境": (1, 1, Decimal("6000000")),
    }
    by_channel = {r.key: (r.won, r.lost) for r in a.by_channel}
    assert by_channel == {"online": (2, 1), "referral": (1, 1)}
    by_consultant = {r.key: (r.won, r.lost) for r in a.by_consultant}
    assert by_consultant == {
        world.users["consultant"].pk: (2, 1),
        world.users["consultant2"].pk: (1, 1),
    }
    assert dict(a.win_reasons) == {win[0].name: 2, win[1].name: 1}
    assert dict(a.loss_reasons) == {loss[0].name: 1, loss[1].name: 1}
    # scoped: the consultant sees only his own; the Zhuhai manager none of it
    mine = selectors.win_loss_analysis(world.users["consultant"], **window)
    assert (mine.total.won, mine.total.lost) == (2, 1)
    zh = selectors.win_loss_analysis(world.users["manager_zh"], **window)
    assert (zh.total.won, zh.total.lost) == (0, 0)


def test_reception_metrics_against_the_standards(world, log_call):
    day = local(2020, 2, 3, 10)
    with frozen(day + timedelta(hours=8)):
        # rings 2, 3 in time; 5 late. Durations: 11 min too long.
        log_call(
            called_at=day, rings=2, answer_seconds=4, duration_seconds=300, phone="13812342001"
        )
        log_call(
            called_at=day, rings=3, answer_seconds=8, duration_seconds=660, phone="13812342002"
        )
        log_call(
            called_at=day, rings=5, answer_seconds=18, duration_seconds=600, phone="13812342003"
        )
        factors = list(RiskFactor.objects.filter(project=world.projects["binhai"], is_active=True))
        n = len(factors)
        for phone, wait, disclosed in [("13812342001", 30, n), ("13812342002", 75, n - 1)]:
            services.visit_register(
                by=world.users["consultant"],
                project=world.projects["binhai"],
                phone=phone,
                name="来访客户",
                arrived_at=day + timedelta(hours=2),
                reception_started_at=day + timedelta(hours=2, seconds=wait),
                risk_factors=factors[:disclosed],
            )
    m = selectors.reception_metrics(
        world.users["manager"], date_from=date(2020, 2, 3), date_to=date(2020, 2, 3)
    )
    t = m.total
    assert (t.calls, t.answered_in_time, t.too_long) == (3, 2, 1)
    assert t.answered_in_time_pct == 66.7 and t.avg_answer_seconds == 10.0
    assert t.too_long_pct == 33.3
    assert (t.visits, t.waited_in_time, t.waited_in_time_pct) == (2, 1, 50.0)
    assert (t.factors_total, t.factors_disclosed, t.fully_disclosed) == (2 * n, 2 * n - 1, 1)
    assert t.fully_disclosed_pct == 50.0
    assert [r.label for r in m.by_project] == ["安居·滨海花园"]
    assert m.by_consultant[0].calls == 3 and m.by_consultant[0].visits == 2
    zh = selectors.reception_metrics(
        world.users["manager_zh"], date_from=date(2020, 2, 3), date_to=date(2020, 2, 3)
    )
    assert zh.total.calls == 0 and zh.total.answered_in_time_pct is None
