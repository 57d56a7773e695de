"""Demo organisation: 安居集团 with 深圳 and 珠海, three projects, one account per role."""

from anju.core.demo_world import DEMO_PASSWORD
from anju.core.roles import Role

from . import services
from .models import Department, Holding, User

COMPANIES = [("sz", "深圳公司", "深圳"), ("zh", "珠海公司", "珠海")]
PROJECTS = [
    ("sz", "binhai", "安居·滨海花园", "深圳市南山区滨海大道 88 号"),
    ("sz", "yunjing", "安居·云境", "深圳市龙华区民治大道 166 号"),
    ("zh", "haiwan", "安居·海湾里", "珠海市香洲区情侣中路 28 号"),
]
DEPARTMENTS = [
    (Department.Kind.SALES, "销售部"),
    (Department.Kind.SERVICE, "客户关系中心"),
    (Department.Kind.ENGINEERING, "工程部"),
    (Department.Kind.PROPERTY, "物业服务中心"),
    (Department.Kind.MARKETING, "营销部"),
    (Department.Kind.KEY_ACCOUNTS, "大客户组"),
    (Department.Kind.CALL_CENTRE, "呼叫中心"),
    (Department.Kind.MANAGEMENT, "公司管理层"),
]

# username, display name, company, department kind, role, project codes (project roles)
STAFF = [
    ("admin", "系统管理员", "sz", Department.Kind.MANAGEMENT, Role.ADMINISTRATOR, []),
    ("group", "集团客户关系中心·周敏", None, None, Role.GROUP_CENTRE, []),
    (
        "management",
        "深圳公司总经理·陈建国",
        "sz",
        Department.Kind.MANAGEMENT,
        Role.COMPANY_MANAGEMENT,
        [],
    ),
    ("manager", "销售经理·王磊", "sz", Department.Kind.SALES, Role.SALES_MANAGER, ["binhai"]),
    ("consultant", "置业顾问·李娜", "sz", Department.Kind.SALES, Role.SALES_CONSULTANT, ["binhai"]),
    (
        "consultant2",
        "置业顾问·张伟",
        "sz",
        Department.Kind.SALES,
        Role.SALES_CONSULTANT,
        ["yunjing"],
    ),
    ("service", "客服专员·刘洋", "sz", Department.Kind.SERVICE, Role.SERVICE_AGENT, []),
    ("servicemgr", "客服经理·赵静", "sz", Department.Kind.SERVICE, Role.SERVICE_MANAGER, []),
    (
        "callcentre",
        "呼叫中心坐席·孙丽",
        "sz",
        Department.Kind.CALL_CENTRE,
        Role.CALLCENTRE_AGENT,
        [],
    ),
    ("engineer", "工程师·吴刚", "sz", Department.Kind.ENGINEERING, Role.ENGINEER, ["binhai"]),
    ("steward", "物业管家·郑芳", "sz", Department.Kind.PROPERTY, Role.PROPERTY_STEWARD, ["binhai"]),
    (
        "keyaccount",
        "大客户专员·冯涛",
        "sz",
        Department.Kind.KEY_ACCOUNTS,
        Role.KEY_ACCOUNT_REP,
        ["binhai"],
    ),
    ("datasteward", "信息管理专员·何敏", "sz", Department.Kind.SALES, Role.DATA_STEWARD, []),
    (
        "manager_zh",
        "珠海销售经理·黄海",
        "zh",
        Department.Kind.SALES,
        Role.SALES_MANAGER,
        ["haiwan"],
    ),
    (
        "consultant_zh",
        "珠海置业顾问·林芳",
        "zh",
        Department.Kind.SALES,
        Role.SALES_CONSULTANT,
        ["haiwan"],
    ),
]


def set_demo_password(users) -> None:
    """Give demo accounts the short, documented demo password (anju2026).

    Deliberately not through ``staff_create``, which refuses it (too short for the password
    validators, issue 7 item 8): a demo is the one place a known password is wanted.
    """
    from django.contrib.auth.hashers import make_password

    users = list(users)
    hashed = make_password(DEMO_PASSWORD)
    User.objects.filter(pk__in=[u.pk for u in users]).update(password=hashed)
    for user in users:
        user.password = hashed


def seed(world):
    holding = Holding.objects.create(name="安居集团")
    companies = {
        code: services.company_create(by=None, holding=holding, code=code, name=name, city=city)
        for code, name, city in COMPANIES
    }
    projects = {
        code: services.project_create(
            by=None, company=companies[c], code=code, name=name, address=a
        )
        for c, code, name, a in PROJECTS
    }
    # --scale: more projects in each company (named after real districts), for benchmarks.
    for n in range(2, world.scale + 1):
        for c, code, name, a in PROJECTS:
            projects[f"{code}{n}"] = services.project_create(
                by=None, company=companies[c], code=f"{code}{n}", name=f"{name}{n}期", address=a
            )
    departments = {
        (c, kind): Department.objects.create(company=company, kind=kind, name=name)
        for c, company in companies.items()
        for kind, name in DEPARTMENTS
    }
    users = {}
    for username, display, c, dept, role, project_codes in STAFF:
        user = services.staff_create(
            by=None,
            username=username,
            password=None,  # the demo password is set below
            display_name=display,
            company=companies.get(c),
            department=departments.get((c, dept)),
        )
        # The group centre sees everything; it holds its role at the head company.
        company = companies[c or "sz"]
        for project in [projects[p] for p in project_codes] or [None]:
            services.role_assign(by=None, user=user, role=role, company=company, project=project)
        users[username] = user
    set_demo_password(users.values())
    users["admin"].is_staff = users["admin"].is_superuser = True
    users["admin"].save(update_fields=["is_staff", "is_superuser"])
    world["holding"] = holding
    world["companies"] = companies
    world["projects"] = projects
    world["users"] = users
    world.log(f"    {len(companies)} companies, {len(projects)} projects, {len(users)} staff")
