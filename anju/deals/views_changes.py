"""Sales-change pages (SUB-5, thin): ask for a change of a deal, the list of changes, one
change with what it does. Deciding happens on the approvals pages (the queue links here).

Kept apart from ``views.py`` (the deals' other pages) so the two grow without conflicts.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.events import events_for
from anju.core.exports import FORMATS, export_response
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm

from . import change_selectors, export_columns
from .change_filters import SalesChangeFilter
from .change_forms import SalesChangeForm
from .models import ChangeKind, ChangeStatus, PaymentMethod
from .selectors import subscription_detail
from .services.changes import CHANGEABLE, change_what, sales_change_request
from .services.payments import paid_total


def _subscription_url(subscription):
    """The deal's own page, once the deals app has one."""
    try:
        return reverse("deals:subscription_detail", args=[subscription.pk])
    except NoReverseMatch:
        return ""


@login_required
def change_request(request, subscription_id):
    """Ask for a change of a subscribed or signed deal; ``?kind=`` (htmx) swaps the fields."""
    subscription = subscription_detail(request.user, subscription_id)
    if not has_perm(
        request.user,
        Perm.SELL_UNITS,
        company=subscription.company_id,
        project=subscription.project_id,
    ):
        raise NotPermitted()
    posted = request.method == "POST"
    kind = (request.POST if posted else request.GET).get("kind")
    form = SalesChangeForm(
        request.POST if posted else None,
        user=request.user,
        subscription=subscription,
        kind=kind,
    )
    if request.htmx and not posted:
        return render(request, "deals/changes/_fields.html", {"form": form})
    pending = (
        subscription.changes.filter(status=ChangeStatus.PENDING)
        .select_related("requested_by")
        .first()
    )
    if posted and form.is_valid():
        try:
            change = sales_change_request(
                by=request.user,
                subscription=subscription,
                kind=form.chosen_kind,
                reason=form.cleaned_data["reason"],
                **form.details(),
            )
        except NotPermitted:
            raise  # a 403, as on every page
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The change was sent for approval."))
            return redirect("deals:change_detail", change.pk)
    context = {
        "subscription": subscription,
        "subscription_url": _subscription_url(subscription),
        "form": form,
        "pending": pending,
        "changeable": subscription.status in CHANGEABLE,
        "paid": paid_total(subscription),
    }
    return render(request, "deals/changes/request.html", context, status=400 if posted else 200)


def _query(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def change_list(request):
    """The changes of the deals the user sees, newest first; filters kind, status, project."""
    filterset = SalesChangeFilter(request.GET, user=request.user)
    rows = filterset.rows()
    if rows is None:
        rows = filterset.queryset.none()
    page = paginate(rows, request.GET.get("page"))
    for change in page.object_list:
        change.what = change_what(change)
    query = _query(request)
    return render(
        request,
        "deals/changes/list.html",
        {
            "page": page,
            "form": filterset.form,
            "extra_query": query + "&" if query else "",
            "export_query": query,
        },
    )


@login_required
def change_export(request, fmt):
    """The sales changes as .xlsx or .csv with the list's filters (masked and logged)."""
    if fmt not in FORMATS:
        raise Http404("not found")
    filterset = SalesChangeFilter(request.GET, user=request.user)
    rows = filterset.rows_or_error()
    used = " ".join(f"{k}={v}" for k, v in filterset.used().items())
    return export_response(
        by=request.user,
        rows=rows,
        columns=export_columns.change_columns(),
        fmt=fmt,
        filename="sales_changes",
        description=used[:200],
        request=request,
    )


@login_required
def change_detail(request, change_id):
    change = change_selectors.sales_change_detail(request.user, change_id)
    subscription = change.subscription
    payload = change.payload or {}
    context = {
        "change": change,
        "subscription": subscription,
        "subscription_url": _subscription_url(subscription),
        "what": change_what(change),
        "payload": payload,
        "approval": change_selectors.approval_of_change(request.user, change),
        "history": events_for(change).select_related("actor").order_by("created_at", "id"),
        "new_lines": payload.get("new_lines") or [],
        "old_lines": payload.get("old_lines") or [],
        "is_cancellation": change.kind == ChangeKind.CANCELLATION,
        "refund_method": dict(PaymentMethod.choices).get(payload.get("refund_method"), ""),
    }
    return render(request, "deals/changes/detail.html", context)
