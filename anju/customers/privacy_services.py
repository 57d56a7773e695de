"""PIPL writes (SEC-2, issue 7 items 13–14): data packages, erasure requests, anonymisation,
retention. Every function takes the acting user as ``by`` (``None`` = the system).

* A **data package** is everything held about one person (one .zip: an .xlsx with one sheet
  per kind and the same as .json), built by a background job from the registered providers
  (``customers/privacy.py``), stored outside every served directory, downloadable only by
  who asked for it, each download logged in the personal-data access log.
* An **erasure** replaces the person's personal fields everywhere, deletes the phone index
  and keeps every row as an anonymous fact, so counts and reports stay right. On request it
  needs a second person's approval (four eyes); the retention policy applies it as the system.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event
from anju.core.jobs import (
    job_finish,
    job_for,
    job_progress,
    job_running,
    job_start,
    private_root,
)
from anju.core.models import Event, Job, PersonalDataAccess, content_type_of
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.core.scope import can_see
from anju.core.services import personal_data_access_log

from .models import Customer, CustomerStatus
from .privacy import (
    PERSONAL_KEYS,
    Erasure,
    anonymous_label,
    personal_data_providers,
    run_erasure_handlers,
)
from .privacy_customers import CUSTOMER_ERASED_VALUES, person_ids, person_phones
from .privacy_models import (
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    ErasureRequest,
    ErasureSource,
    ErasureStatus,
    RetentionPolicy,
)

log = logging.getLogger(__name__)

PACKAGE_KIND = "customer_data_package"
PACKAGE_KEEP_DAYS = 7  # a package holds everything about a person: it does not linger
RETENTION_STATUSES = (CustomerStatus.LEAD, CustomerStatus.VISITOR)  # never anyone with a deal
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(value, *, field: str, required: bool, max_length: int = 500) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ApplicationError(_("Say why."), field=field)
    if len(text) > max_length:
        raise ApplicationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    if _CONTROL.search(text):
        raise ApplicationError(_("The text contains control characters."), field=field)
    return text


def _require_visible(by, customer) -> None:
    if by is None or not can_see(by, customer):
        raise NotPermitted()


def may_make_package(user, customer) -> bool:
    return has_perm(
        user, Perm.PERSONAL_DATA_REQUESTS, company=customer.company_id, project=customer.project_id
    )


def may_request_erasure(user, customer) -> bool:
    return customer.anonymised_at is None and has_perm(
        user, Perm.REQUEST_ERASURE, company=customer.company_id, project=customer.project_id
    )


def _person_checks(customer) -> None:
    if customer.merged_into_id:
        raise ApplicationError(_("This record was merged; use the customer it was merged into."))
    if customer.anonymised_at:
        raise ApplicationError(_("This customer was anonymised; no personal data is held."))


# --- data package (issue 7 item 13) ------------------------------------------------------------


@transaction.atomic
def data_package_start(*, by, customer, language: str | None = None) -> Job:
    """Queue the job that builds the customer's data package; returns the job to watch."""
    _require_visible(by, customer)
    require_perm(
        by, Perm.PERSONAL_DATA_REQUESTS, company=customer.company_id, project=customer.project_id
    )
    _person_checks(customer)
    from .tasks import customer_data_package_task

    return job_start(
        by=by,
        kind=PACKAGE_KIND,
        company=customer.company_id,
        title=_("Personal data package %(code)s") % {"code": customer.code},
        params={"customer_id": customer.pk, "language": language or settings.LANGUAGE_CODE},
        total=len(personal_data_providers()),
        next_url="privacy:package_download",
        task=customer_data_package_task,
    )


