"""Background campaign work (MSG-2): thin wrappers, the work is in ``campaign_services``."""

from django_tasks import task


@task()
def campaign_generate_task(job_id: int):
    from .campaign_services import run_campaign_generate

    run_campaign_generate(job_id=job_id)


@task()
def campaign_send_task(job_id: int):
    from .campaign_services import run_campaign_send

    run_campaign_send(job_id=job_id)
