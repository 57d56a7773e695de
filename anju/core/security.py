"""Session lifetime and login lockout (issue 7 item 8, OWASP ASVS V2.2 / V3.3).

* ``SessionTimeoutMiddleware`` logs a session out after ``ANJU_SESSION_IDLE`` without a
  request (default 2 h) and ``ANJU_SESSION_MAX_AGE`` after the login (default 12 h), with
  the message "会话已过期，请重新登录". The login time is stamped by ``user_logged_in``.
* django-axes counts failed logins per login name; ``lockout_response`` turns its lockout
  into the login page with a clear message (or a JSON reason for the API), not a bare 4xx.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout, user_logged_in
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from .api_errors import error_response

LOGIN_AT = "_anju_login_at"
SEEN_AT = "_anju_seen_at"
SEEN_RESOLUTION = 60  # seconds: rewrite the session at most once a minute, not per request


@receiver(user_logged_in)
def _stamp_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now


def session_expired(session, now: float | None = None) -> bool:
    """True when the logged-in session passed its idle timeout or its absolute cap."""
    now = time.time() if now is None else now
    login_at = session.get(LOGIN_AT)
    if login_at is None:  # a session from before this rule: its clock starts now
        session[LOGIN_AT] = session[SEEN_AT] = now
        return False
    if now - login_at > settings.ANJU_SESSION_MAX_AGE.total_seconds():
        return True
    if now - session.get(SEEN_AT, login_at) > settings.ANJU_SESSION_IDLE.total_seconds():
        return True
    if now - session.get(SEEN_AT, login_at) > SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return False


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class SessionTimeoutMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session and session_expired(session):
            logout(request)
            message = _("Your session has expired. Please log in again.")
            if _is_api(request):
                return error_response(401, "session_expired", message)
            messages.warning(request, message)
            if getattr(request, "htmx", False):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                return response
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


def login_username(request, credentials=None) -> str:
    """The login name axes counts failures for: trimmed and case-folded, so " Admin" and
    "admin" share one counter."""
    if credentials and credentials.get("username"):
        name = credentials["username"]
    else:
        name = getattr(request, "POST", {}).get("username", "")
    return (name or "").strip().casefold()


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed logins: this account is locked for %(minutes)s minutes. "
        "Try again later, or ask your system administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: the login page with the reason, status 429."""
    message = lockout_message()
    if _is_api(request):
        response = error_response(429, "locked_out", message)
        response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
        return response
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout_message": message, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


def mask_audit_entry(sender, instance, **kwargs):
    """pre_save of auditlog's LogEntry: no mobile or ID number in full in the audit trail.

    ``mask_fields`` masks the registered fields' values; this also covers what they do not
    reach: the object's text (a CustomerPhone *is* its number) and numbers inside free text.
    """
    from .masking import mask_in, mask_text

    instance.object_repr = mask_text(instance.object_repr or "")
    instance.changes_text = mask_text(instance.changes_text or "")
    if instance.changes:
        instance.changes = mask_in(instance.changes)
    if instance.serialized_data:
        instance.serialized_data = mask_in(instance.serialized_data)
