"""Club pages (thin): members, a member's points and tier, configuration, gift catalogue.

Writes go through the services; a refused action raises NotPermitted (403) before any form
is read, bad input re-renders the page with the form's error (400).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import can_see, get_visible_or_404
from anju.customers.selectors import customer_detail
from anju.org.selectors import companies_visible_to

from . import selectors, services
from .filters import MemberFilter
from .forms import (
    AdjustForm,
    GiftCreateForm,
    GiftEditForm,
    JoinForm,
    RedeemGiftForm,
    RedeemOffsetForm,
    ReverseForm,
    RuleForm,
    SettingsForm,
    TierForm,
    TierRequestForm,
)
from .models import PointsEntry, Tier, TierTrigger

PAGE_SIZE = 50
LEDGER_PAGE_SIZE = 25


def _place(customer):
    return {"company": customer.company_id, "project": customer.project_id}


def _require(user, perm, customer):
    """Refuse before reading any input, so a refused role learns nothing from the form."""
    if not has_perm(user, perm, **_place(customer)):
        raise NotPermitted()


def _query(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- the member list -------------------------------------------------------------------------


@login_required
def members(request):
    filterset = MemberFilter(request.GET, user=request.user)
    rows = filterset.rows()
    if rows is None:
        rows = filterset.queryset.none()
    rows = rows.select_related("customer__points_account")
    query = _query(request)
    return render(
        request,
        "membership/members.html",
        {
            "page": paginate(rows, request.GET.get("page"), per_page=PAGE_SIZE),
            "form": filterset.form,
            "extra_query": query + "&" if query else "",
        },
    )


# --- a member's page ---------------------------------------------------------------------------


def _gifts_for(user, customer):
    return selectors.gifts_offered(user, customer.company_id)


def _join_form(request, customer, data=None):
    return JoinForm(data, relatives=selectors.member_relatives(request.user, customer))


def _member_tiers(customer):
    return Tier.objects.filter(holding=customer.company.holding, rank__gt=0).order_by("rank")


def _member_page(request, customer, *, status=200, **forms):
    user = request.user
    membership = selectors.member_for(user, customer)
    context = {
        "customer": customer,
        "membership": membership,
        "tier": membership.tier if membership else selectors.tier_of(customer),
        "balance": selectors.points_balance(customer),
        "ledger": paginate(
            selectors.ledger_of(user, customer), request.GET.get("page"), per_page=LEDGER_PAGE_SIZE
        ),
        "history": list(selectors.tier_history(user, membership)[:50]) if membership else [],
        "redemptions": list(selectors.redemptions_of(user, customer)[:10]),
        "pending_request": selectors.pending_tier_request(membership) if membership else None,
        "may_desk": has_perm(user, Perm.REDEEM_POINTS, **_place(customer)),
        "may_manage": has_perm(user, Perm.MANAGE_MEMBERSHIP, **_place(customer)),
        "join_form": forms.get("join_form") or _join_form(request, customer),
        "gift_form": forms.get("gift_form")
        or RedeemGiftForm(gifts=_gifts_for(user, customer), initial={"quantity": 1}),
        "offset_form": forms.get("offset_form") or RedeemOffsetForm(),
        "adjust_form": forms.get("adjust_form") or AdjustForm(),
        "tier_form": forms.get("tier_form") or TierRequestForm(tiers=_member_tiers(customer)),
        "reverse_form": ReverseForm(),
        "not_reversible": services.points.NOT_REVERSIBLE,
        "open_form": next((name for name, form in forms.items() if form is not None), ""),
    }
    return render(request, "membership/member.html", context, status=status)


@login_required
def member(request, customer_id):
    customer = customer_detail(request.user, customer_id)
    return _member_page(request, customer)


def _post(request, customer_id, perm, form_name, form, action, success):
    """The shape of every write on the member page: check, validate, call, report.
    ``action`` may return a message that replaces ``success`` (e.g. "already used")."""
    customer = customer_detail(request.user, customer_id)
    _require(request.user, perm, customer)
    form = form(customer)
    if form.is_valid():
        try:
            said = action(customer, form.cleaned_data)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            if said:
                messages.info(request, said)
            else:
                messages.success(request, success)
            return redirect("membership:member", customer.pk)
    return _member_page(request, customer, status=400, **{form_name: form})


@login_required
@require_POST
def member_join(request, customer_id):
    def join(customer, data):
        services.membership_join(
            by=request.user,
            customer=customer,
            member_type=data["member_type"],
            family_of=data.get("family_of"),
        )

    return _post(
        request,
        customer_id,
        Perm.REDEEM_POINTS,
        "join_form",
        lambda c: _join_form(request, c, request.POST),
        join,
        _("The customer joined the club."),
    )


@login_required
@require_POST
def redeem_gift(request, customer_id):
    def redeem(customer, data):
        services.points_redeem_gift(
            by=request.user, customer=customer, gift=data["gift"], quantity=data["quantity"]
        )

    return _post(
        request,
        customer_id,
        Perm.REDEEM_POINTS,
        "gift_form",
        lambda c: RedeemGiftForm(request.POST, gifts=_gifts_for(request.user, c)),
        redeem,
        _("Gift redeemed."),
    )


@login_required
@require_POST
def redeem_offset(request, customer_id):
    def offset(customer, data):
        entry = services.points_redeem_offset(
            by=request.user, customer=customer, points=data["points"], reference=data["reference"]
        )
        if getattr(entry, "replayed", False):
            return services.points.offset_used_message(entry)
        return None

    return _post(
        request,
        customer_id,
        Perm.REDEEM_POINTS,
        "offset_form",
        lambda c: RedeemOffsetForm(request.POST),
        offset,
        _("Points used as a price offset."),
    )


@login_required
@require_POST
def adjust(request, customer_id):
    def adjust_points(customer, data):
        services.points_adjust(
            by=request.user, customer=customer, points=data["points"], note=data["note"]
        )

    return _post(
        request,
        customer_id,
        Perm.MANAGE_MEMBERSHIP,
        "adjust_form",
        lambda c: AdjustForm(request.POST),
        adjust_points,
        _("Points adjusted."),
    )


@login_required
@require_POST
def tier_request(request, customer_id):
    def ask(customer, data):
        services.tier_change_request(
            by=request.user, customer=customer, tier=data["tier"], reason=data["reason"]
        )

    return _post(
        request,
        customer_id,
        Perm.REDEEM_POINTS,
        "tier_form",
        lambda c: TierRequestForm(request.POST, tiers=_member_tiers(c)),
        ask,
        _("Tier change requested; it takes effect when approved."),
    )


@login_required
@require_POST
def entry_reverse(request, entry_id):
    entry = get_visible_or_404(
        PointsEntry.objects.visible_to(request.user).select_related("customer", "account"),
        request.user,
        pk=entry_id,
    )
    _require(request.user, Perm.MANAGE_MEMBERSHIP, entry.customer)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            services.points_reverse(
                by=request.user, entry=entry, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Entry reversed."))
    else:
        messages.error(request, _("Say why the entry is reversed."))
    return redirect("membership:member", entry.customer_id)


@login_required
@require_POST
def redemption_return(request, redemption_id):
    """退还礼品: the gift comes back, its stock and points with it."""
    redemption = selectors.redemption_detail(request.user, redemption_id)
    _require(request.user, Perm.MANAGE_MEMBERSHIP, redemption.customer)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            services.redemption_return(
                by=request.user, redemption=redemption, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Gift returned: stock and points are back."))
    else:
        messages.error(request, _("Say why the gift is returned."))
    return redirect("membership:member", redemption.customer_id)


# --- joining at a visit (the reception visit page's panel) -----------------------------------


def visit_club_panel(request, visit) -> str:
    """The club's panel on a visit page: the customer's tier, or one button to join."""
    customer = visit.customer if getattr(visit, "customer_visible", True) else None
    if customer is None or not can_see(request.user, customer):
        return ""
    membership = selectors.member_for(request.user, customer)
    may_join = has_perm(request.user, Perm.REDEEM_POINTS, **_place(customer))
    if membership is None and not may_join:
        return ""
    return render_to_string(
        "membership/_visit_panel.html",
        {"visit": visit, "customer": customer, "membership": membership, "may_join": may_join},
        request=request,
    )


@login_required
@require_POST
def visit_join(request, visit_id):
    """One click on the visit page (MEM-1): the visit's customer joins, linked to the visit."""
    from anju.reception.selectors import visit_detail

    visit = visit_detail(request.user, visit_id)
    customer = visit.customer
    if not can_see(request.user, customer):
        raise NotPermitted()
    _require(request.user, Perm.REDEEM_POINTS, customer)
    try:
        services.membership_join(by=request.user, customer=customer, via_visit=visit)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The customer joined the club."))
    return redirect("reception:visit_detail", visit.pk)