def data_package_build(job_id: int) -> Job:
    """The job's work: every provider's rows → .xlsx + .json in one .zip, stored privately."""
    with job_running(job_id) as job:
        customer = Customer.objects.unscoped("PIPL data package: the job was authorised").get(
            pk=job.params["customer_id"]
        )
        providers = personal_data_providers()
        sheets = []
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            for done, provider in enumerate(providers, start=1):
                rows = list(provider.fn(customer))
                sheets.append((provider.name, str(provider.label), rows, provider.headers(rows)))
                job_progress(job=job, done=done, total=len(providers))
            payload = _package_zip(customer, sheets)
        name = f"data_packages/{job.pk}-{secrets.token_hex(8)}.zip"
        path = private_root() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
        counts = {key: len(rows) for key, _label, rows, _headers in sheets}
        with transaction.atomic():
            job_finish(
                job=job,
                result={
                    "file": name,
                    "customer_id": customer.pk,
                    "counts": counts,
                    "expires_at": (timezone.now() + timedelta(days=PACKAGE_KEEP_DAYS)).isoformat(),
                },
                message=_("The package is ready."),
            )
            record_event(
                by=job.created_by,
                verb="customers.data_package_made",
                target=customer,
                subject=customer,
                details={"job": job.pk, "counts": counts},
            )
    return job


def _sheet_title(label: str, taken: set) -> str:
    title = re.sub(r"[\[\]:*?/\\]", " ", label).strip()[:31] or "data"
    base, n = title, 2
    while title.lower() in taken:
        title = f"{base[:28]} {n}"
        n += 1
    taken.add(title.lower())
    return title


