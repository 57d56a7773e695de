"""Kernel pages: the profile (API tokens, language)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .errors import ApplicationError
from .forms import ApiTokenForm

NEW_SECRET_KEY = "anju_new_api_token"


@login_required
def profile(request):
    """The profile page; creating a token is Post/Redirect/Get (issue 7 item 12).

    The new secret travels to the redirected page in the session and is popped when shown,
    so a reload neither re-posts (a second token) nor shows the secret again.
    """
    form = ApiTokenForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = services.api_token_create(
                by=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                read_only=form.cleaned_data["read_only"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field, exc.message)
        else:
            request.session[NEW_SECRET_KEY] = secret
            return redirect("profile")
    new_secret = request.session.pop(NEW_SECRET_KEY, None) if request.method == "GET" else None
    return render(
        request,
        "core/profile.html",
        {
            "form": form,
            "new_secret": new_secret,
            "tokens": selectors.tokens_of(request.user),
            "role_places": selectors.role_places_of(request.user),
        },
    )


@login_required
@require_POST
def token_revoke(request, token_id):
    token = selectors.tokens_of(request.user).filter(pk=token_id).first()
    if token is None:
        raise Http404("not found")
    services.api_token_revoke(by=request.user, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("profile")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password: the current one first, then every password validator
    (issue 7 item 8). Other sessions of the user end (Django rotates the session hash)."""

    template_name = "core/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response
