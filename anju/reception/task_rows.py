"""The follow-up task list (my tasks, team tasks, a call's tasks), built in Python.

A consultant's morning page shows up to 150 tasks; through the template engine (an include
per row, two more for the phone and the SMS text) it cost ~100 ms of CPU, the slowest page of
the load test (issue 10 item 2). Same markup, every value escaped by ``format_html``.
"""

from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from anju.core.masking import mask_name, mask_phone
from anju.core.rows import choice_labels, iso_date, url_maker
from anju.core.scope import sees_loaded

from .models import FollowUpTask, TaskKind, TaskStatus


def customer_shown(user, task) -> bool:
    """May ``user`` see who the task is about? Its assignee works it; anyone else (his manager)
    only where he may open the customer's file — a task on the manager's project may be
    about another project's customer (ORG-2, as a call's or an opportunity's)."""
    return task.assignee_id == user.pk or sees_loaded(user, task.customer)


def title_shown(task, shown: bool) -> str:
    """The title names the customer ("电话回访 · 欧阳晓峰"): where he is not to be seen, the
    kind and the masked name instead (a typed title too may name him)."""
    if shown:
        return task.title
    return f"{task.get_kind_display()} · {mask_name(task.customer.name)}"


def task_list_html(request, tasks, *, quick: bool, empty: str, show_assignee=False) -> SafeString:
    shared = _Shared()
    me = request.user.pk
    csrf = get_token(request)
    items = [
        _task_item(
            t, shared, me=me, csrf=csrf, quick=quick, request=request, show_assignee=show_assignee
        )
        for t in tasks
    ]
    if not items:
        items = [format_html('<div class="list-group-item text-secondary">{}</div>', empty)]
    return format_html(
        '<div class="list-group list-group-flush">\n{}\n</div>', mark_safe("\n".join(items))
    )


class _Shared:
    """What every row shares, worked out once per list: routes and labels."""

    def __init__(self):
        self.detail = url_maker("reception:task_detail")
        self.complete = url_maker("reception:task_complete")
        self.reveal = url_maker("customers:reveal", "phone")
        self.kind = choice_labels(FollowUpTask, "kind")
        self.status = choice_labels(FollowUpTask, "status")
        self.today = timezone.localdate()
        self.due = _("Due")
        self.show_number = _("Show number")
        self.copied, self.copy_text = _("Copied"), _("Copy text")
        self.sent_hint, self.outcome_hint = _("Sent (optional note)"), _("Outcome of the follow-up")
        self.outcome, self.done = _("Outcome"), _("Done")


def _task_item(t, shared, *, me, csrf, quick, request, show_assignee) -> str:
    is_open = t.status == TaskStatus.OPEN
    shown = customer_shown(request.user, t)
    due = f"{shared.due} {iso_date(t.due_date)}"
    if not is_open:
        due += " · " + shared.status(t.status)
    parts = [
        format_html(
            '<div class="list-group-item" data-testid="task" data-kind="{}">'
            '<div class="d-flex flex-wrap justify-content-between gap-2"><div>'
            '<span class="badge task-kind task-{}">{}</span> '
            '<a class="fw-semibold text-decoration-none" href="{}">{}</a>{}</div>'
            '<div class="small {}">{}</div></div>',
            t.kind,
            t.kind,
            shared.kind(t.kind),
            shared.detail(t.pk),
            title_shown(t, shown),
            format_html(' <span class="text-secondary small">· {}</span>', t.assignee)
            if show_assignee
            else "",
            "text-danger fw-semibold" if t.overdue_on(shared.today) else "text-secondary",
            due,
        )
    ]
    if is_open and t.assignee_id == me:
        parts.append(_customer_line(t.customer, shared))
    if t.message and is_open and shown:  # the SMS greets the customer by name
        parts.append(_sms_block(t, shared))
    if is_open and quick:
        parts.append(_complete_form(t, shared, csrf=csrf, path=request.path))
    elif t.outcome and shown:
        parts.append(format_html('<div class="small text-secondary mt-1">{}</div>', t.outcome))
    parts.append("</div>")
    return "".join(parts)


def _customer_line(customer, shared) -> str:
    """His name and masked number; the assignee may show it in full (issue 9 item 1)."""
    button = ""
    if customer.phone:
        button = format_html(
            '<button class="btn btn-link btn-sm p-0 ms-2" hx-post="{}" '
            'hx-target="closest .reveal-slot" hx-swap="innerHTML" '
            'data-testid="reveal-phone">{}</button>',
            shared.reveal(customer.pk),
            shared.show_number,
        )
    return format_html(
        '<div class="small mt-1">{} · <span class="reveal-slot">'
        '<span class="font-monospace text-secondary">{}</span>{}</span></div>',
        customer.name,
        mask_phone(customer.phone) if customer.phone else "",
        button,
    )


def _sms_block(task, shared) -> str:
    return format_html(
        '<div class="d-flex align-items-start gap-2 mt-2">'
        '<div class="sms-text small flex-grow-1 user-select-all" id="sms-{}" '
        'data-testid="sms-text">{}</div><button type="button" '
        'class="btn btn-sm btn-outline-secondary text-nowrap" data-copy="#sms-{}" '
        'data-copied="{}" data-testid="copy-sms">{}</button></div>',
        task.pk,
        task.message,
        task.pk,
        shared.copied,
        shared.copy_text,
    )


def _complete_form(task, shared, *, csrf, path) -> str:
    hint = shared.sent_hint if task.kind == TaskKind.SMS else shared.outcome_hint
    return format_html(
        '<form method="post" action="{}" class="d-flex gap-2 mt-2">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">'
        '<input class="form-control form-control-sm" name="outcome" maxlength="2000" '
        'placeholder="{}" aria-label="{}">'
        '<button class="btn btn-sm btn-success text-nowrap" type="submit">{}</button></form>',
        shared.complete(task.pk),
        csrf,
        path,
        hint,
        shared.outcome,
        shared.done,
    )
