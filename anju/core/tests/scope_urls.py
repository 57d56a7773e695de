"""Test-only URLs (issue 7 item 6): views, a template, a stream and an API handler that
forget the scope decision, and their correct twins. Used via ROOT_URLCONF override."""

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.template import Context, Template
from django.urls import path
from ninja import NinjaAPI

from anju.core.api_auth import session_auth
from anju.customers.models import Customer
from anju.urls import urlpatterns as project_urlpatterns


def forgot_scope(request):
    return JsonResponse({"names": [c.name for c in Customer.objects.all()]})


def decided_scope(request):
    return JsonResponse({"count": Customer.objects.visible_to(request.user).count()})


def template_forgot_scope(request):
    # The queryset is only read while the template renders, as with a template tag.
    template = Template("{% for c in customers %}{{ c.name }}{% endfor %}")
    return HttpResponse(template.render(Context({"customers": Customer.objects.all()})))


def stream_forgot_scope(request):
    # A streamed export reads its rows after the view (and the middleware) returned.
    def names():
        for customer in Customer.objects.all().iterator():
            yield customer.name

    return StreamingHttpResponse(names())


def stream_decided_scope(request):
    def lines():
        for customer in Customer.objects.visible_to(request.user).iterator():
            yield f"{customer.pk}\n"

    return StreamingHttpResponse(lines())


api = NinjaAPI(urls_namespace="scope_test_api", auth=session_auth)


@api.get("/forgot")
def api_forgot_scope(request):
    return {"count": Customer.objects.filter(name__isnull=False).count()}


@api.get("/decided")
def api_decided_scope(request):
    return {"count": Customer.objects.visible_to(request.user).count()}


urlpatterns = [
    path("scope-test/forgot/", forgot_scope),
    path("scope-test/decided/", decided_scope),
    path("scope-test/template/", template_forgot_scope),
    path("scope-test/stream-forgot/", stream_forgot_scope),
    path("scope-test/stream-decided/", stream_decided_scope),
    path("scope-test/api/", api.urls),
    *project_urlpatterns,
]
