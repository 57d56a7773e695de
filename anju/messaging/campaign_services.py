"""Campaign writes (MSG-2, MSG-3): create, edit, generate the list, ask for approval, approve,
send, retry. Every one checks ``Perm.RUN_CAMPAIGNS`` (approving: ``APPROVE_CAMPAIGN``) where
the campaign is, moves the status by ``campaigns.STATUS_TRANSITIONS`` on a locked row, and
writes an event.

The rules, each with a test (``tests/test_campaign_services.py``):

- what is sent and to whom can change only before approval is asked (``EDITABLE``); a change
  after generation throws the generated list away;
- one generation at a time (a second one while it runs: 409 ``already_generating``);
- a list with nobody to send to (empty, everyone opted out …) cannot be put up for approval;
- the approver is never the one who prepared or generated the list (four eyes);
- the release walks the pending rows in batches, each batch in one transaction with its
  outbox rows (``message_enqueue``, key campaign + customer or number): a release stopped
  midway and started again sends nobody twice; consent and quiet hours apply there.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event
from anju.core.jobs import job_finish, job_progress, job_running, job_start
from anju.core.models import Job
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.scope import sees_loaded
from anju.core.transitions import check_transition
from anju.core.validation import validate_fields

from . import campaign_sources as sources
from .campaigns import (
    STATUS_TRANSITIONS,
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    Exclusion,
    RecipientSource,
    RecipientStatus,
)
from .models import Channel, Kind, Message, MessageTemplate, OptOut
from .services import message_enqueue, messages_retry_failed, signature_for
from .templating import (
    FIELD_PATTERN,
    check_template_text,
    fields_used,
    sms_segments,
    template_fields,
    with_opt_out,
)

log = logging.getLogger(__name__)

S = CampaignStatus
GENERATE_JOB = "campaign_generate"
SEND_JOB = "campaign_send"
LIST_JOB = "campaign_list"  # keeps an uploaded list's file (purged with job uploads, PIPL)
APPROVAL_KIND = "messaging.campaign"
CAMPAIGN_FIELDS = ("活动", "日期", "时间", "地点")  # values given once per campaign
BATCH = 2000
SEND_BATCH = 200
STALE_SEND_JOB = timedelta(minutes=10)


def segment_price() -> Decimal:
    """What one SMS segment costs (yuan), for the review's estimate; set per deployment."""
    return Decimal(str(getattr(settings, "ANJU_SMS_SEGMENT_PRICE", "0.05")))


# --- create and edit -------------------------------------------------------------------------


def _lock(campaign) -> Campaign:
    return (
        Campaign.objects.unscoped("lock the campaign the caller passed")
        .select_for_update()
        .get(pk=campaign.pk)
    )


def _move(campaign, to) -> None:
    check_transition(
        allowed=STATUS_TRANSITIONS,
        current=CampaignStatus(campaign.status),
        to=to,
        label=_("The campaign"),
    )
    campaign.status = to


def _template_of(company, template):
    if template is None:
        return None
    if template.company_id != company.pk:
        raise Conflict(
            _("The template belongs to another company."), field="template", code="company_mismatch"
        )
    if not template.is_active:
        raise ApplicationError(_("The template is no longer in use."), field="template")
    return template


def _clean_extra(extra) -> dict:
    values = {}
    for key, value in (extra or {}).items():
        if key not in CAMPAIGN_FIELDS:
            raise ApplicationError(
                _("%(field)s is not a campaign field.") % {"field": f"{{{key}}}"}, field="extra"
            )
        text = str(value or "").strip()
        if len(text) > 50:
            raise ApplicationError(_("At most 50 characters per field."), field="extra")
        if text:
            values[key] = text
    return values