# --- configuration -------------------------------------------------------------------------


def _require_any(user, perm):
    if not has_perm(user, perm):
        raise PermissionDenied


@login_required
def club_settings(request):
    """The group's tiers, rules, 看房积分 and expiry (MEM-1, MEM-3); read by club managers,
    changed by those whose MANAGE_MEMBERSHIP covers the whole group."""
    _require_any(request.user, Perm.MANAGE_MEMBERSHIP)
    holding = selectors.holding_for_user(request.user)
    if holding is None:
        raise NotPermitted()
    if request.method == "POST":
        return _settings_post(request, holding)
    return _settings_page(request, holding)


def _settings_page(request, holding, *, status=200, tier_forms=None, rule_forms=None, form=None):
    tiers = selectors.tiers_of(holding)
    saved = [t for t in tiers if t.pk]
    member_tiers = Tier.objects.filter(holding=holding, rank__gt=0).order_by("rank")
    rules = {r.trigger: r for r in selectors.tier_rules_of(holding)}
    current = services.settings_of(holding)
    try:
        services._common.require_group_manager(request.user, holding)
        may_change = True
    except NotPermitted:
        may_change = False
    context = {
        "holding": holding,
        "tiers": tiers,
        "tier_forms": tier_forms
        or [
            (
                t,
                TierForm(
                    prefix=f"t{t.pk}",
                    initial={"name": t.name, "rank": t.rank, "discount_rate": t.discount_rate},
                ),
            )
            for t in saved
        ],
        "rule_forms": rule_forms
        or [
            (
                value,
                label,
                RuleForm(
                    prefix=f"r-{value}",
                    tiers=member_tiers,
                    initial={
                        "trigger": value,
                        "tier": rules[value].tier_id if value in rules else None,
                        "is_active": rules[value].is_active if value in rules else False,
                    },
                ),
            )
            for value, label in TierTrigger.choices
        ],
        "form": form
        or SettingsForm(
            initial={
                "referral_visit_points": current.referral_visit_points,
                "points_expire": current.points_expire,
                "expiry_years": current.expiry_years,
                "points_per_yuan": current.points_per_yuan,
            }
        ),
        "may_change": may_change,
    }
    return render(request, "membership/settings.html", context, status=status)


