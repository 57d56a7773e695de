"""Job status pages: a full page and the fragment htmx polls every second."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from .jobs import job_for, jobs_started_by
from .pagination import paginate


def _next_url(request, job):
    url = (job.params or {}).get("next_url") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return ""


@login_required
def job_list(request):
    """The user's own imports, exports and reports, newest first."""
    page = paginate(jobs_started_by(request.user), request.GET.get("page"))
    return render(request, "core/job_list.html", {"page": page})


@login_required
def job_detail(request, job_id):
    job = job_for(request.user, job_id)
    return render(
        request, "core/job_detail.html", {"job": job, "next_url": _next_url(request, job)}
    )


@login_required
def job_progress(request, job_id):
    """The progress bar; it keeps polling itself until the job has finished.

    ``?reload=1``: when the job finishes, tell htmx to reload the page that embeds the bar
    (the page then shows the job's own result).
    """
    job = job_for(request.user, job_id)
    reload = request.GET.get("reload") == "1"
    response = render(
        request,
        "core/job_progress.html",
        {"job": job, "next_url": _next_url(request, job), "reload": reload},
    )
    if reload and job.is_finished and request.htmx:
        response["HX-Refresh"] = "true"
    return response
