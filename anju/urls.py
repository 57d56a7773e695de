from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from anju.core import health
from anju.core import views as core_views
from anju.core.metrics import metrics_view

from . import views
from .api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),  # load balancers: no login (issue 10)
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", core_views.profile, name="profile"),
    path("profile/password/", core_views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/tokens/<int:token_id>/revoke/", core_views.token_revoke, name="token_revoke"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("inventory/", include("anju.inventory.urls")),
    path("jobs/", include("anju.core.job_urls")),
    path("access-log/", include("anju.core.access_log_urls")),
    path("notifications/", include("anju.core.notifications_urls")),  # issue 13 item 7
    path("customers/import/", include("anju.customers.import_urls")),
    path("customers/", include("anju.customers.urls")),
    path("reception/", include("anju.reception.urls")),
    path("club/", include("anju.membership.urls")),
    path("messaging/", include("anju.messaging.urls")),
    path("privacy/", include("anju.customers.privacy_urls")),
    path("campaigns/", include("anju.messaging.campaign_urls")),
    path("approvals/", include("anju.approvals.urls")),
    path("membership/events/", include("anju.membership.events_urls")),  # MEM-4
    path("deals/", include("anju.deals.urls")),  # issue 12: queue, launch day, subscriptions
    path("service/", include("anju.service.urls")),  # issue 13: tickets, SLA, delivery (SVC-*)
    path("s/", include("anju.service.urls_public")),  # issue 13 item 6: the public form, no login
    path("surveys/", include("anju.surveys.urls")),  # SUR-1 … SUR-5
    path("q/", include("anju.surveys.urls_public")),  # a survey's link (SUR-2), no login
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Prometheus: outside /api/, for allowed networks or a token only (404 to anyone else).
    path("metrics", metrics_view, name="metrics"),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
]

# No route serves MEDIA_ROOT, not even under DEBUG: uploaded import files hold personal
# data and are read only by server code (SEC-2).