def _package_zip(customer, sheets) -> bytes:
    import openpyxl

    from anju.core.exports import xlsx_append

    book = openpyxl.Workbook(write_only=True)
    taken: set = set()
    for _key, label, rows, headers in sheets:
        # A copy for the person: headers in the reader's language (issue 7 item 13); the
        # JSON below keeps the field names as keys, for machines.
        sheet = book.create_sheet(_sheet_title(label, taken))
        xlsx_append(sheet, [str(title) for title in headers.values()] or [_("(none)")])
        for row in rows:
            xlsx_append(sheet, [row.get(key) for key in headers])
    xlsx = io.BytesIO()
    book.save(xlsx)
    document = {
        "customer_code": customer.code,
        "generated_at": timezone.localtime().isoformat(),
        "data": {key: rows for key, _label, rows, _headers in sheets},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{customer.code}-personal-data.xlsx", xlsx.getvalue())
        archive.writestr(
            f"{customer.code}-personal-data.json",
            json.dumps(document, ensure_ascii=False, indent=2, default=str),
        )
    return out.getvalue()


def data_package_open(*, by, job_id, ip=None) -> tuple[Path, str]:
    """The package file for its requester only; every download is logged (action export)."""
    job = job_for(by, job_id)
    if job.kind != PACKAGE_KIND or job.created_by_id != by.pk:
        raise Http404("not found")
    customer = (
        Customer.objects.unscoped("PIPL: the package's customer, requester checked below")
        .filter(pk=(job.params or {}).get("customer_id"))
        .first()
    )
    if customer is None or not can_see(by, customer):
        raise Http404("not found")
    require_perm(
        by, Perm.PERSONAL_DATA_REQUESTS, company=customer.company_id, project=customer.project_id
    )
    if not package_available(job):
        if package_deleted(job):
            raise Conflict(_(PACKAGE_DELETED), code="gone")
        raise Conflict(_("The package is not ready yet."), code="not_ready")
    path = private_root() / job.result["file"]
    personal_data_access_log(
        by=by,
        action=PersonalDataAccess.Action.EXPORT,
        target=customer,
        fields="data_package",
        record_count=sum((job.result.get("counts") or {}).values()) or 1,
        description=f"{customer.code} data package (job {job.pk})",
        ip=ip,
    )
    return path, f"{customer.code}-personal-data.zip"


PACKAGE_DELETED = gettext_noop(
    "The package was deleted (it expired, or the customer's personal data was erased)."
)


def package_available(job) -> bool:
    name = (job.result or {}).get("file") or ""
    return job.status == Job.Status.SUCCEEDED and bool(name) and (private_root() / name).is_file()


def package_deleted(job) -> bool:
    """Built once, file gone since (7-day expiry or the customer's erasure)."""
    return job.status == Job.Status.SUCCEEDED and not package_available(job)


def purge_data_packages(*, now=None, days: int = PACKAGE_KEEP_DAYS) -> int:
    """Delete package files older than ``days``; the job row and its counts stay."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    purged = 0
    jobs = Job.objects.unscoped("PIPL: expire data packages").filter(
        kind=PACKAGE_KIND, finished_at__lt=cutoff
    )
    for job in jobs.iterator():
        if _drop_package_file(job):
            purged += 1
    return purged


def _drop_package_file(job) -> bool:
    name = (job.result or {}).get("file")
    if not name:
        return False
    (private_root() / name).unlink(missing_ok=True)
    result = dict(job.result)
    result["file"] = ""
    # The job page must no longer say "ready" nor offer the download (issue 7 item 13).
    params = {k: v for k, v in (job.params or {}).items() if k != "next_url"}
    with translation.override(params.get("language") or settings.LANGUAGE_CODE):
        message = _(PACKAGE_DELETED)
    Job.objects.unscoped("PIPL: expire a data package").filter(pk=job.pk).update(
        result=result, params=params, message=message
    )
    return True


# --- erasure requests (issue 7 item 14) --------------------------------------------------------


@transaction.atomic
def erasure_request(*, by, customer, reason: str) -> ErasureRequest:
    """Ask for a customer's anonymisation; a different person must approve it."""
    _require_visible(by, customer)
    require_perm(by, Perm.REQUEST_ERASURE, company=customer.company_id, project=customer.project_id)
    reason = _clean_text(reason, field="reason", required=True)
    customer = (
        Customer.objects.unscoped("PIPL: lock the visible customer")
        .select_for_update()
        .get(pk=customer.pk)
    )
    _person_checks(customer)
    pending = ErasureRequest.objects.unscoped("PIPL: one pending request per customer")
    if pending.filter(customer=customer, status=ErasureStatus.PENDING).exists():
        raise Conflict(
            _("An erasure of this customer is already waiting for approval."),
            code="already_requested",
        )
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(
                company_id=customer.company_id,
                customer=customer,
                reason=reason,
                requested_by=by,
            )
    except IntegrityError as exc:  # asked at the same moment by someone else
        raise Conflict(
            _("An erasure of this customer is already waiting for approval."),
            code="already_requested",
        ) from exc
    record_event(
        by=by,
        verb="customers.erasure_requested",
        target=request,
        subject=customer,
        project=customer.project_id,
        details={"request": request.pk},
    )
    return request


def _lock_request(request) -> ErasureRequest:
    return (
        ErasureRequest.objects.unscoped("PIPL: lock a request the caller could see")
        .select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=request.pk)
    )


def _require_decider(by, request) -> None:
    _require_visible(by, request.customer)
    require_perm(
        by,
        Perm.PERSONAL_DATA_REQUESTS,
        company=request.company_id,
        project=request.customer.project_id,
    )
    if request.status != ErasureStatus.PENDING:
        raise Conflict(_("This request was already decided."), code="decided")


@transaction.atomic
def erasure_approve(*, by, request, note: str = "") -> ErasureRequest:
    """Four eyes: a second person approves, and the anonymisation is applied at once."""
    request = _lock_request(request)
    _require_decider(by, request)
    if request.requested_by_id == by.pk:
        # A refusal of this person, not of the input: 403 like any missing permission.
        raise NotPermitted(
            _("Someone other than the requester must approve an erasure."), code="four_eyes"
        )
    note = _clean_text(note, field="note", required=False)
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["decided_by", "decided_at", "decision_note", "updated_at"])
    record_event(
        by=by,
        verb="customers.erasure_approved",
        target=request,
        subject=request.customer,
        project=request.customer.project_id,
        details={"request": request.pk},
    )
    customer_anonymise(by=by, customer=request.customer, request=request)
    request.refresh_from_db()
    return request


