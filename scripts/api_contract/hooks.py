"""Schemathesis hooks for the API contract run (issue 8 item 2, scripts/api_contract/run.py).

They teach the generator what the OpenAPI document says in words because JSON Schema cannot
say it: the ``phone`` format (a number libphonenumber calls valid), times that are not in
the future, and the cross-field rules written in the operations' descriptions (a range's
lower end ≤ its upper end …). Nothing here hides a failure: a request these rules allow
and the server refuses is still a failure.
"""

import os
import re
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

import django
import phonenumbers
import schemathesis
from hypothesis import strategies as st
from schemathesis.transport.serialization import Binary

# The server's own rules where a hook needs one (run.py passes the server's environment).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
django.setup()

from django.contrib.auth.password_validation import validate_password  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402

from anju.core.roles import PROJECT_BOUND_ROLES  # noqa: E402
from anju.webhooks.targets import _names_private_host  # noqa: E402

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime.now(SHANGHAI)


def _valid_phone(text: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, "CN"))
    except phonenumbers.NumberParseException:
        return False


_mobile = st.from_regex(r"\A1(3[0-9]|5[0-35-9]|7[0-35-8]|8[0-9]|9[0-35-9])[0-9]{8}\Z")
_spelt = st.sampled_from(["{}", "+86 {}", "{} ", "+86{}"])
schemathesis.openapi.format(
    "phone",
    st.builds(lambda number, form: form.format(number), _mobile, _spelt).filter(_valid_phone),
)

# Times: the past five years up to a minute ago, with the +08:00 offset (services refuse
# times in the future and years outside 2000–2099).
_past = st.datetimes(
    min_value=(NOW - timedelta(days=5 * 365)).replace(tzinfo=None),
    max_value=(NOW - timedelta(minutes=1)).replace(tzinfo=None),
)
schemathesis.openapi.format(
    "date-time", _past.map(lambda d: d.replace(microsecond=0).isoformat() + "+08:00")
)
schemathesis.openapi.format(
    "date",
    st.dates(min_value=datetime(1950, 1, 1).date(), max_value=NOW.date()).map(
        lambda d: d.isoformat()
    ),
)


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def _time(value):
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _ends_after_start(body: dict) -> bool:
    """The description: it ends after it starts, at most 7 days later."""
    starts, ends = _time(body.get("starts_at")), _time(body.get("ends_at"))
    try:
        return starts is None or ends is None or starts < ends <= starts + timedelta(days=7)
    except TypeError:  # one with a zone, one without: the server refuses that too
        return False


def _ordered(data: dict, low: str, high: str, convert=float) -> bool:
    a, b = data.get(low), data.get(high)
    if a is None or b is None:
        return True
    try:
        return convert(a) <= convert(b)
    except (TypeError, ValueError):
        return True  # not a number: schema validation answers that


def _event_ends_after_start(body):
    starts = _time(body.get("starts_at")) if isinstance(body, dict) else None
    if starts is None:
        return body  # a negative case's broken start stays broken
    return {**body, "ends_at": (starts + timedelta(hours=2)).isoformat()}


@schemathesis.hook
def before_generate_body(context, strategy):
    """A new event's start and end, drawn one by one, rarely make an end within 7 days after
    the start: the filter below then throws away nearly every body and hypothesis's health
    check fails the run (seen as manager). The end is set 2 hours after the start instead;
    the refusal of a bad pair is tested in the suite (membership/tests)."""
    operation = context.operation
    if (
        operation is not None
        and operation.method.upper() == "POST"
        and operation.path.endswith("/events")
    ):
        return strategy.map(_event_ends_after_start)
    return strategy


