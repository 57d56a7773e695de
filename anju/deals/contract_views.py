"""Pages of signing and payments (SUB-4): sign a subscribed deal, a contract with its
instalments and payments, the overdue list for managers, the payment reminders' settings.

Thin: reads through ``contract_selectors``/``selectors``, writes through the services. A
role that may not act gets 403 before any input is read; bad input re-renders the page with
the service's message on its field (400).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.exports import export_response as _export_response
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.org.selectors import companies_visible_to

from . import contract_selectors, export_columns, selectors
from .contract_filters import OverdueFilter
from .contract_forms import (
    INSTALMENT_ROWS,
    ContractSignForm,
    PaymentForm,
    ReminderSettingsForm,
    instalment_formset,
    instalment_pairs,
)
from .models import PaymentPlan, SubscriptionStatus
from .services import contract_sign as sign_contract
from .services import paid_total, reminder_settings_for, reminder_settings_update
from .services import payment_record as record_payment
from .services.contracts import MAX_INSTALMENTS, min_down_payment_rate
from .services.reminders import REMINDER_FIELDS

PAGE_SIZE = 50


def _may(user, perm, obj) -> bool:
    return has_perm(user, perm, company=obj.company_id, project=obj.project_id)


def _require(user, perm, obj) -> None:
    """Refuse before reading any input, so a refused role learns nothing from the form."""
    if not _may(user, perm, obj):
        raise NotPermitted()


def _query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _rows_wanted(request) -> int:
    try:
        rows = int(request.GET.get("rows") or INSTALMENT_ROWS)
    except ValueError:
        rows = INSTALMENT_ROWS
    return min(max(rows, INSTALMENT_ROWS), MAX_INSTALMENTS)


# --- signing ------------------------------------------------------------------------------------


def _put_on_formset(formset, exc) -> bool:
    """``instalments.3.amount`` → the fourth row's amount; True when placed."""
    parts = (exc.field or "").split(".")
    if parts[0] != "instalments" or len(parts) < 2 or not parts[1].isdigit():
        return False
    filled = [f for f in formset.forms if f.cleaned_data.get("due_date") is not None]
    index = int(parts[1])
    if index >= len(filled):
        return False
    row = filled[index]
    row.add_error(parts[2] if len(parts) > 2 and parts[2] in row.fields else None, exc.message)
    return True


def _sign_page(request, subscription, form, formset, *, status=200):
    return render(
        request,
        "deals/contract_sign.html",
        {
            "subscription": subscription,
            "form": form,
            "formset": formset,
            "paid": paid_total(subscription),
            "payments": list(contract_selectors.payments_of(request.user, subscription)[:20]),
            "signable": subscription.status == SubscriptionStatus.SUBSCRIBED,
            "min_down_rate": min_down_payment_rate() * 100,
            "more_rows": min(len(formset.forms) + INSTALMENT_ROWS, MAX_INSTALMENTS),
            "plans": PaymentPlan,
            "may_edit_templates": _may(request.user, Perm.MANAGE_PRICING, subscription),
        },
        status=status,
    )


