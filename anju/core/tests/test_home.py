"""The home page shows each user his own tasks and, for managers, the team's."""


def test_consultant_sees_own_task_counts(world, login, django_assert_max_num_queries):
    from anju.reception.selectors import my_tasks

    user = world.users["consultant"]
    expected = my_tasks(user)
    client = login(user)
    # the workbench: tasks 2, today's booked visits and calls 3, five monthly figures 10
    # (each list's FilterSet checks the consultant id, then counts), the rest of the page
    with django_assert_max_num_queries(25):
        response = client.get("/")
    assert response.status_code == 200
    assert response.context["tasks"].open_count == expected.open_count
    assert all(row["assignee_id"] != user.pk for row in response.context["team"])


def test_manager_sees_team_and_zh_manager_sees_no_sz_consultant(world, login):
    manager = login(world.users["manager"]).get("/")
    names = [row["name"] for row in manager.context["team"]]
    assert "置业顾问·李娜" in names
    zh = login(world.users["manager_zh"]).get("/")
    assert "置业顾问·李娜" not in [row["name"] for row in zh.context["team"]]


def test_every_role_can_open_home(world, client):
    for user in world.users.values():
        client.force_login(user)
        assert client.get("/").status_code == 200, user.username


def test_roles_outside_sales_management_see_no_team_table(world, login):
    for username in ("engineer", "service", "steward", "consultant"):
        response = login(world.users[username]).get("/")
        assert response.context["team"] == [], username
        assert 'data-testid="home-team"' not in response.content.decode()


def test_user_menu_does_not_repeat_a_role_the_name_states(world, login):
    menu = login(world.users["manager"]).get("/").context["user_role_labels"]
    assert "销售经理" not in menu