def is_withdrawal(user, request) -> bool:
    """The requester "rejecting" his own pending request withdraws it (issue 7 item 14)."""
    return request.requested_by_id is not None and request.requested_by_id == user.pk


@transaction.atomic
def erasure_reject(*, by, request, note: str) -> ErasureRequest:
    """Reject a pending request; from its requester this is a withdrawal (no reason needed)."""
    request = _lock_request(request)
    withdrawn = is_withdrawal(by, request)
    if withdrawn:  # his own request: he need not hold the steward's permission to take it back
        _require_visible(by, request.customer)
        if request.status != ErasureStatus.PENDING:
            raise Conflict(_("This request was already decided."), code="decided")
    else:
        _require_decider(by, request)
    request.decision_note = _clean_text(note, field="note", required=not withdrawn)
    request.status = ErasureStatus.REJECTED
    request.decided_by = by
    request.decided_at = timezone.now()
    request.save()
    record_event(
        by=by,
        verb="customers.erasure_withdrawn" if withdrawn else "customers.erasure_rejected",
        target=request,
        subject=request.customer,
        project=request.customer.project_id,
        details={"request": request.pk, "withdrawn": withdrawn},
    )
    return request


# --- the anonymisation itself ------------------------------------------------------------------


@transaction.atomic
def customer_anonymise(*, by, customer, request: ErasureRequest) -> dict:
    """Erase one person everywhere; keep every row as an anonymous fact. Returns counts.

    Called only by ``erasure_approve`` (four eyes) and ``apply_retention`` (the system):
    the permission decision was taken there and the ``request`` row documents it.
    """
    ids = person_ids(customer)
    people = list(
        Customer.objects.unscoped("PIPL erasure: lock the person")
        .select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
    )
    main = next(c for c in people if c.pk == customer.pk)
    if main.anonymised_at:
        raise ApplicationError(_("This customer was anonymised already."))
    erasure = Erasure(
        company_id=main.company_id,
        customer_ids=ids,
        phones=person_phones(main),
        names={c.name.strip() for c in people if c.name.strip()},
        other_secrets={s for c in people for s in (c.id_number, c.email) if s},
        label=anonymous_label(),
    )
    run_erasure_handlers(erasure)  # every app's rows, the phone index included
    now = timezone.now()
    # Protection ends (issue 7 item 14): it exists to keep a person for his consultant, and
    # there is no person left; the owner stays as the historical fact of who looked after him.
    # Completeness is 0: nothing personal is held (the kept classification is not a profile).
    Customer.objects.unscoped("PIPL erasure").filter(pk__in=ids).update(
        name=erasure.label,
        anonymised_at=now,
        updated_at=now,
        protected_until=None,
        completeness=0,
        **CUSTOMER_ERASED_VALUES,
    )
    Customer.objects.unscoped("PIPL erasure").filter(pk__in=ids, archived_at__isnull=True).update(
        archived_at=now
    )
    _scrub_events(erasure)
    _scrub_audit_log(erasure)
    _scrub_access_log(erasure)
    _scrub_jobs(erasure)
    _scrub_requests(erasure, request, now)
    counts = dict(sorted(erasure.counts.items()))
    ErasureRequest.objects.unscoped("PIPL erasure").filter(pk=request.pk).update(
        status=ErasureStatus.APPLIED, applied_at=now, result=counts, updated_at=now
    )
    record_event(
        by=by,
        verb="customers.erasure_applied",
        target=main,
        subject=main,
        details={"request": request.pk, "source": request.source, "counts": counts},
    )
    return counts


def _scrub_events(erasure: Erasure) -> None:
    q = Q(subject_type=content_type_of(Customer), subject_id__in=erasure.customer_ids)
    for model, (pks, _fields) in erasure.touched.items():
        q |= Q(target_type=content_type_of(model), target_id__in=sorted(pks))
    changed = []
    for event in Event.objects.unscoped("PIPL erasure").filter(q).iterator():
        details = erasure.scrub_json(event.details)
        if details != event.details:
            event.details = details
            changed.append(event)
    Event.objects.unscoped("PIPL erasure").bulk_update(changed, ["details"], batch_size=500)
    erasure.count("events_scrubbed", len(changed))