def _check_text(campaign) -> None:
    if not (campaign.text or "").strip():
        raise ApplicationError(_("Write the text or choose a template."), field="text")
    check_template_text(campaign.text, field="text")
    given = {f.key for f in template_fields() if f.value is not None} | set(campaign.extra)
    missing = [name for name in fields_used(campaign.text) if name not in given]
    if missing:
        # The stored template names fields the request did not give: its state refuses (409);
        # a typed text missing them is the body's own fault (422).
        refusal = Conflict if campaign.template_id else ApplicationError
        raise refusal(
            _("Give the value of %(fields)s for this campaign.")
            % {"fields": "、".join(f"{{{name}}}" for name in missing)},
            field="extra",
        )
    if campaign.channel == Channel.EMAIL and not campaign.subject.strip():
        raise ApplicationError(_("An e-mail needs a subject."), field="subject")


def _apply_source(*, by, campaign, source, source_params, upload) -> None:
    if source not in RecipientSource.values:
        raise ApplicationError(_("Choose where the recipients come from."), field="source")
    campaign.source = source
    if source == RecipientSource.FILTER:
        campaign.source_params = sources.clean_filter_params(by, source_params)
    elif source == RecipientSource.EVENT:
        campaign.source_params = sources.clean_event_params(by, campaign.company, source_params)
    elif upload is not None:
        sources.check_upload(upload, campaign.channel)
        job = job_start(
            by=by,
            kind=LIST_JOB,
            company=campaign.company,
            title=_("Campaign list: %(file)s") % {"file": upload.name[:150]},
            input_file=upload,
            params={"filename": upload.name},
        )
        campaign.source_params = {"upload_job": job.pk, "filename": upload.name[:200]}
    elif not (campaign.source_params or {}).get("upload_job"):
        raise ApplicationError(_("Upload the list (.xlsx or .csv)."), field="file")


@transaction.atomic
def campaign_create(
    *,
    by,
    company,
    name: str,
    channel: str = Channel.SMS,
    kind: str = Kind.MARKETING,
    template: MessageTemplate | None = None,
    text: str = "",
    subject: str = "",
    extra: dict | None = None,
    project=None,
    source: str = RecipientSource.FILTER,
    source_params: dict | None = None,
    upload=None,
) -> Campaign:
    """A draft campaign. With a template, its channel, kind, subject and text are copied (the
    campaign keeps what it will send, whatever later happens to the template)."""
    require_perm(by, Perm.RUN_CAMPAIGNS, company=company, project=project)
    if project is not None and project.company_id != company.pk:
        raise Conflict(
            _("The project belongs to another company."), field="project", code="company_mismatch"
        )
    template = _template_of(company, template)
    campaign = Campaign(
        company=company,
        project=project,
        name=(name or "").strip(),
        channel=template.channel if template else channel,
        kind=template.kind if template else kind,
        template=template,
        subject=(template.subject if template else subject or "").strip(),
        text=(template.body if template else text or "").strip(),
        extra=_clean_extra(extra),
        prepared_by=by,
    )
    if not campaign.name:
        raise ApplicationError(_("Give the campaign a name."), field="name")
    validate_fields(campaign, ["name", "channel", "kind", "subject", "text"])
    _check_text(campaign)
    _apply_source(
        by=by, campaign=campaign, source=source, source_params=source_params, upload=upload
    )
    campaign.save()
    record_event(
        by=by,
        verb="messaging.campaign_created",
        target=campaign,
        details={"name": campaign.name, "channel": campaign.channel, "kind": campaign.kind,
                 "source": campaign.source},
    )  # fmt: skip
    return campaign


EDIT_FIELDS = ("name", "text", "subject", "extra", "kind", "channel", "template")


