"""The public web form's addresses (issue 13 item 6), mounted at /s/ by anju/urls.py.

Short, for a QR code on a notice board or a link in an SMS: ``/s/<company code>/``. Not under
/service/, whose pages are the staff's; these need no login (declared PUBLIC in core/authz.py).
"""

from django.urls import path

from . import public_views

app_name = "service_public"

urlpatterns = [
    path("<slug:company_code>/", public_views.ticket_form, name="form"),
    path("<slug:company_code>/code/", public_views.code_send, name="code"),
    path("<slug:company_code>/lookup/", public_views.ticket_lookup, name="lookup"),
]
