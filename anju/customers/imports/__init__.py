"""Customer import from Excel (.xlsx) or CSV (CUS-9), with preview, per-row errors, progress.

The flow: the upload is checked at once (size, type, readable, the columns) and kept with a
queued ``core.Job``; the page previews the first rows with their problems; the user starts
the import, which runs as a background task (``tasks_import``) and reports progress.

Where things are (the behaviour documented for users on the upload page is in each module):

- ``reading``: the file → a header and rows (size and zip caps, CSV and .xlsx parsing,
  header detection, the width bound).
- ``checking``: a row → values or errors (the ``customer_register`` rules, numbers twice in
  the file, numbers already in the company) and who may import.
- ``writing``: the services on the job (prepare, preview, start, the background run) and the
  bulk write (a block of customer codes, the events).

Dependencies go one way: ``writing`` → ``checking`` → ``reading``. These re-exports are the
names used elsewhere; a test that patches a limit patches the module that reads it.
"""

from .checking import import_companies, may_import_somewhere, may_see_import
from .reading import COLUMNS, MAX_FILE_BYTES, MAX_UNCOMPRESSED_BYTES, MAX_ZIP_MEMBERS, read_table
from .writing import (
    JOB_KIND,
    MAX_ROWS,
    PREVIEW_ROWS,
    customer_import_prepare,
    customer_import_start,
    error_report_rows,
    import_job_for,
    import_preview,
    preview_row_count,
    run_customer_import,
    upload_removed,
    upload_removed_message,
)

__all__ = [
    "COLUMNS",
    "JOB_KIND",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_ZIP_MEMBERS",
    "PREVIEW_ROWS",
    "customer_import_prepare",
    "customer_import_start",
    "error_report_rows",
    "import_companies",
    "may_import_somewhere",
    "import_job_for",
    "import_preview",
    "may_see_import",
    "preview_row_count",
    "read_table",
    "run_customer_import",
    "upload_removed",
    "upload_removed_message",
]