@transaction.atomic
def campaign_update(*, by, campaign, source=None, source_params=None, upload=None, **changes):
    """Change a campaign before approval was asked; a generated list is thrown away."""
    campaign = _lock(campaign)
    require_perm(by, Perm.RUN_CAMPAIGNS, company=campaign.company_id, project=campaign.project_id)
    if not campaign.is_editable:
        raise Conflict(
            _("The campaign can no longer be changed: it is %(status)s.")
            % {"status": campaign.get_status_display()},
            code="campaign_locked",
        )
    unknown = set(changes) - set(EDIT_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    if "template" in changes:
        template = _template_of(campaign.company, changes.pop("template"))
        campaign.template = template
        if template is not None:
            campaign.channel, campaign.kind = template.channel, template.kind
            campaign.subject, campaign.text = template.subject, template.body
    if "extra" in changes:
        campaign.extra = _clean_extra(changes.pop("extra"))
    for field, value in changes.items():
        setattr(campaign, field, (value or "").strip() if isinstance(value, str) else value)
    validate_fields(campaign, ["name", "channel", "kind", "subject", "text"])
    if not campaign.name:
        raise ApplicationError(_("Give the campaign a name."), field="name")
    _check_text(campaign)
    if source is not None or upload is not None:
        _apply_source(
            by=by,
            campaign=campaign,
            source=source or campaign.source,
            source_params=source_params,
            upload=upload,
        )
    if campaign.status == S.GENERATED:
        _discard_list(campaign)
        _move(campaign, S.DRAFT)
    campaign.save()
    record_event(
        by=by,
        verb="messaging.campaign_changed",
        target=campaign,
        details={"fields": sorted([*changes, *(["source"] if source or upload else [])])},
    )
    return campaign


def _discard_list(campaign) -> None:
    CampaignRecipient.objects.filter(campaign=campaign).delete()
    campaign.counts, campaign.segments = {}, 0
    campaign.generated_at = campaign.generated_by = None


# --- generate the pending-send list ------------------------------------------------------------


@transaction.atomic
def campaign_generate(*, by, campaign) -> Job:
    """Start generating the list in the background (the job's page shows its progress)."""
    from .campaign_tasks import campaign_generate_task

    campaign = _lock(campaign)
    require_perm(by, Perm.RUN_CAMPAIGNS, company=campaign.company_id, project=campaign.project_id)
    if campaign.status == S.GENERATING:
        raise Conflict(_("The list is being generated already."), code="already_generating")
    if not campaign.is_editable:
        raise Conflict(
            _("The campaign can no longer be changed: it is %(status)s.")
            % {"status": campaign.get_status_display()},
            code="campaign_locked",
        )
    _move(campaign, S.GENERATING)
    job = job_start(
        by=by,
        kind=GENERATE_JOB,
        company=campaign.company,
        title=_("Campaign list: %(name)s") % {"name": campaign.name[:150]},
        params={"campaign": campaign.pk},
        task=campaign_generate_task,
    )
    campaign.generate_job = job
    campaign.save(update_fields=["status", "generate_job", "updated_at"])
    record_event(by=by, verb="messaging.campaign_generating", target=campaign,
                 details={"job": job.pk})  # fmt: skip
    return job


def run_campaign_generate(*, job_id: int) -> Job:
    """The background part: stream the source, write the rows in batches, in one
    transaction (a failure leaves the previous state: no half list)."""
    job = Job.objects.unscoped("the worker loads its job").get(pk=job_id)
    if job.is_finished:  # the task delivered twice, or the job run directly (the demo)
        return job
    with job_running(job) as job:
        campaign = Campaign.objects.unscoped("the job's campaign").get(pk=job.params["campaign"])
        by = job.created_by
        try:
            with transaction.atomic():
                campaign = _lock(campaign)
                if campaign.status != S.GENERATING or campaign.generate_job_id != job.pk:
                    return job_finish(job=job, failed=True, message=_("Superseded."))
                require_perm(
                    by, Perm.RUN_CAMPAIGNS, company=campaign.company_id,
                    project=campaign.project_id,
                )  # fmt: skip
                _discard_list(campaign)
                counts, segments, errors = _generate(job, by, campaign)
                _move(campaign, S.GENERATED)
                campaign.counts, campaign.segments = counts, segments
                campaign.generated_at, campaign.generated_by = timezone.now(), by
                campaign.save()
                record_event(by=by, verb="messaging.campaign_generated", target=campaign,
                             details=counts)  # fmt: skip
        except (ApplicationError, NotPermitted) as exc:
            _generation_failed(campaign, job)
            return job_finish(job=job, failed=True, message=str(exc.message))
        except Exception:
            _generation_failed(campaign, job)
            raise
        return job_finish(job=job, result=counts, errors=errors, message=_summary(counts))


def _generation_failed(campaign, job) -> None:
    with transaction.atomic():
        campaign = _lock(campaign)
        if campaign.status == S.GENERATING and campaign.generate_job_id == job.pk:
            campaign.status = S.DRAFT
            campaign.save(update_fields=["status", "updated_at"])


def _summary(counts) -> str:
    return _("%(to_send)s to send, %(left_out)s left out.") % {
        "to_send": counts["to_send"],
        "left_out": counts["candidates"] - counts["to_send"] + counts["out_of_scope"],
    }


def _upload_of(campaign):
    job_id = (campaign.source_params or {}).get("upload_job")
    job = Job.objects.unscoped("the campaign's own upload").filter(pk=job_id).first()
    if job is None or not job.input_file:
        raise ApplicationError(
            _("The uploaded list was removed. Upload it again."), field="file", code="file_removed"
        )
    with job.input_file.open("rb") as f:
        return f.read(), job.params.get("filename", job.input_file.name)


class _Renderer:
    """The final text of one recipient: fields filled, 回T退订 for marketing SMS, segments
    counted with the 【signature】 the gateway will show."""

    def __init__(self, campaign):
        self.campaign = campaign
        check_template_text(campaign.text, field="text")
        self.names = fields_used(campaign.text)
        self.used = [f for f in template_fields() if f.key in self.names]
        self.opt_out_line = campaign.channel == Channel.SMS and campaign.kind == Kind.MARKETING
        self.signature = signature_for(campaign.company) if campaign.channel == Channel.SMS else ""
        self.extra = {**campaign.extra, "project": campaign.project}
        self.owners, self.projects = {}, {}

    def _attach(self, customer):
        """The customer's company, project and consultant, loaded once per campaign."""
        from anju.org.models import Project, User

        customer.company = self.campaign.company
        if customer.project_id:
            if customer.project_id not in self.projects:
                self.projects[customer.project_id] = Project.objects.unscoped(
                    "the project of a listed customer"
                ).get(pk=customer.project_id)
            customer.project = self.projects[customer.project_id]
        if customer.owner_id:
            if customer.owner_id not in self.owners:
                self.owners[customer.owner_id] = User.objects.unscoped(
                    "the consultant of a listed customer"
                ).get(pk=customer.owner_id)
            customer.owner = self.owners[customer.owner_id]

    def render(self, candidate) -> str | None:
        """The final text, or None when a field has no value for this recipient. The same
        result as ``template_render`` (the text was checked once, in ``__init__``), without
        checking the text again for each of a million rows."""
        context = dict(self.campaign.extra)
        if candidate.customer is not None:
            self._attach(candidate.customer)
            for f in self.used:
                if f.value is not None:
                    context[f.key] = f.value(candidate.customer, self.extra) or ""
        elif candidate.name:
            context["姓名"] = candidate.name
        values = {name: str(context.get(name) or "").strip() for name in self.names}
        if not all(values.values()):
            return None
        text = FIELD_PATTERN.sub(lambda m: values[m.group(1)], self.campaign.text)
        if self.opt_out_line:
            text = with_opt_out(text)
        return text

    def segments(self, body) -> int:
        if self.campaign.channel != Channel.SMS:
            return 0
        return sms_segments(f"【{self.signature}】{body}" if self.signature else body)


def _generate(job, by, campaign):
    result = sources.SourceResult()
    upload = _upload_of(campaign) if campaign.source == RecipientSource.UPLOAD else None
    total, stream = sources.candidates(by, campaign, result, upload=upload)
    job_progress(job=job, done=0, total=total, message=_("Generating the list…"), force=True)
    renderer = _Renderer(campaign)
    counts = {reason: 0 for reason in Exclusion.values}
    to_send = segments = done = 0
    chunk = []

    def flush():
        nonlocal to_send, segments, done
        rows = _rows(campaign, renderer, chunk)
        _write(rows)
        for row in rows:
            if row[ROW_STATUS] == RecipientStatus.PENDING:
                to_send += 1
                segments += row[ROW_SEGMENTS]
            else:
                counts[row[ROW_REASON]] += 1
        done += len(chunk)
        chunk.clear()
        job_progress(job=job, done=done)

    for candidate in stream:
        chunk.append(candidate)
        if len(chunk) >= BATCH:
            flush()
    if chunk:
        flush()
    counts["out_of_scope"] += result.out_of_scope
    counts.update(
        candidates=done, to_send=to_send, row_errors=len(result.errors or []),
    )  # fmt: skip
    return counts, segments, result.errors or []


def _opted_out(campaign, addresses) -> set[str]:
    """Which of ``addresses`` refused marketing (for candidates the source did not check)."""
    if campaign.kind != Kind.MARKETING or not addresses:
        return set()
    return set(
        OptOut.objects.filter(
            holding_id=campaign.company.holding_id,
            channel=campaign.channel,
            address__in=addresses,
        ).values_list("address", flat=True)
    )


# A list row as written: plain tuples, not model instances (a million of them).
ROW_COLUMNS = (
    "campaign_id", "customer_id", "address", "name", "row", "status", "reason", "body",
    "segments",
)  # fmt: skip
ROW_STATUS, ROW_REASON, ROW_SEGMENTS = 5, 6, 8


def _rows(campaign, renderer, chunk) -> list[tuple]:
    marketing = campaign.kind == Kind.MARKETING
    unchecked = [c.address for c in chunk if c.address and not c.reason and c.opted_out is None]
    refused = _opted_out(campaign, unchecked)
    rows = []
    for c in chunk:
        reason, body = c.reason, ""
        if not reason and marketing and (c.opted_out or c.address in refused):
            reason = Exclusion.OPTED_OUT
        if not reason:
            body = renderer.render(c)
            if body is None:
                reason, body = Exclusion.MISSING_FIELD, ""
        rows.append(
            (
                campaign.pk,
                c.customer.pk if c.customer is not None else None,
                c.address,
                (c.name or "")[:50],
                c.row,
                RecipientStatus.EXCLUDED.value if reason else RecipientStatus.PENDING.value,
                str(reason),
                body,
                renderer.segments(body) if body else 0,
            )
        )
    return rows


def _write(rows: list[tuple]) -> None:
    """Insert the rows: COPY on PostgreSQL (a million rows in seconds, no per-value Python
    work), ``bulk_create`` elsewhere. Inside the generation's transaction either way."""
    if connection.vendor == "postgresql":
        table = CampaignRecipient._meta.db_table
        columns = ", ".join(ROW_COLUMNS)
        with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN"
        ) as copy:  # fmt: skip
            for row in rows:
                copy.write_row(row)
        return
    CampaignRecipient.objects.bulk_create(
        [CampaignRecipient(**dict(zip(ROW_COLUMNS, row, strict=True))) for row in rows],
        batch_size=BATCH,
    )


