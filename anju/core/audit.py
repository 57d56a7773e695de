"""SEC-3 for bulk writes: the audit entries a row-by-row ``save()`` would have written.

``auditlog`` writes its entry from each row's ``save()``; a write that updates hundreds of rows
at once (``bulk_update``, e.g. the SLA sweep) calls ``log_bulk_update`` with each row as it was
before and as it is now, and gets the same entries in one INSERT, masked as every entry is.
"""

import copy

from auditlog.cid import get_cid
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.conf import settings

from .models import content_type_of
from .security import mask_audit_entry


def before_change(rows) -> dict:
    """A copy of each row as it is now, by pk (call before changing them)."""
    return {row.pk: copy.copy(row) for row in rows}


def log_bulk_update(rows, before: dict, fields) -> int:
    """One ``UPDATE`` entry per row whose ``fields`` changed since ``before`` (one INSERT)."""
    entries = []
    for row in rows:
        changes = model_instance_diff(
            before[row.pk],
            row,
            fields_to_check=list(fields),
            use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES,
        )
        if not changes:
            continue
        entry = LogEntry(
            content_type=content_type_of(row),
            object_pk=str(row.pk),
            object_id=row.pk,
            object_repr=str(row),
            action=LogEntry.Action.UPDATE,
            changes=changes,
            cid=get_cid(),
        )
        mask_audit_entry(LogEntry, entry)  # what the pre_save hook does for one entry
        entries.append(entry)
    LogEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)
