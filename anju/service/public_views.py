"""Pages of the public web form (issue 13 item 6): no login, phone-sized first.

``/s/<company code>/``: file a complaint or a request; ``…/lookup/``: its status by ticket
number and phone; ``…/code/``: a one-time code to the phone (htmx answers a fragment, a
browser without JavaScript gets the page back). Thin: every write and read is in
``public.py``. A refused request shows its reason on the page: 400 for a form error, 404 for
an unknown company, 429 with Retry-After when throttled.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anju.core.errors import ApplicationError, RateLimited

from . import public
from .public_forms import CodeRequestForm, PublicLookupForm, PublicTicketForm

NOT_ECHOED = ("code", "captcha", "captcha_token", "website", "csrfmiddlewaretoken", "purpose")


def _company(company_code):
    company = public.company_for_code(company_code)
    if company is None:
        raise Http404
    return company


def _typed(post) -> dict:
    """What the visitor typed, to show it again on a refused page (never the proof)."""
    return {k: v for k, v in post.items() if k not in NOT_ECHOED}


def _page(request, template, company, form, *, status=200, **extra):
    method = form.method
    context = {
        "company": company,
        "form": form,
        "method": method,
        "captcha": public.captcha_new() if method == public.Method.CAPTCHA else None,
        **extra,
    }
    response = render(request, template, context, status=status)
    if isinstance(extra.get("refused"), RateLimited):
        response["Retry-After"] = str(extra["refused"].retry_after)
    return response


def _show_error(form, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
def ticket_form(request, company_code):
    company = _company(company_code)
    method = public.verification_method()
    template = "service/public/form.html"
    if request.method == "GET":
        return _page(request, template, company, PublicTicketForm(company=company, method=method))
    try:
        public.throttle_take((public.SUBMIT_IP, public.client_ip(request)))
    except RateLimited as exc:
        form = PublicTicketForm(initial=_typed(request.POST), company=company, method=method)
        return _page(request, template, company, form, status=429, refused=exc)
    form = PublicTicketForm(request.POST, request.FILES, company=company, method=method)
    if form.is_valid():
        try:
            ticket = public.public_ticket_submit(
                company=company, submission=form.submission(), method=method, **form.proof()
            )
        except RateLimited as exc:
            form = PublicTicketForm(initial=_typed(request.POST), company=company, method=method)
            return _page(request, template, company, form, status=429, refused=exc)
        except ApplicationError as exc:
            _show_error(form, exc)
        else:
            return render(
                request,
                "service/public/done.html",
                {"company": company, "number": str(ticket), "project": ticket.project.name},
            )
    return _page(request, template, company, form, status=400)


@require_http_methods(["GET", "POST"])
def ticket_lookup(request, company_code):
    company = _company(company_code)
    method = public.verification_method()
    template = "service/public/lookup.html"
    if request.method == "GET":
        return _page(request, template, company, PublicLookupForm(method=method))
    try:
        public.throttle_take((public.LOOKUP_IP, public.client_ip(request)))
    except RateLimited as exc:
        form = PublicLookupForm(initial=_typed(request.POST), method=method)
        return _page(request, template, company, form, status=429, refused=exc)
    form = PublicLookupForm(request.POST, method=method)
    if form.is_valid():
        try:
            found = public.public_ticket_lookup(
                company=company,
                number_text=form.cleaned_data["number"],
                phone=form.cleaned_data["phone"],
                method=method,
                **form.proof(),
            )
        except ApplicationError as exc:
            if exc.code == "not_found":
                # The same page for a missing ticket and a wrong number/phone pair.
                form = PublicLookupForm(initial=_typed(request.POST), method=method)
                return _page(request, template, company, form, status=404, not_found=exc.message)
            _show_error(form, exc)
        else:
            form = PublicLookupForm(method=method)
            return _page(request, template, company, form, found=found)
    return _page(request, template, company, form, status=400)


@require_POST
def code_send(request, company_code):
    """A one-time code to the phone typed on the form (for filing or for a look-up)."""
    company = _company(company_code)
    method = public.verification_method()
    purpose = request.POST.get("purpose")
    form = CodeRequestForm(request.POST)
    status, sent, refused, error = 200, False, None, ""
    if method != public.Method.SMS:
        status, error = 400, _("Codes are not sent here: answer the picture instead.")
    elif form.is_valid():
        try:
            public.code_request(
                company=company,
                phone=form.cleaned_data["phone"],
                purpose=form.cleaned_data["purpose"],
                ip=public.client_ip(request),
            )
            sent = True
        except RateLimited as exc:
            status, refused = 429, exc
        except ApplicationError as exc:
            status, error = 400, exc.message
    else:
        status = 400
        error = next(iter(form.errors.get("phone") or form.errors.get("website") or []), "")
        error = error or _("Enter a mainland mobile number (11 digits).")
    if request.htmx:
        response = render(
            request,
            "service/public/_code_status.html",
            {"sent": sent, "refused": refused, "error": error},
            status=status,
        )
        if refused is not None:
            response["Retry-After"] = str(refused.retry_after)
        return response
    # Without JavaScript: the page the button was on, with what was typed.
    if purpose == public.Purpose.LOOKUP:
        template, form_class, kwargs = "service/public/lookup.html", PublicLookupForm, {}
    else:
        template, form_class = "service/public/form.html", PublicTicketForm
        kwargs = {"company": company}
    page_form = form_class(initial=_typed(request.POST), method=method, **kwargs)
    return _page(
        request,
        template,
        company,
        page_form,
        status=status,
        refused=refused,
        code_sent=sent,
        code_error=error,
    )