# --- approval (four eyes, through the approvals app) -----------------------------------------------


@transaction.atomic
def campaign_submit(*, by, campaign):
    """Ask for approval of the generated list. Nobody to send to: refused, nothing asked."""
    from anju.approvals.services import approval_request

    campaign = _lock(campaign)
    require_perm(by, Perm.RUN_CAMPAIGNS, company=campaign.company_id, project=campaign.project_id)
    if campaign.status != S.GENERATED:
        raise Conflict(_("Generate the list first."), code="not_generated")
    counts = campaign.counts or {}
    if not counts.get("to_send"):
        raise ApplicationError(_nobody_message(counts), code="no_recipients")
    _move(campaign, S.AWAITING_APPROVAL)
    campaign.approval = approval_request(
        by=by,
        kind=APPROVAL_KIND,
        company=campaign.company,
        project=campaign.project,
        target_id=campaign.pk,
        payload={"to_send": counts["to_send"], "segments": campaign.segments},
        summary=_("Campaign “%(name)s”: %(n)s messages")
        % {"name": campaign.name[:100], "n": counts["to_send"]},
    )
    campaign.save(update_fields=["status", "approval", "updated_at"])
    record_event(by=by, verb="messaging.campaign_submitted", target=campaign, details=counts)
    return campaign


