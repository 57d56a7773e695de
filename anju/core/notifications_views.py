"""The staff member's own notices (issue 13 item 7): the list behind the bell in the menu."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .notifications import for_user, mark_read
from .pagination import paginate


@login_required
def notification_list(request):
    """Newest first, unread ones marked; each opens its record (and is then read)."""
    page = paginate(for_user(request.user), request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@login_required
@require_POST
def notification_open(request, notification_id):
    """Mark one notice read and go to what it is about (one's own notices only: 404)."""
    notice = for_user(request.user).filter(pk=notification_id).first()
    if notice is None:
        raise Http404("not found")
    mark_read(request.user, [notice.pk])
    url = notice.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    count = mark_read(request.user)
    if count:
        messages.success(request, _("%(n)s notice(s) marked as read.") % {"n": count})
    return redirect("notifications:list")