def _scrub_audit_log(erasure: Erasure) -> None:
    """Audit entries of the person's rows keep who changed which field when, without values.

    Scrubbed, not deleted: SEC-3 requires every change of a customer to stay auditable
    (who/when/which fields), and the deletion of the phone rows is itself such a change.
    Only the personal values, and every mention of the person, are removed.
    """
    from auditlog.models import LogEntry

    scrubbed = 0
    for model, (pks, fields) in erasure.touched.items():
        keys = PERSONAL_KEYS | frozenset(fields)
        entries = LogEntry.objects.filter(
            content_type=content_type_of(model), object_pk__in=[str(pk) for pk in pks]
        )
        for entry in entries.iterator():
            entry.object_repr = erasure.scrub(entry.object_repr)
            if model._meta.label_lower == "customers.customerphone":
                entry.object_repr = "***"
            entry.changes = erasure.scrub_json(entry.changes, personal_keys=keys)
            entry.changes_text = erasure.scrub(entry.changes_text)
            entry.serialized_data = erasure.scrub_json(entry.serialized_data, personal_keys=keys)
            entry.additional_data = erasure.scrub_json(entry.additional_data, personal_keys=keys)
            entry.save(
                update_fields=[
                    "object_repr",
                    "changes",
                    "changes_text",
                    "serialized_data",
                    "additional_data",
                ]
            )
            scrubbed += 1
    erasure.count("audit_entries_scrubbed", scrubbed)


def _mention_q(erasure: Erasure, *fields) -> Q:
    q = Q(pk__in=[])
    for term in erasure.like_terms():
        for f in fields:
            q |= Q(**{f"{f}__icontains": term})
    return q


def _scrub_access_log(erasure: Erasure) -> None:
    """Log rows stay (who saw whose data is itself a record); their text loses the person."""
    q = Q(target_type=content_type_of(Customer), target_id__in=erasure.customer_ids) | _mention_q(
        erasure, "description"
    )
    changed = []
    for row in PersonalDataAccess.objects.unscoped("PIPL erasure").filter(q).iterator():
        text = erasure.scrub(row.description)
        if text != row.description:
            row.description = text
            changed.append(row)
    PersonalDataAccess.objects.unscoped("PIPL erasure").bulk_update(
        changed, ["description"], batch_size=500
    )
    erasure.count("access_log_scrubbed", len(changed))


def _scrub_jobs(erasure: Erasure) -> None:
    """Import error lists, job texts and this person's data packages (files deleted)."""
    no_keys = frozenset()
    jobs = Job.objects.unscoped("PIPL erasure").filter(
        _mention_q(erasure, "errors", "params", "result", "title", "message")
        | Q(kind=PACKAGE_KIND, params__customer_id__in=erasure.customer_ids)
    )
    scrubbed = 0
    for job in jobs.iterator():
        if job.kind == PACKAGE_KIND and (job.params or {}).get("customer_id") in set(
            erasure.customer_ids
        ):
            _drop_package_file(job)
            job.refresh_from_db(fields=["result", "params", "message"])
            erasure.count("data_packages_deleted", 1)
        job.errors = [erasure.scrub_json(e) if erasure.mentions(e) else e for e in job.errors or []]
        job.params = erasure.scrub_json(job.params, personal_keys=no_keys)
        job.result = erasure.scrub_json(job.result, personal_keys=no_keys)
        job.title = erasure.scrub(job.title)
        job.message = erasure.scrub(job.message)
        Job.objects.unscoped("PIPL erasure").filter(pk=job.pk).update(
            errors=job.errors,
            params=job.params,
            result=job.result,
            title=job.title,
            message=job.message,
        )
        scrubbed += 1
    erasure.count("jobs_scrubbed", scrubbed)