def _nobody_message(counts) -> str:
    if counts.get("candidates") and counts.get("opted_out") == counts.get("candidates"):
        return _("Everyone on the list has opted out: there is nobody to send to.")
    if not counts.get("candidates"):
        return _("The list is empty: no recipient matches. Change the recipients.")
    return _("Nobody on the list can receive the message (see the reasons left out).")


def _pending_approval(campaign):
    from anju.approvals.models import ApprovalRequest, ApprovalStatus

    return (
        ApprovalRequest.objects.unscoped("the campaign's own pending request")
        .filter(kind=APPROVAL_KIND, target_id=campaign.pk, status=ApprovalStatus.PENDING)
        .first()
    )


def campaign_decide(*, by, campaign, approve: bool = True, comment: str = ""):
    """Approve or reject the campaign's pending request (as the approvals queue would)."""
    from anju.approvals.services import approval_decide

    require_perm(
        by, Perm.APPROVE_CAMPAIGN, company=campaign.company_id, project=campaign.project_id
    )
    if by is not None and by.pk in (campaign.prepared_by_id, campaign.generated_by_id):
        # who may decide comes before what state it is in: the preparer never may
        raise NotPermitted(
            _("The person who prepared the campaign may not approve it."), code="four_eyes"
        )
    request = _pending_approval(campaign)
    if request is None:
        raise Conflict(_("The campaign is not awaiting approval."), code="not_awaiting")
    approval_decide(by=by, request=request, approve=approve, comment=comment)
    return Campaign.objects.unscoped("re-read after the decision").get(pk=campaign.pk)


