"""The follow-up rules (SAL-2, SAL-5): the one place that decides which tasks follow what.

Seed 001 (万科客户接待流程 · 来电后的客户跟进/回访):

* the same day as a call: a thank-you SMS inviting the caller to visit;
* a caller who wants to visit but set no date: a call the next day;
* a caller with a booked visit: a confirmation call the day before;
* a caller with no wish to visit: a follow-up call N days later (issue 9 item 7);
* a registered visit: a post-visit follow-up the next day (its open invitation, confirmation
  and follow-up calls are closed: the customer came);
* an opportunity closed as lost: its customer's open tasks are cancelled with the reason.

"Same day", "next day" and "day before" are calendar days in local time (Asia/Shanghai).
The day counts are a company's ``FollowUpSettings`` (``Timing`` here, defaults below); the
settings page lists every rule with its timing (``RULES``).
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
RULE_NO_INTENT_CALL = "call.follow_up"
RULE_POST_VISIT = "visit.follow_up"
RULE_REVISIT = "revisit.after_%s"
RULE_VISIT_BY_COLLEAGUE = "visit.received_by_colleague"

# The calls a registered visit makes pointless: the customer came.
CLOSED_BY_VISIT = (RULE_NEXT_DAY_CALL, RULE_VISIT_CONFIRMATION, RULE_NO_INTENT_CALL)

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
class Timing:
    """A company's day counts (``FollowUpSettings`` carries the same names)."""

    invitation_days: int = 1  # a caller who wants to visit, no date: call after N days
    confirmation_days_before: int = 1  # a booked visit: confirm N days before
    no_intent_days: int = 3  # a caller with no wish to visit: call again after N days
    post_visit_days: int = 1  # after a visit: follow up after N days
    subscription_revisit_days: int = 3  # after a subscription (认购): revisit after N days
    signing_revisit_days: int = 7  # after a signing (签约): revisit after N days

    def revisit_days(self, after: str) -> int:
        """The day count of the revisit after ``after`` ("subscription" or "signing")."""
        return getattr(self, f"{after}_revisit_days")


DEFAULT_TIMING = Timing()


@dataclass(frozen=True)
class RuleInfo:
    """One row of the settings page: what triggers the rule, what it does, when."""

    code: str
    trigger: str
    action: str
    timing_field: str = ""  # the configurable day count, or "" for a fixed timing
    fixed_timing: str = ""


def rules_table():
    """Every follow-up rule, in the order a customer meets them (the settings page)."""
    from django.utils.translation import gettext_lazy as _

    return [
        RuleInfo(
            RULE_THANK_YOU_SMS,
            _("A call where the caller left a name and number"),
            _("Thank-you SMS inviting the caller to visit"),
            fixed_timing=_("the same day"),
        ),
        RuleInfo(
            RULE_VISIT_CONFIRMATION,
            _("A call with a booked visit"),
            _("Confirmation call before the visit"),
            timing_field="confirmation_days_before",
        ),
        RuleInfo(
            RULE_NEXT_DAY_CALL,
            _("A call with a wish to visit but no date"),
            _("Invitation call"),
            timing_field="invitation_days",
        ),
        RuleInfo(
            RULE_NO_INTENT_CALL,
            _("A call without a wish to visit"),
            _("Follow-up call"),
            timing_field="no_intent_days",
        ),
        RuleInfo(
            "call.same_day_fold",
            _("Another call from the same customer the same day"),
            _("Folds into the open tasks of that day (no new task of the same kind)"),
            fixed_timing=_("the same day"),
        ),
        RuleInfo(
            "visit.closes_call_tasks",
            _("A registered visit"),
            _("Closes the customer's open invitation, confirmation and follow-up calls"),
            fixed_timing=_("at once"),
        ),
        RuleInfo(
            RULE_POST_VISIT,
            _("A registered visit"),
            _("Post-visit follow-up call"),
            timing_field="post_visit_days",
        ),
        RuleInfo(
            RULE_VISIT_BY_COLLEAGUE,
            _("A colleague received the owner's protected customer"),
            _("Task for the owner to follow the customer up (instead of the post-visit call)"),
            fixed_timing=_("the same day"),
        ),
        RuleInfo(
            "opportunity.lost",
            _("An opportunity closed as lost"),
            _("Cancels the customer's open tasks in that project, with the loss reason"),
            fixed_timing=_("at once"),
        ),
        RuleInfo(
            "opportunity.won",
            _("An opportunity closed as won"),
            _("Handed over to the deal flow (subscription, signing)"),
            fixed_timing=_("at once"),
        ),
        RuleInfo(
            RULE_REVISIT % "subscription",
            _("A subscription (认购)"),
            _("Revisit"),
            timing_field="subscription_revisit_days",
        ),
        RuleInfo(
            RULE_REVISIT % "signing",
            _("A signing (签约)"),
            _("Revisit"),
            timing_field="signing_revisit_days",
        ),
    ]


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


def rules_for_call(
    call, *, customer=None, signer=None, project=None, timing: Timing = DEFAULT_TIMING
) -> list[TaskSpec]:
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
                    due_date=max(
                        call_day, visit_day - timedelta(days=timing.confirmation_days_before)
                    ),
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
                due_date=call_day + timedelta(days=timing.invitation_days),
                title=f"电话邀约来访 · {name}",
            )
        )
    else:
        specs.append(
            TaskSpec(
                kind=TaskKind.FOLLOW_UP,
                rule=RULE_NO_INTENT_CALL,
                due_date=call_day + timedelta(days=timing.no_intent_days),
                title=f"电话回访 · {name}",
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


def post_visit_spec(visit, *, timing: Timing = DEFAULT_TIMING) -> TaskSpec:
    """After a visit: a follow-up call (by default the next local day)."""
    return TaskSpec(
        kind=TaskKind.FOLLOW_UP,
        rule=RULE_POST_VISIT,
        due_date=local_date(visit.arrived_at) + timedelta(days=timing.post_visit_days),
        title=f"来访后跟进 · {visit.customer.name}",
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
