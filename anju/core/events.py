"""Writing business events (style rule 3): call inside the service's transaction."""

from .models import Event, content_type_of


def record_event(*, by, verb: str, target, details=None, subject=None, company=None, project=None):
    """Record that ``by`` did ``verb`` to ``target`` (about ``subject``, e.g. a customer).

    company/project default to the target's own, so most callers pass only the essentials.
    """
    company_id = getattr(company, "pk", company) or getattr(target, "company_id", None)
    project_id = getattr(project, "pk", project) or getattr(target, "project_id", None)
    if company_id is None:
        raise ValueError(f"record_event: {target!r} has no company; pass company=")
    return Event.objects.create(
        company_id=company_id,
        project_id=project_id,
        actor=by if getattr(by, "pk", None) else None,
        verb=verb,
        target_type=content_type_of(target),
        target_id=target.pk,
        subject_type=content_type_of(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        details=details or {},
    )


def events_for(target):
    return Event.objects.filter(target_type=content_type_of(target), target_id=target.pk)