def _settings_post(request, holding):
    services._common.require_group_manager(request.user, holding)
    services.ensure_club(holding)
    what = request.POST.get("what")
    if what == "tiers":
        return _save_tiers(request, holding)
    if what == "rules":
        return _save_rules(request, holding)
    if what == "settings":
        return _save_settings(request, holding)
    messages.error(request, _("Nothing to save."))
    return _settings_page(request, holding, status=400)


def _refused(request, exc, forms) -> None:
    """A service refused: say so on the page (the forms keep what the user typed); a
    field it names is marked on every form that has it."""
    if exc.status_code == 403:
        raise exc
    messages.error(request, str(exc.message))
    for form in forms:
        if exc.field and exc.field in form.fields:
            form.add_error(exc.field, str(exc.message))


def _save_tiers(request, holding):
    tiers = list(Tier.objects.filter(holding=holding).order_by("rank"))
    forms = [(t, TierForm(request.POST, prefix=f"t{t.pk}")) for t in tiers]
    if not all(f.is_valid() for _t, f in forms):
        return _settings_page(request, holding, status=400, tier_forms=forms)
    try:
        services.tiers_configure(
            by=request.user, holding=holding, changes={t.pk: f.cleaned_data for t, f in forms}
        )
    except ApplicationError as exc:
        _refused(request, exc, [f for _t, f in forms])
        return _settings_page(request, holding, status=400, tier_forms=forms)
    messages.success(request, _("Tiers saved."))
    return redirect("membership:settings")


