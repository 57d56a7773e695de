"""Background customer import (CUS-9): a thin wrapper, the work is in ``imports``."""

from django_tasks import task


@task()
def customer_import_task(job_id: int):
    from .imports import run_customer_import

    run_customer_import(job_id=job_id)