@schemathesis.hook
def filter_body(context, body) -> bool:
    """The cross-field rules the operations' descriptions state."""
    if not isinstance(body, dict):
        return True
    if not (_ordered(body, "area_min", "area_max") and _ordered(body, "budget_min", "budget_max")):
        return False
    path = context.operation.path if context.operation else ""
    if path.endswith("/customer-imports") and any(
        isinstance(value, list | dict) and not value for value in body.values()
    ):
        # An empty list in a multipart form is no field at all: on the wire the same request
        # as leaving it out, which is valid (seen: all_or_nothing=[] "accepted").
        return False
    if context.operation and context.operation.method.upper() == "PATCH":
        # One end of a range is checked against the stored other end (the description says
        # so); the generator cannot know the stored value.
        for low, high in (("area_min", "area_max"), ("budget_min", "budget_max")):
            if (body.get(low) is None) != (body.get(high) is None):
                return False
    if path.endswith("/calls"):
        declined = body.get("details_declined") is True
        if not declined and not (body.get("phone") and str(body.get("name", "")).strip()):
            return False
        called = _time(body.get("called_at"))
        if called is not None and called.tzinfo and called > datetime.now(SHANGHAI):
            return False  # "not in the future"
        if body.get("visit_booked_for") is not None:
            return False  # after the call and within a year: the generated times are past
    if (
        path.endswith("/opportunities")
        and body.get("visit_id") is None
        and not str(body.get("products_of_interest") or "").strip()
    ):
        return False  # the schema's if/else: products of interest, unless from a visit
    role = body.get("role")
    if role in PROJECT_BOUND_ROLES and body.get("project_id") is None:
        return False  # the schema's if/then: a project role needs its project
    filters = body.get("filters")
    if isinstance(filters, dict) and not _ordered(filters, "date_from", "date_to", convert=str):
        return False
    birth = body.get("birth_date")
    if isinstance(birth, str) and birth > NOW.date().isoformat():
        return False  # "in the past"
    if path.endswith("/tasks/{task_id}/complete") and not str(body.get("outcome") or "").strip():
        # "outcome is required except for an SMS task": the kind is unknown. Only the task's
        # step: a repair's /complete has no outcome (matched once, every body was dropped).
        return False
    password = body.get("password")
    if isinstance(password, str) and not _acceptable_password(password, body):
        return False  # "checked by the password validators" (the description lists them)
    target = body.get("target_url")
    if isinstance(target, str) and _names_private_host(_host(target)):
        return False  # the description: no private, loopback or link-local targets
    if path.endswith("/visits"):
        if body.get("customer_id") is None and not (
            body.get("phone") and str(body.get("name", "")).strip()
        ):
            return False  # the schema's if/else: a new visitor needs phone and name
        arrived, started = _time(body.get("arrived_at")), _time(body.get("reception_started_at"))
        if any(
            t is not None and t.tzinfo and t > datetime.now(SHANGHAI) for t in (arrived, started)
        ):
            return False  # "neither in the future" (values reused from other answers can be)
        if arrived and started and not (arrived <= started <= arrived + timedelta(hours=12)):
            return False
    if "/consent/" in path:
        address = str(body.get("address") or "")
        if body.get("channel") == "email" and not _EMAIL.fullmatch(address):
            return False  # the description: an e-mail address for the e-mail channel
        if body.get("channel") == "sms" and not _valid_phone(address):
            return False  # ... and a mobile number for SMS
    if path.endswith("/check-in") and (body.get("registration_id") is None) == (
        body.get("customer_id") is None
    ):
        return False  # the description: registration_id or customer_id, one of them
    if path.endswith("/invite"):
        given = [body.get(k) not in (None, [], {}) for k in ("customer_ids", "filter")]
        if given.count(True) != 1 or any(
            body.get(k) in ([], {}) for k in ("customer_ids", "filter")
        ):
            return False  # the description: customer_ids or filter, one of them
    if (
        path.endswith("/queue-numbers")
        and str(body.get("deposit_amount") or "0").strip("0.") != ""
        and not body.get("deposit_method")
    ):
        return False  # the description: a deposit above 0 needs deposit_method
    # customer service (issue 13): the rules the operations' descriptions state
    if path.endswith("/service/tickets") or path.endswith("/transitions"):
        sensitive = body.get("severity") == "sensitive" or body.get("case_id") is not None
        if sensitive and not body.get("sensitive_reason"):
            return False  # "a sensitive one needs its sensitive_reason" (a case makes it so)
    if path.endswith("/transitions"):
        action = body.get("action")
        compensation = str(body.get("compensation") or "0").strip("0.")
        if action == "propose" and body.get("kind") == "compensate" and not compensation:
            return False  # "Compensation needs an amount above 0"
        explained = str(body.get("explanation") or "").strip()
        if action == "judge" and body.get("valid") is False and not explained:
            return False  # "not valid → the explanation", required then
        if action == "implement" and not str(body.get("note") or "").strip():
            return False  # "a request needs the note": the ticket's type is unknown here
        if action == "assign" and body.get("department_id") is not None:
            return False  # "only for a person in no department": who is in one is unknown here
    # satisfaction surveys (SUR-*): the rules the operations' descriptions state
    staff, internal = body.get("population") == "staff", body.get("touchpoint") == "internal"
    if path.endswith("/surveys") and "population" in body and staff != internal:
        return False  # "staff goes with internal, and only with it"
    if path.endswith("/surveys") and internal and body.get("channel") == "phone":
        return False  # "employees are not asked by phone"
    if path.endswith("/sla-policies") and not (
        _ordered(body, "first_response_minutes", "solution_minutes")
        and _ordered(body, "solution_minutes", "closure_minutes")
    ):
        return False  # "first response ≤ solution ≤ closure"
    due_on = body.get("due_on")
    if "/repairs/" in path and isinstance(due_on, str) and due_on < NOW.date().isoformat():
        return False  # the description: today or later
    sign_by = body.get("sign_by")
    if (
        path.endswith("/subscriptions")
        and isinstance(sign_by, str)
        and sign_by < NOW.date().isoformat()
    ):
        return False  # the description: today or later
    if path.endswith("/adjustments") and body.get("points") == 0:
        return False  # the description: points other than 0
    subject = body.get("subject")
    if "/message-templates" in path and (
        (body.get("channel") == "email" and not str(subject or "").strip())
        or ("subject" in body and subject is not None and not str(subject).strip())
    ):
        return False  # the description: an e-mail template needs a subject
    if path.endswith("/campaigns") and "text" in body and not str(body.get("text") or "").strip():
        return False  # the description: a text, when given, is not blank
    is_event = path.endswith("/events") or path.endswith("/events/{event_id}")
    if is_event and not _ends_after_start(body):
        return False  # the description: it ends after it starts (a change too: seen, PATCH)
    patch = context.operation.method.upper() == "PATCH"
    if "/events/" in path and patch and any(value is None for value in body.values()):
        return False  # the description: leave out what does not change (no nulls)
    if (
        path.endswith("/campaigns")
        and body.get("template_id") is None
        and not str(body.get("text") or "").strip()
    ):
        return False  # the description: the text, unless a template is named
    if (
        "/message-templates" in path
        and body.get("channel") not in (None, "sms")
        and str(body.get("provider_template_code") or "")
    ):
        return False  # the description: only an SMS template has a provider template code
    if "/message-templates" in path and any(
        "{" in str(value) or "}" in str(value) for value in body.values()
    ):
        return False  # the description: {字段} names a known field; any other brace is refused
    if path.endswith("/contract") and (
        body.get("payment_plan") != "one_off"
        or any(
            body.get(k) is not None
            for k in ("instalments", "down_payment", "loan_amount", "loan_due_on", "signed_on")
        )
    ):
        # the description: instalments and a mortgage add up to the stored price, the
        # signing day is not before the stored subscription; the generator knows neither
        return False
    if path.endswith("/payments") and context.operation.method.upper() == "POST":
        if str(body.get("amount", "")).strip("0.") == "":
            return False  # the description: above 0
        if body.get("refund") is True and not str(body.get("reason") or "").strip():
            return False  # the description: a refund needs its reason
        paid_on = body.get("paid_on")
        if isinstance(paid_on, str) and paid_on > NOW.date().isoformat():
            return False  # the description: not in the future
    if path.endswith("/changes") and not _sales_change_fits(body):
        return False  # the sales change kinds' descriptions
    # the description: family_of_id with member_type "family", and only then
    return not path.endswith("/join") or (body.get("family_of_id") is None) == (
        body.get("member_type") != "family"
    )


