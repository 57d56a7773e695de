"""Source channels per company (CUS-1, issue 9 item 12): a managed list, like win/loss reasons.

Customers store a channel's ``code``; forms, filters, exports and the API use the company's
list. A company that never changed its list uses ``DEFAULT_SOURCES`` (the built-in channels
and today's platforms); its first change writes the defaults as rows, then the change.
"""

import re

from django.db import transaction
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from anju.core.errors import ApplicationError, Conflict, NotFound
from anju.core.events import record_event
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.validation import validate_fields

from .models import SOURCE_CODE_PATTERN, Source, SourceChannel

# (code, name) in the order the lists show them: seed 001's channels, then the platforms
# buyers use today (抖音, 小红书, 贝壳, 安居客, 58同城).
DEFAULT_SOURCES = (
    (Source.ADVERTISING.value, "广告"),
    (Source.REFERRAL.value, "朋友介绍"),
    (Source.WALK_BY.value, "路过"),
    (Source.ONLINE.value, "网络"),
    (Source.EXHIBITION.value, "展会"),
    (Source.OWNER_REFERRAL.value, "老带新"),
    (Source.KEY_ACCOUNT.value, "大客户"),
    (Source.HOTLINE.value, "来电"),
    ("douyin", "抖音"),
    ("xiaohongshu", "小红书"),
    ("beike", "贝壳"),
    ("anjuke", "安居客"),
    ("tongcheng58", "58同城"),
    (Source.OTHER.value, "其他"),
)
_CODE = re.compile(SOURCE_CODE_PATTERN)


def _rows(company_ids):
    return (
        SourceChannel.objects.unscoped("the company's list of source channels")
        .filter(company_id__in=list(company_ids))
        .order_by("company_id", "sort_order", "id")
    )


def source_table(company_id) -> list[tuple[str, str, bool]]:
    """(code, name, active) of the company's channels, defaults if it has no list yet."""
    rows = [(r.code, r.name, r.is_active) for r in _rows([company_id])]
    return rows or [(code, name, True) for code, name in DEFAULT_SOURCES]


def source_names(company_id) -> dict[str, str]:
    return {code: name for code, name, _active in source_table(company_id)}


def source_name(company_id, code: str) -> str:
    """The channel's name; an unknown code (a retired list entry gone) shows as itself."""
    return source_names(company_id).get(code, code)


def filter_source_choices(user) -> list[tuple[str, str]]:
    """Every code a list may be filtered by, for ``user``: the channels of the companies he
    sees (retired ones too: old customers keep their code), then the built-in defaults a
    company without its own list uses. One query (issue 10: a filtered list API in ≤ 6);
    a default code no visible company uses simply matches no rows."""
    choices: dict[str, str] = {}
    channels = (
        SourceChannel.objects.visible_to(user)
        .filter(company__is_active=True)
        .order_by("company_id", "sort_order", "id")
        .values_list("code", "name")
    )
    for code, name in channels:
        choices.setdefault(code, name)
    for code, name in DEFAULT_SOURCES:
        choices.setdefault(code, name)
    return list(choices.items())


def source_choices(company_ids, *, include_retired=False) -> list[tuple[str, str]]:
    """Active channels of these companies for a form (a filter: retired ones too), one entry
    per code."""
    company_ids = list(company_ids)
    found: dict[int, list] = {}
    for r in _rows(company_ids):
        found.setdefault(r.company_id, []).append((r.code, r.name, r.is_active))
    choices: dict[str, str] = {}
    for cid in company_ids:
        for code, name, active in found.get(cid) or [(c, n, True) for c, n in DEFAULT_SOURCES]:
            if active or include_retired:
                choices.setdefault(code, name)
    return list(choices.items())


def check_source(company_id, code, *, field="source") -> str:
    """The code if it is an active channel of the company, else a clear 404: like an id, the
    code names a row of the company's list, and that row is not there (or retired)."""
    code = (code or "").strip()
    table = {c: active for c, _n, active in source_table(company_id)}
    if not table.get(code):
        raise NotFound(
            _("Unknown source channel “%(code)s”. Use one of: %(codes)s.")
            % {"code": code[:40], "codes": ", ".join(c for c, a in table.items() if a)},
            field=field,
            code="unknown_source",
        )
    return code


def source_by_label(company_id) -> dict[str, str]:
    """Lower-cased code or name → code, active channels only (imports read either)."""
    return {
        key.lower(): code
        for code, name, active in source_table(company_id)
        if active
        for key in (code, name)
    }