def _on_approved(*, by, request) -> None:
    campaign = _lock(Campaign(pk=request.target_id))
    if by is not None and by.pk in (campaign.prepared_by_id, campaign.generated_by_id):
        raise NotPermitted(_("The person who prepared the campaign may not approve it."))
    _move(campaign, S.APPROVED)
    campaign.approved_by, campaign.approved_at = by, timezone.now()
    campaign.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    record_event(by=by, verb="messaging.campaign_approved", target=campaign,
                 details={"approval": request.pk})  # fmt: skip


def _on_returned(*, by, request) -> None:
    campaign = _lock(Campaign(pk=request.target_id))
    if campaign.status == S.AWAITING_APPROVAL:
        _move(campaign, S.GENERATED)
        campaign.save(update_fields=["status", "updated_at"])
        record_event(by=by, verb="messaging.campaign_returned", target=campaign,
                     details={"approval": request.pk, "status": request.status})  # fmt: skip


def _describe(request) -> str:
    return request.summary


def _target_url(request):
    from django.urls import reverse

    return reverse("campaigns:detail", args=[request.target_id])


def register_campaign_approval() -> None:
    """Called from ``MessagingConfig.ready()``: campaigns are approved in the approvals app."""
    from django.utils.translation import gettext_lazy

    from anju.approvals.registry import ApprovalKind, approval_kind, register_approval_kind

    if approval_kind(APPROVAL_KIND) is None:
        register_approval_kind(
            ApprovalKind(
                name=APPROVAL_KIND,
                label=gettext_lazy("Message campaign"),
                perm=Perm.APPROVE_CAMPAIGN,
                on_approved=_on_approved,
                on_rejected=_on_returned,
                on_withdrawn=_on_returned,
                describe=_describe,
                target_url=_target_url,
            )
        )


# --- send ---------------------------------------------------------------------------------


