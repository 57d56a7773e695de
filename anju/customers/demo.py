"""Demo customers (CUS-1, CUS-2): realistic Chinese names, mobiles, sources, grades, segments.

At scale 1 a few hundred customers are registered one by one through ``customer_register``
(so dedupe, codes, protection and events behave exactly as in the product). ``--scale N``
adds 1,000 × N more through the bulk path below (``bulk_seed``), which is also what
``manage.py seed_customers --customers N`` uses to make a million customers for benchmarks:
codes come from the numbering table in one block per company, and on PostgreSQL the rows are
written with COPY.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from anju.core.errors import ApplicationError
from anju.core.numbering import allocate_number_block
from anju.core.roles import Role

from .models import (
    Customer,
    CustomerPhone,
    CustomerStatus,
    Gender,
    Grade,
    LifeStage,
    PaymentAbility,
    Purpose,
    Source,
)
from .names import name_syllables
from .quality import completeness_of

SCALE_1_CUSTOMERS = 300
BULK_PER_SCALE = 1000

# The 80 commonest surnames, roughly by frequency (weights fall off with rank).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛"
)
COMPOUND_SURNAMES = ["欧阳", "司马", "诸葛", "上官"]
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林文峰建国志东海"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英华红梅兰琳雪婷慧晶颖倩莉萍燕琴云洁佳欣怡雯璐瑶"
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "176", "177", "180", "181", "182", "183", "184", "185", "186",
    "187", "188", "189", "198", "199",
]  # fmt: skip
# Numbers tests like to type by hand (138 1234 5678 …) are never generated.
RESERVED_BLOCK = "1234"
REGION_CODES = {
    "sz": ["440301", "440303", "440304", "440305", "440306", "440307", "440309"],
    "zh": ["440402", "440403", "440404"],
}
OTHER_REGIONS = ["440104", "440106", "430102", "360102", "450103", "350203", "420106", "510104"]

SOURCES = [
    (Source.ADVERTISING, 18),
    (Source.REFERRAL, 14),
    (Source.WALK_BY, 12),
    (Source.ONLINE, 22),
    (Source.EXHIBITION, 6),
    (Source.OWNER_REFERRAL, 8),
    (Source.HOTLINE, 15),
    # the platforms buyers use today (issue 9 item 12): on every company's default list
    ("douyin", 9),
    ("xiaohongshu", 5),
    ("beike", 7),
    ("anjuke", 5),
    ("tongcheng58", 3),
    (Source.OTHER, 5),
]
GRADES = [(Grade.A, 8), (Grade.B, 22), (Grade.C, 40), (Grade.D, 20), ("", 10)]
STATUSES = [
    (CustomerStatus.LEAD, 46),
    (CustomerStatus.VISITOR, 24),
    (CustomerStatus.INTENTION, 14),
    (CustomerStatus.SUBSCRIBED, 4),
    (CustomerStatus.SIGNED, 6),
    (CustomerStatus.OWNER, 5),
    (CustomerStatus.LOYAL, 1),
]
# life stage → (typical age range, payment abilities to draw from, layouts)
LIFE_STAGES = {
    LifeStage.SINGLE_FIRST: ((23, 30), "LLM", "一室一厅 两室一厅"),
    LifeStage.YOUNG_COUPLE: ((25, 33), "LMM", "两室两厅 三室两厅"),
    LifeStage.FAMILY_BABY: ((28, 36), "MMH", "三室两厅"),
    LifeStage.FAMILY_YOUNG_KIDS: ((31, 42), "MMH", "三室两厅 四室两厅"),
    LifeStage.FAMILY_TEENS: ((38, 50), "MHH", "四室两厅"),
    LifeStage.MATURE_FAMILY: ((45, 58), "MHH", "三室两厅 四室两厅"),
    LifeStage.THREE_GENERATIONS: ((35, 55), "MHH", "四室两厅 五室两厅"),
    LifeStage.EMPTY_NEST: ((52, 65), "MMH", "两室两厅 三室两厅"),
    LifeStage.ACTIVE_SENIOR: ((60, 75), "MMH", "两室两厅"),
    LifeStage.AFFLUENT_UPGRADER: ((35, 55), "HHH", "四室两厅 别墅"),
    LifeStage.INVESTOR: ((30, 60), "MHH", "一室一厅 两室一厅"),
}
ABILITY = {"L": PaymentAbility.LOW, "M": PaymentAbility.MIDDLE, "H": PaymentAbility.HIGH}
BUDGET = {"L": (150, 300), "M": (300, 800), "H": (800, 2500)}  # 万元
OCCUPATIONS = [
    "软件工程师", "教师", "医生", "护士", "公务员", "会计", "销售经理", "个体经营",
    "企业主", "律师", "设计师", "银行职员", "工程师", "外贸业务员", "退休", "自由职业",
]  # fmt: skip
STREETS = {
    "sz": ["南山区科技园", "福田区香蜜湖", "龙华区民治", "宝安区西乡", "罗湖区东门", "南山区蛇口"],
    "zh": ["香洲区拱北", "香洲区吉大", "金湾区三灶", "斗门区井岸"],
}


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


_SURNAME_WEIGHTS = [1 / (i + 8) for i in range(len(SURNAMES))]


def random_name(rng, gender: str) -> str:
    if rng.random() < 0.01:
        surname = rng.choice(COMPOUND_SURNAMES)
    else:
        surname = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    pool = GIVEN_MALE if gender == Gender.MALE else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return surname + given


def random_mobile(rng) -> str:
    while True:
        middle = f"{rng.randrange(10_000):04d}"
        if middle != RESERVED_BLOCK:
            return f"{rng.choice(MOBILE_PREFIXES)}{middle}{rng.randrange(10_000):04d}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character of a resident ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def random_id_number(rng, company_code: str, birth: date, gender: str) -> str:
    region = rng.choice(REGION_CODES.get(company_code, []) + OTHER_REGIONS)
    seq = rng.randrange(500) * 2 + (1 if gender == Gender.MALE else 0)  # odd = male
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


def random_profile(rng, company_code: str, today: date) -> dict:
    """Profile fields (as customer_register accepts them) plus name and phone."""
    gender = Gender.MALE if rng.random() < 0.55 else Gender.FEMALE
    stage = rng.choice(list(LIFE_STAGES))
    (age_lo, age_hi), abilities, layouts = LIFE_STAGES[stage]
    age = rng.randint(age_lo, age_hi)
    birth = today.replace(year=today.year - age, month=1, day=1) + timedelta(
        days=rng.randrange(365)
    )
    ability = rng.choice(abilities)
    lo, hi = BUDGET[ability]
    budget = rng.randrange(lo, hi, 10)
    area = rng.choice([60, 75, 89, 100, 118, 128, 143, 168])
    rich = rng.random()
    profile = {
        "name": random_name(rng, gender),
        "phone": random_mobile(rng),
        "gender": gender,
        "source": _weighted(rng, SOURCES),
        "grade": _weighted(rng, GRADES),
        "life_stage": stage if rich < 0.8 else "",
        "payment_ability": ABILITY[ability] if rich < 0.7 else "",
        "purpose": (Purpose.INVESTMENT if stage == LifeStage.INVESTOR else Purpose.SELF_USE)
        if rich < 0.75
        else "",
    }
    if rich < 0.6:
        profile["birth_date"] = birth
    if rich < 0.4:
        profile["id_number"] = random_id_number(rng, company_code, birth, gender)
    if rich < 0.5:
        profile["occupation"] = rng.choice(OCCUPATIONS)
        profile["layout_wanted"] = rng.choice(layouts.split())
        profile["area_min"] = Decimal(area - 10)
        profile["area_max"] = Decimal(area + 15)
        profile["budget_min"] = Decimal(budget * 10_000)
        profile["budget_max"] = Decimal((budget + budget // 5) * 10_000)
    if rich < 0.3:
        profile["address"] = rng.choice(STREETS.get(company_code, ["市区"])) + (
            f"{rng.randint(1, 30)}栋{rng.randint(1, 33)}0{rng.randint(1, 4)}"
        )
    return profile


def project_consultants(projects) -> dict[int, list]:
    """Sales consultants (and key-account reps) by project id, from their role assignments."""
    from anju.org.models import RoleAssignment

    out: dict[int, list] = {p.pk: [] for p in projects}
    rows = RoleAssignment.objects.filter(
        project__in=list(projects),
        role__in=[Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP],
        user__is_active=True,
    ).select_related("user")
    for ra in rows.order_by("user_id"):
        if ra.user not in out[ra.project_id]:
            out[ra.project_id].append(ra.user)
    return out


# --- scale 1: one by one through the real registration service -----------------------------


def seed(world):
    from .services import customer_register

    rng = world.rng
    users = world["users"]
    projects = [
        p for code, p in world["projects"].items() if code in ("binhai", "yunjing", "haiwan")
    ]
    consultants = project_consultants(projects)
    callcentre = users.get("callcentre")
    today = timezone.localdate()
    now = timezone.now()
    created, statuses = [], []
    fallback = registered = 0
    for i in range(SCALE_1_CUSTOMERS):
        project = projects[i % len(projects)]
        company = project.company
        profile = random_profile(rng, company.code, today)
        owners = consultants.get(project.pk) or []
        by = rng.choice(owners) if owners and rng.random() < 0.9 else None
        if by is None:  # a hotline lead nobody owns yet
            by = callcentre if company.code == "sz" and callcentre else users["admin"]
            profile["source"] = Source.HOTLINE
        elif by.username == "keyaccount":
            profile["source"] = Source.KEY_ACCOUNT
        try:
            reg = customer_register(by=by, company=company, project=project, **profile)
        except ApplicationError:  # a random number collided with a protected customer
            continue
        except DatabaseError as exc:  # never leave the demo without customers
            world.log(f"    customer_register failed ({exc}); bulk-loading the rest")
            fallback = SCALE_1_CUSTOMERS - i
            break
        if reg.created:
            created.append(reg.customer)
            registered += 1
    # Spread registrations over the past 18 months and move some customers along the
    # lifecycle (calls and visits for them are seeded by the reception demo).
    for c in created:
        age = timedelta(days=rng.randrange(540), minutes=rng.randrange(24 * 60))
        c.created_at = now - age
        c.last_activity_at = c.created_at + age * rng.random() * rng.random()
        if c.owner_id:
            c.protected_until = c.last_activity_at + timedelta(
                days=c.company.customer_protection_days
            )
        # Nobody has met an unowned hotline lead: he stays a lead. The reception demo gives
        # the others the visits and opportunities their stage implies (issue 9 item 14).
        c.status = _weighted(rng, STATUSES) if c.owner_id else CustomerStatus.LEAD
        statuses.append(c)
    Customer.objects.bulk_update(
        statuses, ["created_at", "last_activity_at", "protected_until", "status"], batch_size=500
    )
    extra = bulk_seed(world, fallback) if fallback else 0
    if world.scale > 1:
        extra += bulk_seed(world, BULK_PER_SCALE * world.scale, log=world.log)
    if extra:
        created = list(Customer.objects.order_by("-created_at", "-id")[:SCALE_1_CUSTOMERS])
    world["customers"] = created
    world.log(f"    {registered} customers registered, {extra} bulk-loaded")


# --- bulk: a million customers in a few minutes ---------------------------------------------


def customer_code(company, number: int) -> str:
    """Same format as ``services._customer_code``."""
    return f"{company.code.upper()}{number:07d}"


class _NameCache:
    """Pinyin per distinct name (a million customers share a few hundred thousand names)."""

    def __init__(self):
        self.cache = {}

    def __call__(self, name):
        hit = self.cache.get(name)
        if hit is None:
            syl = [s for s in name_syllables(name) if s.isascii()]
            hit = ("".join(syl), "".join(s[0] for s in syl if s and s[0].isalnum()))
            self.cache[name] = hit
        return hit


def bulk_seed(world, count: int, *, chunk: int = 50_000, log=None) -> int:
    """Add ``count`` customers spread over world's projects and their consultants.

    Phones are unique per company (checked against what exists); created_at is spread over
    the past three years in id order, as real registrations are. No events or audit rows are
    written for bulk rows: they are benchmark and demo data, not business actions.
    """
    rng = world.rng
    projects = list(world["projects"].values())
    consultants = project_consultants(projects)
    by_company: dict[int, list] = {}
    for p in projects:
        by_company.setdefault(p.company_id, []).append(p)
    companies = {p.company_id: p.company for p in projects}
    taken = {
        cid: set(CustomerPhone.objects.filter(company_id=cid).values_list("phone", flat=True))
        for cid in companies
    }
    pinyin = _NameCache()
    today = timezone.localdate()
    now = timezone.now()
    span = timedelta(days=3 * 365)
    start = now - span
    made = 0
    # split the count over companies in proportion to their projects
    company_ids = list(companies)
    shares = {cid: count * len(by_company[cid]) // len(projects) for cid in company_ids}
    shares[company_ids[0]] += count - sum(shares.values())
    for cid, share in shares.items():
        company = companies[cid]
        done = 0
        while done < share:
            n = min(chunk, share - done)
            with transaction.atomic():
                first = allocate_number_block(kind="customer_code", scope=company, count=n)
                rows = []
                for k in range(n):
                    project = rng.choice(by_company[cid])
                    profile = random_profile(rng, company.code, today)
                    phone = profile.pop("phone")
                    while phone in taken[cid]:
                        phone = random_mobile(rng)
                    taken[cid].add(phone)
                    owners = consultants.get(project.pk)
                    owner = rng.choice(owners) if owners and rng.random() < 0.92 else None
                    created = start + span * ((made + done + k + rng.random()) / count)
                    last = created + (now - created) * rng.random() * rng.random()
                    name = profile.pop("name")
                    py, initials = pinyin(name)
                    values = {
                        "company_id": cid,
                        "project_id": project.pk,
                        "owner_id": owner.pk if owner else None,
                        "protected_until": last + timedelta(days=company.customer_protection_days)
                        if owner
                        else None,
                        "code": customer_code(company, first + k),
                        "name": name,
                        "name_pinyin": py,
                        "name_initials": initials,
                        "phone": phone,
                        "phone_last4": phone[-4:],
                        "status": _weighted(rng, STATUSES),
                        "created_at": created,
                        "updated_at": last,
                        "last_activity_at": last,
                        **profile,
                    }
                    rows.append(values)
                _write(company, rows)
            done += n
            if log:
                log(f"    {company.code}: {done:,}/{share:,} customers")
        made += share
    return made


_CUSTOMER_FIELDS = None


def _customer_fields():
    global _CUSTOMER_FIELDS
    if _CUSTOMER_FIELDS is None:
        fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
        _CUSTOMER_FIELDS = [(f.attname, f.column, f.get_default()) for f in fields]
    return _CUSTOMER_FIELDS


class _Row:
    """Enough of a customer for completeness_of()."""

    def __init__(self, values):
        self.__dict__.update(values)


def _full(values) -> dict:
    out = {attname: values.get(attname, default) for attname, _col, default in _customer_fields()}
    out["completeness"] = completeness_of(_Row(out))
    return out


def _write(company, rows) -> None:
    rows = [_full(r) for r in rows]
    if connection.vendor == "postgresql":
        _copy_postgres(rows)
        return
    objs = Customer.objects.bulk_create([Customer(**r) for r in rows], batch_size=2000)
    # auto_now(_add) stamped "now" on the way in: put the intended history back
    for o, r in zip(objs, rows, strict=True):
        o.created_at, o.updated_at = r["created_at"], r["updated_at"]
    Customer.objects.bulk_update(objs, ["created_at", "updated_at"], batch_size=2000)
    CustomerPhone.objects.bulk_create(
        [CustomerPhone(company_id=o.company_id, customer_id=o.pk, phone=o.phone) for o in objs],
        batch_size=5000,
    )


def _copy_postgres(rows) -> None:
    """COPY the customers (ids reserved from the identity sequence), then their phones."""
    table = Customer._meta.db_table
    phone_table = CustomerPhone._meta.db_table
    n = len(rows)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        seq = cur.fetchone()[0]
        cur.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [seq, seq, n])
        last = cur.fetchone()[0]
        first_id = last - n + 1
        cols = ["id"] + [col for _a, col, _d in _customer_fields()]
        attnames = [a for a, _c, _d in _customer_fields()]
        raw = cur.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for i, r in enumerate(rows):
                copy.write_row([first_id + i, *(r[a] for a in attnames)])
        stamp = timezone.now()
        with raw.copy(
            f"COPY {phone_table} (created_at, updated_at, company_id, customer_id, phone, label) "
            "FROM STDIN"
        ) as copy:
            for i, r in enumerate(rows):
                copy.write_row([stamp, stamp, r["company_id"], first_id + i, r["phone"], ""])


def load_world():
    """The world dict of an existing demo database (for seed_customers)."""
    import random

    from anju.org.models import Company, Project, User

    class _World(dict):
        scale = 1
        rng = random.Random(2027)

        def log(self, message):
            print(message)

    w = _World()
    w["companies"] = {c.code: c for c in Company.objects.all()}
    w["projects"] = {p.code: p for p in Project.objects.select_related("company")}
    w["users"] = {u.username: u for u in User.objects.all()}
    return w
