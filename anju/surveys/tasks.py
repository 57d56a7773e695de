"""Surveys' background work: sending an opened survey's links (SUR-2)."""

from django_tasks import task


@task()
def send_survey_links(survey_id: int, site_url: str) -> int:
    from .services import send_links

    return send_links(survey_id, site_url)
