"""docs/api.md's curl examples, run with the real curl against a live server (issue 8 item 5).

Every fenced block of the guide opened with ```` ```bash title="…" expect=NNN ```` is one
example. It is run in document order, as written, by bash with ``$ANJU_URL`` and the
tokens of demo users in the environment; ``curl`` is wrapped only to capture the status,
the headers and the body. The test fails when an example answers another status than its
``expect``, when a ```` ```json ```` block right after it shows a field the answer does not
have (the block may show only the key fields; lists match by position), or when a header
named by ``header=Name`` is missing. Further attributes of the fence:

- ``save=VAR=dotted.path``: the answer's value becomes ``$VAR`` for later examples;
- ``setup=name``: run the example inside one of the ``SETUPS`` below (a state that the
  guide describes but a fresh demo world does not have, e.g. the phone-search limit used up).

Two more checks keep the guide honest: the webhook payload it shows has the shape of one
really built (``build_payload``), and its table of error codes lists every ``code="…"`` the
code base raises (except the few the API never answers with, named below).
"""

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings

GUIDE = Path(django_settings.BASE_DIR) / "docs" / "api.md"

_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)


def guide_examples(text: str) -> list[dict]:
    """The guide's curl examples, in order, each with its expectation."""
    blocks = [
        (m.group("info").strip(), m.group("body"), m.start(), m.end())
        for m in _FENCE.finditer(text)
    ]
    examples = []
    for index, (info, body, _start, end) in enumerate(blocks):
        words = shlex.split(info) if info else []
        if not words or words[0] != "bash":
            continue
        attrs = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if "expect" not in attrs:
            continue
        example = {
            "title": attrs.get("title", body.splitlines()[0]),
            "script": body,
            "expect": int(attrs["expect"]),
            "save": attrs.get("save"),
            "setup": attrs.get("setup"),
            "header": attrs.get("header"),
            "response": None,
        }
        if index + 1 < len(blocks):
            next_info, next_body, next_start, _ = blocks[index + 1]
            if next_info == "json" and not text[end:next_start].strip():
                example["response"] = json.loads(next_body)
        examples.append(example)
    return examples


def matches(expected, actual) -> bool:
    """``expected`` is a part of ``actual``: dict keys recursively, lists by position."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) >= len(expected)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=False))
        )
    return expected == actual


def _dig(value, path: str):
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


# --- states the guide describes that a fresh demo world does not have --------------------


@contextlib.contextmanager
def _phone_searches_used_up(users):
    """The consultant has made this hour's allowance of phone searches (issue 7 item 9)."""
    from anju.core.models import PersonalDataAccess

    consultant = users["consultant"]
    rows = PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            user=consultant,
            company=consultant.company,
            action=PersonalDataAccess.Action.SEARCH,
            fields="phone",
            description="phone search, last4: ****1234",
        )
        for _ in range(django_settings.ANJU_PHONE_SEARCHES_PER_HOUR)
    )
    try:
        yield
    finally:
        PersonalDataAccess.objects.unscoped("test clean-up").filter(
            pk__in=[r.pk for r in rows]
        ).delete()


SETUPS = {"phone_searches_used_up": _phone_searches_used_up}


# --- the run -------------------------------------------------------------------------------

CURL_WRAPPER = """
curl() {
  command curl --silent --show-error --max-time 20 \\
    --output "$GUIDE_BODY" --dump-header "$GUIDE_HEADERS" --write-out '%{http_code}' "$@"
}
"""


def _token(user, **kwargs) -> str:
    from anju.core.services import api_token_create

    return api_token_create(by=user, name="docs/api.md examples", **kwargs)[1]