def _scrub_requests(erasure: Erasure, request, now) -> None:
    """Reasons and notes lose the person; other pending requests are settled by this one."""
    rows = ErasureRequest.objects.unscoped("PIPL erasure").filter(
        customer_id__in=erasure.customer_ids
    )
    for row in rows:
        row.reason = erasure.scrub(row.reason)
        row.decision_note = erasure.scrub(row.decision_note)
        if row.status == ErasureStatus.PENDING and row.pk != request.pk:
            row.status = ErasureStatus.APPLIED
            row.applied_at = now
        row.save(update_fields=["reason", "decision_note", "status", "applied_at"])


# --- retention (issue 7 item 14) ---------------------------------------------------------------


def retention_policy_for(company) -> RetentionPolicy:
    """The company's policy, or the default (3 years) when none was saved."""
    company_id = getattr(company, "pk", company)
    policy = (
        RetentionPolicy.objects.unscoped("PIPL: a company's own policy")
        .filter(company_id=company_id)
        .first()
    )
    return policy or RetentionPolicy(company_id=company_id)


@transaction.atomic
def retention_policy_set(*, by, company, is_enabled: bool, lead_retention_days) -> RetentionPolicy:
    require_perm(by, Perm.PERSONAL_DATA_REQUESTS, company=company)
    try:
        days = int(lead_retention_days)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("Enter a number of days."), field="lead_retention_days") from exc
    if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise ApplicationError(
            _("Between %(low)d and %(high)d days.")
            % {"low": MIN_RETENTION_DAYS, "high": MAX_RETENTION_DAYS},
            field="lead_retention_days",
        )
    policy, _created = (
        RetentionPolicy.objects.unscoped("PIPL: the company's own policy, perm checked")
        .select_for_update()
        .get_or_create(company_id=getattr(company, "pk", company))
    )
    before = {"is_enabled": policy.is_enabled, "lead_retention_days": policy.lead_retention_days}
    policy.is_enabled = bool(is_enabled)
    policy.lead_retention_days = days
    policy.updated_by = by
    policy.save()
    record_event(
        by=by,
        verb="customers.retention_policy_changed",
        target=policy,
        details={
            "from": before,
            "to": {"is_enabled": policy.is_enabled, "lead_retention_days": days},
        },
    )
    return policy


def retention_due(company, *, now=None):
    """Ids of the company's customers whose retention has ended (leads and visitors only)."""
    policy = retention_policy_for(company)
    if not policy.is_enabled:
        return []
    cutoff = (now or timezone.now()) - timedelta(days=policy.lead_retention_days)
    return list(
        Customer.objects.unscoped("PIPL retention: the nightly job")
        .filter(
            company=company,
            status__in=RETENTION_STATUSES,
            anonymised_at__isnull=True,
            merged_into__isnull=True,
        )
        .filter(
            Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def apply_retention(*, now=None) -> int:
    """Anonymise every customer whose retention has ended, one transaction each (the system).

    A failure of one customer is logged and does not stop the others.
    """
    from anju.org.models import Company

    applied = 0
    for company in Company.objects.unscoped("PIPL retention: every company").filter(is_active=True):
        days = retention_policy_for(company).lead_retention_days
        for customer_id in retention_due(company, now=now):
            try:
                _retain_one(customer_id, days)
            except Exception:  # noqa: BLE001 – one bad row must not block the others
                log.exception("retention: could not anonymise customer %s", customer_id)
            else:
                applied += 1
    return applied


@transaction.atomic
def _retain_one(customer_id: int, days: int) -> None:
    customer = Customer.objects.unscoped("PIPL retention").get(pk=customer_id)
    request = ErasureRequest.objects.create(
        company_id=customer.company_id,
        customer=customer,
        source=ErasureSource.RETENTION,
        status=ErasureStatus.APPLIED,
        reason=f"retention: {days} days without activity",
        decided_at=timezone.now(),
    )
    customer_anonymise(by=None, customer=customer, request=request)
