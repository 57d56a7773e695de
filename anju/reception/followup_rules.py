"""The follow-up rules (SAL-2, SAL-5): the one place that decides which tasks follow what.

Seed 001 (万科客户接待流程 · 来电后的客户跟进/回访):

* the same day as a call: a thank-you SMS inviting the caller to visit;
* a caller who wants to visit but set no date: a call the next day;
* a caller with a booked visit: a confirmation call the day before.

"Same day", "next day" and "day before" are calendar days in local time (Asia/Shanghai).
Revisits after subscription/signing (SAL-5) are scheduled through the same specs.

The functions here are pure: they return ``TaskSpec`` values; ``services`` writes them.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from .models import TaskKind

RULE_THANK_YOU_SMS = "call.thank_you_sms"
RULE_NEXT_DAY_CALL = "call.next_day_invitation"
RULE_VISIT_CONFIRMATION = "call.visit_confirmation"
RULE_REVISIT = "revisit.after_%s"
RULE_VISIT_BY_COLLEAGUE = "visit.received_by_colleague"

REVISIT_AFTER = ("subscription", "signing")

# 短消息样本 (seed 001), with the placeholders of SPEC SAL-2.
THANK_YOU_SMS = (
    "{salutation}您好，我是{project}销售代表{consultant}，很高兴接听您的来电，"
    "我们随时恭候您光临本项目，如果您对项目还有任何疑问，{hotline_clause}，"
    "愿您在我们项目找到您最满意的“家”。"
)
HOTLINE_CLAUSE = "随时欢迎拨打我们的售楼热线{hotline}"
NO_HOTLINE_CLAUSE = "随时欢迎来电咨询"

COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "申屠",
        "澹台",
        "公羊",
        "太史",
        "百里",
        "呼延",
    ]
)


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    rule: str
    due_date: date
    title: str
    message: str = ""


def local_date(moment) -> date:
    return timezone.localtime(moment).date()


def surname_of(name: str) -> str:
    name = (name or "").strip()
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def salutation(name: str, gender: str = "") -> str:
    """张伟 + M → 张先生; 李娜 + F → 李女士; unknown gender → the full name (never wrong)."""
    name = (name or "").strip()
    if not name:
        return ""
    if not _is_chinese(name):
        return name
    if gender == "M":
        return f"{surname_of(name)}先生"
    if gender == "F":
        return f"{surname_of(name)}女士"
    return name


def _is_chinese(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)


def short_staff_name(user) -> str:
    """'置业顾问·李娜' → '李娜': the customer needs the person, not the job title."""
    text = str(user)
    return text.rsplit("·", 1)[-1].strip()


def render_thank_you_sms(*, name, gender, project_name, consultant, hotline="") -> str:
    clause = HOTLINE_CLAUSE.format(hotline=hotline) if hotline else NO_HOTLINE_CLAUSE
    text = THANK_YOU_SMS.format(
        salutation=salutation(name, gender),
        project=project_name,
        consultant=short_staff_name(consultant),
        hotline_clause=clause,
    )
    return text


def rules_for_call(call, *, customer=None, signer=None, project=None) -> list[TaskSpec]:
    """The follow-up tasks a logged call calls for (SAL-2). None if the caller stayed anonymous.

    A caller who declined to leave details is respected (seed 001: 客户不愿留下，则尊重客户意愿):
    there is no one to text or call back. ``signer`` and ``project`` are whose name and which
    project the thank-you SMS gives: the consultant who follows up, not always the one who
    answered (a colleague's protected customer is followed up by his owner, CUS-4).
    """
    customer = customer or call.customer
    signer = signer or call.consultant
    project = project or call.project
    if call.details_declined or customer is None:
        return []
    call_day = local_date(call.called_at)
    name = customer.name
    specs = [
        TaskSpec(
            kind=TaskKind.SMS,
            rule=RULE_THANK_YOU_SMS,
            due_date=call_day,
            title=f"感谢来电短信 · {name}",
            message=render_thank_you_sms(
                name=name,
                gender=customer.gender,
                project_name=project.name,
                consultant=signer,
                hotline=getattr(signer, "phone", "") or "",
            ),
        )
    ]
    if call.visit_booked_for:
        visit_day = local_date(call.visit_booked_for)
        if visit_day > call_day:  # a visit later today needs no confirmation call
            specs.append(
                TaskSpec(
                    kind=TaskKind.VISIT_CONFIRMATION,
                    rule=RULE_VISIT_CONFIRMATION,
                    due_date=visit_day - timedelta(days=1),
                    title=(
                        f"确认来访 · {name} · "
                        f"{timezone.localtime(call.visit_booked_for):%m-%d %H:%M}"
                    ),
                )
            )
    elif call.visit_wanted:
        specs.append(
            TaskSpec(
                kind=TaskKind.CALL,
                rule=RULE_NEXT_DAY_CALL,
                due_date=call_day + timedelta(days=1),
                title=f"电话邀约来访 · {name}",
            )
        )
    return specs


def rule_for_visit_by_colleague(visit, *, customer, receiver) -> TaskSpec:
    """A colleague received the owner's protected customer (issue 9 item 3): the owner is
    told the same day, in a task of his own, and follows the customer up."""
    arrived = timezone.localtime(visit.arrived_at)
    return TaskSpec(
        kind=TaskKind.VISIT_BY_COLLEAGUE,
        rule=RULE_VISIT_BY_COLLEAGUE,
        due_date=arrived.date(),
        title=f"客户到访·同事代接待 · {customer.name}",
        message=(
            f"您的客户{customer.name}于{arrived:%m-%d %H:%M}到访{visit.project.name}，"
            f"由{short_staff_name(receiver)}接待。请尽快联系客户跟进。"
        ),
    )


def revisit_spec(*, customer, after: str, days: int, when) -> TaskSpec:
    """A revisit ``days`` calendar days after subscription (认购) or signing (签约) (SAL-5)."""
    label = {"subscription": "认购", "signing": "签约"}[after]
    return TaskSpec(
        kind=TaskKind.REVISIT,
        rule=RULE_REVISIT % after,
        due_date=local_date(when) + timedelta(days=days),
        title=f"{label}后{days}天回访 · {customer.name}",
    )