@transaction.atomic
def campaign_send(*, by, campaign) -> Job:
    """Release the approved list into the outbox (a background job). Started again after a
    stop, it releases only the rows still pending."""
    from .campaign_tasks import campaign_send_task

    campaign = _lock(campaign)
    require_perm(by, Perm.RUN_CAMPAIGNS, company=campaign.company_id, project=campaign.project_id)
    if campaign.status == S.SENDING and _send_job_alive(campaign):
        raise Conflict(_("The campaign is being sent already."), code="already_sending")
    if campaign.status not in (S.APPROVED, S.SENDING):
        raise Conflict(
            _("Only an approved campaign can be sent (it is %(status)s).")
            % {"status": campaign.get_status_display()},
            code="not_approved",
        )
    _move(campaign, S.SENDING)
    job = job_start(
        by=by,
        kind=SEND_JOB,
        company=campaign.company,
        title=_("Sending campaign: %(name)s") % {"name": campaign.name[:150]},
        params={"campaign": campaign.pk},
        total=(campaign.counts or {}).get("to_send", 0),
        task=campaign_send_task,
    )
    campaign.send_job = job
    campaign.sent_by = by
    campaign.send_started_at = campaign.send_started_at or timezone.now()
    campaign.save(update_fields=["status", "send_job", "sent_by", "send_started_at", "updated_at"])
    record_event(by=by, verb="messaging.campaign_sending", target=campaign,
                 details={"job": job.pk})  # fmt: skip
    return job


def _send_job_alive(campaign) -> bool:
    job = campaign.send_job
    if job is None or job.is_finished:
        return False
    return job.updated_at > timezone.now() - STALE_SEND_JOB


def run_campaign_send(*, job_id: int) -> Job:
    """The background release: batches of pending rows, each with its outbox rows in one
    transaction."""
    job = Job.objects.unscoped("the worker loads its job").get(pk=job_id)
    if job.is_finished:  # the task delivered twice, or the job run directly (the demo)
        return job
    with job_running(job) as job:
        campaign = Campaign.objects.unscoped("the job's campaign").get(pk=job.params["campaign"])
        if campaign.status != S.SENDING or campaign.send_job_id != job.pk:
            return job_finish(job=job, failed=True, message=_("Superseded."))
        by = job.created_by
        released = RecipientStatus.RELEASED
        done = CampaignRecipient.objects.filter(campaign=campaign, status=released).count()
        while True:
            with transaction.atomic():
                batch = list(
                    CampaignRecipient.objects.filter(
                        campaign=campaign, status=RecipientStatus.PENDING
                    )
                    .select_related("customer__project")
                    .select_for_update(of=("self",))
                    .order_by("id")[:SEND_BATCH]
                )
                if not batch:
                    break
                _release(by, campaign, batch)
            done += len(batch)
            job_progress(job=job, done=done)
        with transaction.atomic():
            campaign = _lock(campaign)
            _move(campaign, S.SENT)
            campaign.released_at = timezone.now()
            campaign.save(update_fields=["status", "released_at", "updated_at"])
            record_event(by=by, verb="messaging.campaign_sent", target=campaign,
                         details={"released": done})  # fmt: skip
        return job_finish(
            job=job,
            result={"released": done},
            message=_("%(n)s messages are in the outbox.") % {"n": done},
        )


def _release(by, campaign, batch) -> None:
    for row in batch:
        row.message = message_enqueue(
            by=by,
            company=campaign.company,
            channel=campaign.channel,
            kind=campaign.kind,
            to=row.address,
            body=row.body,
            subject=campaign.subject,
            idempotency_key=row.idempotency_key(),
            customer=row.customer,
            source=campaign.source_name,
            template=campaign.template,
            project=campaign.project,
        )
        row.status = RecipientStatus.RELEASED
    CampaignRecipient.objects.bulk_update(batch, ["message", "status"])


def campaign_retry_failed(*, by, campaign) -> int:
    """Send the campaign's failed messages again (same keys: the gateway dedupes)."""
    require_perm(by, Perm.RUN_CAMPAIGNS, company=campaign.company_id, project=campaign.project_id)
    if not sees_loaded(by, campaign):
        raise NotPermitted()
    failed = Message.objects.visible_to(by).filter(source=campaign.source_name)
    count = messages_retry_failed(by=by, messages=failed)
    if count:
        record_event(by=by, verb="messaging.campaign_retried", target=campaign,
                     details={"messages": count})  # fmt: skip
    return count
