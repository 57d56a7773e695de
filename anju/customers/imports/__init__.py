"""Customer import (CUS-9); the code is being split into modules (issue 7 item 16)."""

from .checking import (
    COLUMNS,
    JOB_KIND,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_MEMBERS,
    PREVIEW_ROWS,
    customer_import_prepare,
    customer_import_start,
    error_report_rows,
    import_companies,
    import_preview,
    may_see_import,
    read_table,
    run_customer_import,
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
    "import_preview",
    "may_see_import",
    "read_table",
    "run_customer_import",
]