def _environment(live_server, world, colleague) -> dict:
    users = world.users
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "ANJU_URL": live_server.url,
        "ANJU_TOKEN": _token(users["consultant"]),
        "ANJU_COLLEAGUE_TOKEN": _token(colleague),
        "ANJU_READ_TOKEN": _token(users["consultant"], read_only=True),
        "ANJU_ADMIN_TOKEN": _token(users["admin"]),
        "ANJU_MANAGER_TOKEN": _token(users["manager"]),
        "ANJU_SERVICE_TOKEN": _token(users["service"]),  # the service desk (issue 13)
        "PROJECT_ID": str(world.projects["binhai"].pk),
        "COMPANY_ID": str(world.companies["sz"].pk),
    }


def _run(example: dict, env: dict, workdir: Path) -> tuple[int, dict, str]:
    body, headers = workdir / "body", workdir / "headers"
    for path in (body, headers):
        path.write_bytes(b"")
    env = {**env, "GUIDE_BODY": str(body), "GUIDE_HEADERS": str(headers)}
    done = subprocess.run(
        ["bash", "-c", CURL_WRAPPER + example["script"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, f"{example['title']}: curl failed: {done.stderr}"
    status = int(done.stdout.strip()[-3:])
    header_lines = headers.read_text(errors="replace").splitlines()
    parsed = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            parsed[name.strip().lower()] = value.strip()
    return status, parsed, body.read_text(errors="replace")


def test_the_guide_has_examples_for_every_recipe():
    examples = guide_examples(GUIDE.read_text(encoding="utf-8"))
    statuses = {e["expect"] for e in examples}
    assert {200, 201, 400, 401, 403, 404, 409, 422, 429} <= statuses
    assert all("$ANJU_URL" in e["script"] for e in examples)
    assert not [e["title"] for e in examples if re.search(r"anju_[A-Za-z0-9_-]{20,}", e["script"])]


def test_matches_is_strict():
    assert matches({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}, "d": 3})
    assert not matches({"a": {"b": 1}}, {"a": {"b": 2}})
    assert not matches({"a": 1}, {})
    assert matches([{"x": 1}], [{"x": 1, "y": 2}, {"x": 5}])
    assert not matches([{"x": 1}, {"x": 2}], [{"x": 1}])


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl (apt-get install curl)")
@pytest.mark.django_db(transaction=True)
def test_every_curl_example_in_the_guide(live_server, world, colleague, settings):
    # Nothing leaves the machine: queued work (webhook deliveries) is not run.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    examples = guide_examples(GUIDE.read_text(encoding="utf-8"))
    assert len(examples) >= 10
    env = _environment(live_server, world, colleague)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for example in examples:
            title = example["title"]
            setup = SETUPS[example["setup"]](world.users) if example["setup"] else None
            with setup or contextlib.nullcontext():
                status, headers, body = _run(example, env, Path(tmp))
            answer = None
            if body.strip():
                try:
                    answer = json.loads(body)
                except ValueError:
                    answer = body
            if status != example["expect"]:
                failures.append(f"{title}: {status} instead of {example['expect']}: {body[:300]}")
                continue
            if example["response"] is not None and not matches(example["response"], answer):
                failures.append(f"{title}: the answer {body[:400]} lacks {example['response']}")
            if example["header"] and example["header"].lower() not in headers:
                failures.append(f"{title}: no {example['header']} header")
            if example["save"]:
                name, path = example["save"].split("=", 1)
                try:
                    env[name] = str(_dig(answer, path))
                except (KeyError, IndexError, TypeError, ValueError):
                    failures.append(f"{title}: cannot save {path} from {body[:300]}")
    assert not failures, "\n".join(failures)


# --- the webhook payload shown in the guide is the one sent ---------------------------------


def same_shape(expected, actual) -> bool:
    """Every key of ``expected`` is in ``actual`` with a value of the same JSON type."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and same_shape(value, actual[key]) for key, value in expected.items()
        )
    if expected is None or actual is None:
        return True  # the guide shows null or a value where either may come
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool)
    return type(expected) is type(actual)


def _first_block_after(text: str, heading: str, language: str) -> str:
    section = text[text.index(heading) :]
    start = section.index(f"```{language}\n") + len(f"```{language}\n")
    return section[start : section.index("\n```\n", start)]


def test_the_documented_webhook_payload_is_what_a_receiver_gets(world):
    from anju.core.models import Event
    from anju.customers.services import customer_register
    from anju.webhooks import services as webhook_services
    from anju.webhooks.models import WebhookDelivery
    from anju.webhooks.payloads import build_payload, encode

    guide = GUIDE.read_text(encoding="utf-8")
    documented = json.loads(_first_block_after(guide, "### What the receiver gets", "json"))
    company = world.companies["sz"]
    subscription = webhook_services.subscription_create(
        by=world.users["admin"],
        company=company,
        target_url="https://crm.example.com/hooks/anju",
        verbs=["customer.registered"],
    )
    customer_register(
        by=world.users["consultant"],
        company=company,
        project=world.projects["binhai"],
        phone="13900005678",
        name="王芳",
        source="walk_by",
    )
    event = Event.objects.unscoped("test").filter(verb="customer.registered").latest("pk")
    delivery = WebhookDelivery.objects.create(
        company=company, subscription=subscription, event=event, verb=event.verb
    )
    payload = json.loads(encode(build_payload(delivery)[0]))

    assert same_shape(documented, payload), payload
    assert payload["event"] == documented["event"] == "customer.registered"
    assert payload["id"] == str(delivery.uuid)
    customer = payload["data"]["customer"]
    assert (customer["name"], customer["phone"]) == ("王*", "139****5678")  # masked as shown
    assert not same_shape({"data": {"customer": {"phone": 1}}}, payload)


# --- every stable code the code base raises is in the guide's table --------------------------

_DELIVERY = "a delivery page (service/delivery_views.py), not an API operation"
# Codes raised only where the API never answers with them (pages, imports, forms).
CODES_NOT_IN_THE_API = {
    "invalid_choice": "a form field's code inside the list filters; the API says invalid_filter",
    "already_merged": "customer merge is a page, not an API operation",
    "already_started": "imports are pages, not API operations",
    "concurrent_change": "imports are pages, not API operations",
    # the public web form (issue 13 item 6) is pages for the public, not the staff API
    "captcha_expired": "the public form's picture check, a page",
    "captcha_wrong": "the public form's picture check, a page",
    "code_expired": "the public form's phone code, a page",
    "code_tries": "the public form's phone code, a page",
    "code_wrong": "the public form's phone code, a page",
    "honeypot": "the public form's bot trap, a page",
    # photos are added on the ticket page and the public form; the API only lists them
    "invalid_photo": "a ticket's photo upload, pages only",
    "too_many": "a ticket's photo upload, pages only",
    # delivery (SVC-7): set-up, the inspection and the keys are pages; booking and the repair
    # steps are in the API (their codes in the guide)
    "inspection_finished": _DELIVERY,
    "not_accepted": _DELIVERY,
    "nothing_handed_over": _DELIVERY,
    "owner_absent": _DELIVERY,
    "slot_exists": _DELIVERY,
}


def test_every_error_code_is_in_the_guide():
    from anju.core.api_errors import STATUS_CODES

    root = Path(django_settings.BASE_DIR) / "anju"
    raised = set(STATUS_CODES.values())
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        raised |= set(re.findall(r'\bcode="([a-z_]+)"', path.read_text(encoding="utf-8")))
    guide = GUIDE.read_text(encoding="utf-8")
    table = guide[guide.index("### Codes") : guide.index("## Value formats")]
    listed = set(re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \|", table, re.M))
    listed = {code.strip("` ") for cell in listed for code in cell.split(",")}
    missing = raised - listed - set(CODES_NOT_IN_THE_API)
    assert not missing, f"add these codes to the table in docs/api.md: {sorted(missing)}"
    assert not (set(CODES_NOT_IN_THE_API) - raised), "an exception above is no longer raised"
