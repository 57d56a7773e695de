"""The personal-data access log page and its export (SEC-2, issue 7 item 10)."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from .access_log import AccessLogFilterForm, access_log_visible_to, add_display, export_columns
from .exports import export_response
from .pagination import paginate


def _filtered(request):
    """The filter form and the rows it selects (none at all on bad input)."""
    user = request.user
    form = AccessLogFilterForm(
        request.GET or None,
        staff=get_user_model().objects.visible_to(user).order_by("username"),
        companies=apps.get_model("org", "Company").objects.visible_to(user).order_by("code"),
    )
    filters = form.filters()
    rows = access_log_visible_to(user, **(filters or {}))  # 403 without the permission
    if filters is None:
        rows = rows.none()  # never fall back to the whole log on bad input
    return form, rows


@login_required
def access_log(request):
    form, rows = _filtered(request)
    page = paginate(rows, request.GET.get("page"))
    add_display(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/access_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
def access_log_export(request, fmt):
    """The filtered log as .xlsx/.csv; the export itself is logged (it names customers)."""
    _form, rows = _filtered(request)
    # Freeze the list first: the export's own log row must not land in the file it counts.
    rows = rows.filter(created_at__lte=timezone.now())
    return export_response(
        by=request.user,
        rows=rows,
        columns=export_columns(),
        fmt=fmt,
        filename="access-log",
        description=request.GET.urlencode()[:200],
        request=request,
    )
