"""Approval pages (thin): the approver's queue, my requests, one request with its decision.

Reads go through ``selectors`` (scoped), writes through ``services``; a refusal of the
person (not his input) is a 403 like on every page, a refused input a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.events import events_for
from anju.core.pagination import paginate

from . import selectors, services
from .display import decorate
from .forms import DecisionForm


@login_required
def queue(request):
    """Pending requests the user may decide, the longest waiting first."""
    page = paginate(selectors.approvals_pending_for(request.user), request.GET.get("page"))
    decorate(page.object_list)
    return render(request, "approvals/queue.html", {"page": page, "tab": "queue"})


@login_required
def mine(request):
    """The requests the user asked for, newest first, with their answers."""
    page = paginate(selectors.approvals_requested_by(request.user), request.GET.get("page"))
    decorate(page.object_list)
    return render(request, "approvals/mine.html", {"page": page, "tab": "mine"})


@login_required
def detail(request, approval_id):
    approval = selectors.approval_for(request.user, approval_id)
    return _detail(request, approval, DecisionForm())


def _detail(request, approval, form):
    decorate([approval])
    history = events_for(approval).select_related("actor").order_by("created_at", "id")
    context = {
        "approval": approval,
        "form": form,
        "history": history,
        "may_decide": services.may_decide(request.user, approval),
        "may_withdraw": approval.is_pending and approval.requested_by_id == request.user.pk,
    }
    return render(request, "approvals/detail.html", context)


@login_required
@require_POST
def decide(request, approval_id):
    approval = selectors.approval_for(request.user, approval_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, approval, form)
    approve = form.cleaned_data["decision"] == DecisionForm.APPROVE
    try:
        services.approval_decide(
            by=request.user,
            request=approval,
            approve=approve,
            comment=form.cleaned_data["comment"],
        )
    except NotPermitted:
        raise  # a refusal is a 403, as on every page, not a form error
    except ApplicationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _detail(request, approval, form)
    messages.success(request, _("Approved.") if approve else _("Rejected."))
    return redirect("approvals:queue")


@login_required
@require_POST
def withdraw(request, approval_id):
    approval = selectors.approval_for(request.user, approval_id)
    try:
        services.approval_withdraw(by=request.user, request=approval)
    except NotPermitted:
        raise  # 403, as on every page
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("approvals:detail", approval.pk)
    messages.success(request, _("Request withdrawn."))
    return redirect("approvals:mine")