# --- the managed list (writes) ---------------------------------------------------------------


def _materialise_defaults(company):
    if _rows([company.pk]).exists():
        return
    SourceChannel.objects.bulk_create(
        SourceChannel(company=company, code=code, name=name, sort_order=n * 10)
        for n, (code, name) in enumerate(DEFAULT_SOURCES)
    )


def _code_for(name: str) -> str:
    """A code from the name: pinyin letters (小红书 → xiaohongshu), digits kept."""
    text = "".join(lazy_pinyin(name)).lower()
    code = re.sub(r"[^a-z0-9_]", "", text)
    if not code or not code[0].isalpha():
        code = f"s{code}"
    return code[:20]


@transaction.atomic
def source_create(*, by, company, name: str, code: str = "", sort_order=None) -> SourceChannel:
    """Add a channel to the company's list (managers, management)."""
    require_perm(by, Perm.VIEW_REPORTS, company=company.pk)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Name the source channel."), field="name")
    code = (code or "").strip().lower() or _code_for(name)
    if not _CODE.match(code):
        raise ApplicationError(
            _("Use lower-case letters, digits and _ (starting with a letter)."), field="code"
        )
    _materialise_defaults(company)
    rows = list(_rows([company.pk]).select_for_update())
    if any(r.code == code for r in rows):
        raise Conflict(_("This code is already on the list."), field="code", code="duplicate")
    if any(r.name == name for r in rows):
        raise Conflict(_("This channel is already on the list."), field="name", code="duplicate")
    if sort_order in (None, ""):  # after the others, before "other" (it stays last)
        sort_order = max((r.sort_order for r in rows if r.code != Source.OTHER), default=0) + 1
    channel = SourceChannel(company=company, code=code, name=name, sort_order=sort_order)
    validate_fields(channel, ["code", "name", "sort_order"])
    channel.save()
    record_event(by=by, verb="customers.source_added", target=channel, details={"code": code})
    return channel


@transaction.atomic
def source_set_active(*, by, company, code: str, active: bool) -> SourceChannel:
    """Retire a channel nobody should pick any more (customers keep it), or bring it back."""
    require_perm(by, Perm.VIEW_REPORTS, company=company.pk)
    _materialise_defaults(company)
    channel = _rows([company.pk]).select_for_update().filter(code=code).first()
    if channel is None:
        raise ApplicationError(_("Unknown source channel."), field="code")
    if channel.is_active != bool(active):
        if not active and channel.code == Source.OTHER:
            # imports map unknown channels to "other": it stays on every list
            raise ApplicationError(_("“Other” stays on the list."), field="code")
        channel.is_active = bool(active)
        channel.save(update_fields=["is_active", "updated_at"])
        record_event(
            by=by,
            verb="customers.source_activated" if active else "customers.source_retired",
            target=channel,
            details={"code": channel.code},
        )
    return channel


# --- the API type: a code, checked against the company's list by the service ---------------


def _api_type():
    from typing import Annotated

    from django.utils.translation import gettext_lazy
    from pydantic import Field

    from anju.core.api_errors import PATTERN_MESSAGES

    PATTERN_MESSAGES.setdefault(
        SOURCE_CODE_PATTERN,
        gettext_lazy(
            "A source channel is a code of lower-case letters, digits and _ (e.g. douyin)."
        ),
    )
    return Annotated[
        str,
        Field(
            max_length=20,
            pattern=SOURCE_CODE_PATTERN,
            description=(
                "A code from the company's list of source channels (managed per company: "
                "advertising, referral, walk_by, online, exhibition, owner_referral, "
                "key_account, hotline, douyin, xiaohongshu, beike, anjuke, tongcheng58, other "
                "by default). An unknown or retired code is a 404 (code unknown_source)."
            ),
            examples=["douyin"],
        ),
    ]


SourceCode = _api_type()


def with_source_names(queryset):
    """Annotate ``own_source_name``: the company's name for the code, or NULL (no query per
    row); ``Customer.get_source_display`` falls back to the default name, then the code, in
    Python. A CASE over the defaults in SQL cost ~3 ms to build per query (issue 10)."""
    from django.db.models import CharField, OuterRef, Subquery

    own = Subquery(
        SourceChannel.objects.filter(company_id=OuterRef("company_id"), code=OuterRef("source"))
        .order_by()
        .values("name")[:1],
        output_field=CharField(),
    )
    return queryset.annotate(own_source_name=own)


DEFAULT_SOURCE_NAMES = dict(DEFAULT_SOURCES)