def _amount(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _sales_change_fits(body: dict) -> bool:
    """A price adjustment's new price is above 0; a cancellation refunding more than 0
    says how (``refund_method``)."""
    kind = body.get("kind")
    if kind == "price_adjustment":
        price = _amount(body.get("final_price"))
        return price is None or price > 0
    if kind == "cancellation" and body.get("refund_method") is None:
        refund = _amount(body.get("refund_amount"))
        return refund is None or refund == 0
    return True


def _acceptable_password(password: str, body: dict) -> bool:
    from anju.org.models import User

    user = User()
    for name in ("username", "email", "display_name", "first_name", "last_name", "phone"):
        setattr(user, name, str(body.get(name) or ""))
    try:
        validate_password(password, user=user)
    except ValidationError:
        return False
    return True


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _month_begun(query: dict) -> bool:
    """A report's ``month`` (YYYY-MM) that has begun: the description refuses a month to come."""
    month = query.get("month")
    if not isinstance(month, str) or not re.fullmatch(r"\d{4}-\d{2}", month):
        return True  # absent or malformed: schema validation answers that
    return month <= NOW.strftime("%Y-%m")


@schemathesis.hook
def filter_query(context, query) -> bool:
    if not isinstance(query, dict):
        return True
    return _ordered(query, "date_from", "date_to", convert=str) and _month_begun(query)


def _customer_sheet() -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机"])
    sheet.append(["王伟", "13912345678"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_SHEET = _customer_sheet()


@schemathesis.hook
def map_body(context, body):
    """``POST /customer-imports``: the file is a customer sheet (.xlsx or .csv with the
    recognised headers, as its description says), which a schema cannot say of a file's
    bytes. The other fields stay generated; a bad file's 422 is tested in the suite."""
    path = context.operation.path if context.operation else ""
    if (
        path.endswith("/customer-imports")
        and isinstance(body, dict)
        and isinstance(body.get("file"), bytes | str)  # a file: a negative case's non-file stays
    ):
        file = body["file"]
        if isinstance(file, Binary):
            # The bytes inside the generated file part: a new value would make schemathesis
            # re-judge the body, and it counts any body holding bytes as schema-invalid.
            file.data = _SHEET
            return body
        return {**body, "file": Binary(_SHEET)}
    return body


# The coverage phase builds its cases from the schema alone (boundary values of every
# keyword, one field at a time), and the examples phase fills the fields around a schema's
# examples, both without the body/query hooks above (seen: a campaign with neither text nor
# template from the examples phase). So every positive case, whatever its phase, is judged
# here by the same rules once more (a body the hooks made already passes again).
def _is_coverage(case) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and str(getattr(meta.phase, "name", "")).lower().endswith("coverage")


def _is_positive(case) -> bool:
    meta = getattr(case, "meta", None)
    return meta is None or str(meta.generation.mode).lower().endswith("positive")


@schemathesis.hook
def filter_case(context, case) -> bool:
    if not _is_positive(case):
        # A multipart form has no types on the wire: its negative coverage cases (a
        # "near-boundary" project_id, a boolean of another type) arrive as the valid text
        # they serialise to. The fuzzing phase's negative cases still cover the import's
        # malformed requests.
        return not (_is_coverage(case) and case.operation.path.endswith("/customer-imports"))
    return filter_body(context, case.body) and filter_query(context, case.query)


@schemathesis.hook
def before_add_examples(context, examples) -> None:
    """The examples phase adds its cases (a schema's examples, the missing fields filled in)
    without ``filter_case``: the same rules drop the ones the descriptions refuse (seen: a
    campaign with neither text nor template)."""
    examples[:] = [case for case in examples if filter_case(context, case)]


_A_MOBILE = "13912345678"


_SURVEY_VALUES = {"scale5": "4", "scale10": "9", "yes_no": "1", "text": "服务很好"}


def _survey_answers(case):
    """``POST /survey-responses/{id}/answers``: "every required question of the survey's
    questionnaire, in its kind" — the questionnaire is data, not schema, so a positive case
    answers the response's own questions, read from the server's database (a response that
    does not exist keeps its generated body: 404)."""
    from anju.surveys.models import SurveyResponse

    raw = (case.path_parameters or {}).get("response_id")
    if not isinstance(raw, int) or raw < 1:
        return None
    response = (
        SurveyResponse.objects.unscoped("the contract run's hooks: a response's questions")
        .select_related("survey__template")
        .filter(pk=raw)
        .first()
    )
    if response is None:
        return None
    answers = []
    for question in response.survey.template.questions.all():
        value = _SURVEY_VALUES.get(question.kind) or next(iter(question.choices or []), "")
        answers.append({"question_id": question.pk, "value": str(value)})
    return {"answers": answers}


@schemathesis.hook
def map_case(context, case):
    path = case.operation.path
    if _is_positive(case) and path.endswith("/survey-responses/{response_id}/answers"):
        body = _survey_answers(case)
        if body is not None:
            case.body = body
        return case
    if not _is_coverage(case):
        return case
    body = case.body
    if _is_positive(case) and isinstance(body, dict):
        phone = body.get("phone")
        if isinstance(phone, str) and phone.strip() and not _valid_phone(phone):
            # The "phone" format (a number libphonenumber calls valid), which the coverage
            # phase does not know: its pattern boundaries (+000…) are no numbers.
            case.body = {**body, "phone": _A_MOBILE}
    if isinstance(case.body, dict):
        mapped = map_body(context, case.body)
        if mapped is not case.body:  # assigning marks the body changed, to be judged again
            case.body = mapped
    return case


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure but a refusal by size (below) and one this file makes itself:
    schemathesis judges again any body a hook changed, and counts a body holding bytes as
    schema-invalid, so the import whose
    file part map_body filled with the customer sheet can be reported as a "schema-violating
    request accepted" (seen in the stateful phase). Its other fields are multipart text,
    typeless on the wire (see filter_case); nothing else is dropped."""
    if getattr(failure, "code", "") != "ST201":
        return True
    if getattr(response, "status_code", None) == 413:
        # A schema-violating body refused as too large (413 ``too_large``, before anything of
        # it is read): refused all the same; schemathesis's list of refusals lacks 413 (seen:
        # the SMS gateway callbacks, a 2.7 MB list of receipts past maxItems, as admin).
        return False
    if not case.operation.path.endswith("/customer-imports"):
        return True
    file = case.body.get("file") if isinstance(case.body, dict) else None
    return getattr(file, "data", file) != _SHEET