def _save_rules(request, holding):
    member_tiers = Tier.objects.filter(holding=holding, rank__gt=0).order_by("rank")
    forms = [
        (value, label, RuleForm(request.POST, prefix=f"r-{value}", tiers=member_tiers))
        for value, label in TierTrigger.choices
    ]
    if not all(f.is_valid() for _v, _l, f in forms):
        return _settings_page(request, holding, status=400, rule_forms=forms)
    try:
        with transaction.atomic():  # all rules or none
            for value, _label, form in forms:
                services.tier_rule_set(
                    by=request.user,
                    holding=holding,
                    trigger=value,
                    tier=form.cleaned_data["tier"],
                    is_active=form.cleaned_data["is_active"],
                )
    except ApplicationError as exc:
        _refused(request, exc, [f for _v, _l, f in forms])
        return _settings_page(request, holding, status=400, rule_forms=forms)
    messages.success(request, _("Tier rules saved."))
    return redirect("membership:settings")


def _save_settings(request, holding):
    form = SettingsForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, holding, status=400, form=form)
    try:
        services.club_settings_update(by=request.user, holding=holding, **form.cleaned_data)
    except ApplicationError as exc:
        _refused(request, exc, [form])
        return _settings_page(request, holding, status=400, form=form)
    messages.success(request, _("Club settings saved."))
    return redirect("membership:settings")


# --- gift catalogue ----------------------------------------------------------------------------


def _manageable_companies(user):
    return [
        c for c in companies_visible_to(user) if has_perm(user, Perm.MANAGE_MEMBERSHIP, company=c)
    ]


def _gifts_page(request, *, form=None, status=200):
    companies = _manageable_companies(request.user)
    query = _query(request)
    return render(
        request,
        "membership/gifts.html",
        {
            "page": paginate(
                selectors.gifts_visible(request.user), request.GET.get("page"), per_page=PAGE_SIZE
            ),
            "extra_query": query + "&" if query else "",
            "form": form
            or (
                GiftCreateForm(companies=_company_qs(request.user, companies), initial={"stock": 0})
                if companies
                else None
            ),
            "managed": {c.pk for c in companies},
        },
        status=status,
    )


def _company_qs(user, companies):
    return companies_visible_to(user).filter(pk__in=[c.pk for c in companies])


@login_required
def gifts(request):
    return _gifts_page(request)


@login_required
@require_POST
def gift_new(request):
    companies = _manageable_companies(request.user)
    if not companies:
        raise NotPermitted()
    form = GiftCreateForm(request.POST, companies=_company_qs(request.user, companies))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.gift_create(
                by=request.user,
                company=data["company"],
                name=data["name"],
                description=data["description"],
                points_cost=data["points_cost"],
                stock=data["stock"],
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Gift added."))
            return redirect("membership:gifts")
    return _gifts_page(request, form=form, status=400)


@login_required
@require_POST
def gift_edit(request, gift_id):
    gift = selectors.gift_detail(request.user, gift_id)
    if not has_perm(request.user, Perm.MANAGE_MEMBERSHIP, company=gift.company_id):
        raise NotPermitted()
    form = GiftEditForm(request.POST)
    if form.is_valid():
        try:
            services.gift_update(by=request.user, gift=gift, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Gift saved."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("membership:gifts")
