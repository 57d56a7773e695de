"""SVC-6 The monthly complaint report's pages: the report with its charts, the chart data
(JSON), the workbook (one sheet per table) and the printable version (``?print=1``).

Thin: the figures come from ``report.py``; who may see what is decided there too
(``resolve_scope``: VIEW_REPORTS over the chosen group, company or project; 404 for one the
user does not see).
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.api_errors import error_response
from anju.core.errors import ApplicationError, NotPermitted
from anju.core.exports import XLSX_CONTENT_TYPE, xlsx_book_file
from anju.core.permissions import has_perm
from anju.core.roles import Perm

from . import report


def _query(scope, month) -> str:
    return urlencode({"month": month.strftime("%Y-%m"), **scope.params})


def _context(request):
    """The scope and month the query names (errors raised as the services' errors)."""
    scope, options = report.resolve_scope(
        request.user, company=request.GET.get("company"), project=request.GET.get("project")
    )
    month = report.parse_month(request.GET.get("month"))
    return scope, options, month


def _may_export(user, scope) -> bool:
    return all(has_perm(user, Perm.EXPORT_DATA, company=c) for c in scope.company_ids)


@login_required
def report_page(request):
    """客户投诉处理统计分析报告: the tables, a chart beside each, export and print links."""
    scope, options = report.resolve_scope(
        request.user, company=request.GET.get("company"), project=request.GET.get("project")
    )
    try:
        month, month_error = report.parse_month(request.GET.get("month")), None
    except ApplicationError as exc:  # a form error; the last complete month meanwhile
        month, month_error = report.default_month(), exc.message
    monthly = report.monthly_report(request.user, month=month, scope=scope)
    context = {
        "report": monthly,
        "tables": report.report_tables(monthly),
        "scope": scope,
        "companies": [o for o in options if o.kind in ("group", "company")],
        "projects": [o for o in options if o.kind == "project"],
        "month_value": request.GET.get("month", "") if month_error else month.strftime("%Y-%m"),
        "month_title": report.month_title(month),
        "month_error": month_error,
        "query": _query(scope, month),
        "may_export": _may_export(request.user, scope),
        "printed_on": timezone.localtime(),
    }
    printing = request.GET.get("print") == "1"
    template = "service/report_print.html" if printing else "service/report.html"
    return render(request, template, context, status=400 if month_error else 200)


@login_required
def report_data(request):
    """The chart data as JSON; errors in the API's one shape."""
    try:
        scope, _options, month = _context(request)
        monthly = report.monthly_report(request.user, month=month, scope=scope)
    except ApplicationError as exc:
        status = 400 if exc.status_code == 422 else exc.status_code
        return error_response(status, exc.code, exc.message, field=exc.field)
    return JsonResponse(report.report_data(monthly), json_dumps_params={"ensure_ascii": False})


@login_required
def report_export(request):
    """Every table of the report in one workbook, one sheet per table (EXPORT_DATA too).
    Counts only, no personal data: nothing for the access log."""
    scope, _options, month = _context(request)
    if not _may_export(request.user, scope):
        raise NotPermitted()
    monthly = report.monthly_report(request.user, month=month, scope=scope)
    caption = [f"{_('Complaint report')} · {scope.label} · {report.month_title(month)}"]
    sheets = [
        (table.sheet, [caption, [table.title], *table.lines])
        for table in report.report_tables(monthly)
    ]
    stamp = month.strftime("%Y-%m")
    return FileResponse(
        xlsx_book_file(sheets),
        as_attachment=True,
        filename=f"complaint-report-{stamp}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


def register_report_nav() -> None:
    """The menu entry, for every role that may read reports (from ``wiring.wire``)."""
    from django.utils.translation import gettext_lazy

    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import ROLE_PERMS

    roles = frozenset(r for r, perms in ROLE_PERMS.items() if Perm.VIEW_REPORTS in perms)
    register_nav(
        NavItem(gettext_lazy("Complaint report"), "service:report", roles),
        after="service:tickets",
    )