@login_required
def contract_sign(request, subscription_id):
    """签约 The form of the payment plan for a subscribed deal; a signed one shows its
    contract."""
    subscription = selectors.subscription_detail(request.user, subscription_id)
    _require(request.user, Perm.SELL_UNITS, subscription)
    if subscription.status == SubscriptionStatus.SIGNED:
        contract = contract_selectors.contract_of(subscription)
        if contract is not None:
            return redirect("deals:contract_detail", contract.pk)
    if request.method != "POST":
        form = ContractSignForm(initial={"payment_plan": subscription.payment_plan})
        return _sign_page(
            request, subscription, form, instalment_formset(rows=_rows_wanted(request))
        )
    form = ContractSignForm(request.POST)
    formset = instalment_formset(request.POST)
    if form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            contract = sign_contract(
                by=request.user,
                subscription=subscription,
                payment_plan=data["payment_plan"],
                signed_on=data["signed_on"],
                down_payment=data.get("down_payment") or 0,
                loan_amount=data.get("loan_amount") or 0,
                instalments=instalment_pairs(formset),
                due_days=data.get("due_days"),
                loan_due_on=data.get("loan_due_on"),
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            if not _put_on_formset(formset, exc):
                form.add_service_error(exc)
        else:
            messages.success(request, _("Contract %(number)s signed.") % {"number": contract})
            return redirect("deals:contract_detail", contract.pk)
    return _sign_page(request, subscription, form, formset, status=400)


# --- a contract ---------------------------------------------------------------------------------


def _contract_page(request, contract, *, payment_form=None, status=200):
    user = request.user
    subscription = contract.subscription
    today = contract_selectors.local_today()
    instalments = [
        (i, contract_selectors.instalment_state(i, today)) for i in contract.instalments.all()
    ]
    paid = paid_total(subscription)
    return render(
        request,
        "deals/contract_detail.html",
        {
            "contract": contract,
            "subscription": subscription,
            "instalments": instalments,
            "payments": list(contract_selectors.payments_of(user, subscription)[:100]),
            "paid": paid,
            "balance": contract.total - paid,
            "overdue": sum((s.balance for _i, s in instalments if s.code == "overdue"), 0),
            "may_pay": has_perm(
                user, Perm.RECORD_PAYMENTS, company=contract.company_id, project=contract.project_id
            ),
            "payment_form": payment_form or PaymentForm(),
            "may_edit_templates": _may(user, Perm.MANAGE_PRICING, contract),
        },
        status=status,
    )


@login_required
def contract_detail(request, contract_id):
    contract = contract_selectors.contract_detail(request.user, contract_id)
    return _contract_page(request, contract)


@login_required
@require_POST
def payment_record(request, subscription_id):
    """Record a payment or a refund on the deal; back to its contract (or its signing page)."""
    subscription = selectors.subscription_detail(request.user, subscription_id)
    _require(request.user, Perm.RECORD_PAYMENTS, subscription)
    contract = contract_selectors.contract_of(subscription)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_payment(
                by=request.user,
                subscription=subscription,
                amount=form.signed_amount(),
                method=data["method"],
                paid_on=data["paid_on"],
                receipt_no=data["receipt_no"],
                reason=data["reason"],
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            refund = data["direction"] == "refund"
            messages.success(request, _("Refund recorded.") if refund else _("Payment recorded."))
            if contract is not None:
                return redirect("deals:contract_detail", contract.pk)
            return redirect("deals:contract_sign", subscription.pk)
    if contract is not None:
        contract = contract_selectors.contract_detail(request.user, contract.pk)
        return _contract_page(request, contract, payment_form=form, status=400)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("deals:contract_sign", subscription.pk)


# --- the overdue list ---------------------------------------------------------------------------


def _require_reports(user) -> None:
    if not has_perm(user, Perm.VIEW_REPORTS):
        raise NotPermitted()


@login_required
def overdue(request):
    """Instalments past due with a balance, in the user's scope (managers)."""
    _require_reports(request.user)
    filterset = OverdueFilter(request.GET, user=request.user)
    rows = filterset.rows()
    if rows is None:
        rows = filterset.queryset.none()
    page = paginate(rows, request.GET.get("page"), per_page=PAGE_SIZE)
    today = filterset.today
    query = _query(request)
    return render(
        request,
        "deals/overdue.html",
        {
            "page": page,
            "rows": [(i, contract_selectors.days_overdue(i, today)) for i in page],
            "form": filterset.form,
            "extra_query": query + "&" if query else "",
            "query": query,
        },
    )


@login_required
def overdue_export(request, fmt):
    _require_reports(request.user)
    if fmt not in ("csv", "xlsx"):
        raise Http404("not found")
    filterset = OverdueFilter(request.GET, user=request.user)
    rows = export_columns.overdue_rows(filterset.rows_or_error())
    used = " ".join(f"{k}={v}" for k, v in filterset.used().items())
    return _export_response(
        by=request.user,
        rows=rows,
        columns=export_columns.overdue_columns(filterset.today),
        fmt=fmt,
        filename="overdue_instalments",
        description=used[:200],
        request=request,
    )


# --- payment reminders' settings ----------------------------------------------------------------


def _company_from(request, companies):
    raw = request.POST.get("company") or request.GET.get("company")
    company = next((c for c in companies if str(c.pk) == str(raw)), None) if raw else None
    if (raw and company is None) or not companies:
        raise Http404("not found")
    return company or companies[0]


@login_required
def reminder_settings(request):
    """On/off, days before the due date and the two texts, per company (deals managers)."""
    if not has_perm(request.user, Perm.MANAGE_PRICING):
        raise NotPermitted()
    companies = [
        c
        for c in companies_visible_to(request.user)
        if has_perm(request.user, Perm.MANAGE_PRICING, company=c.pk)
    ]
    company = _company_from(request, companies)
    row = reminder_settings_for(company)
    current = {name: getattr(row, name) for name in ReminderSettingsForm.base_fields}
    form = ReminderSettingsForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            reminder_settings_update(by=request.user, company=company, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Payment reminders saved."))
            return redirect(f"{request.path}?company={company.pk}")
    return render(
        request,
        "deals/reminder_settings.html",
        {
            "form": form,
            "company": company,
            "companies": companies,
            "reminder_fields": REMINDER_FIELDS,
        },
        status=400 if request.method == "POST" else 200,
    )
