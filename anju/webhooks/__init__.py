"""Signed webhooks (INT-2, issue 8 item 4): a company's business events POSTed to integrators.

A company's administrator subscribes a URL to event verbs (``GET /api/v1/webhooks/verbs``:
customer.registered, reception.call_logged, reception.visit_registered,
reception.opportunity_won, reception.opportunity_lost, and what later apps register with
``registry.register_webhook_verb``). Each event of that company with one of those verbs is
POSTed once per subscription, through the task queue, retried with backoff until the
receiver answers 2xx (``delivery`` explains the machinery).

Managing subscriptions (``/api/v1/webhooks``, a company's administrators)
-------------------------------------------------------------------------
``GET /webhooks/verbs``; ``GET|POST /webhooks/subscriptions``;
``GET|PATCH|DELETE /webhooks/subscriptions/{id}``; ``POST …/{id}/rotate-secret`` (the new
secret, shown once, like the create answer); ``POST …/{id}/ping`` (a signed
``webhook.ping``, tried once); ``GET …/{id}/deliveries?status=pending|delivered|failed``
(the delivery log); ``POST …/{id}/deliveries/{delivery_id}/redeliver`` (same delivery id,
409 while an attempt is under way). A paused subscription (``is_active: false``) gets no new
deliveries and holds its pending ones until it is active again; events of the 24 hours
before it is resumed are then caught up by the sweep.

What the receiver gets
----------------------
A POST with a JSON body::

    {"id": "5b0e…-uuid", "event": "customer.registered",
     "occurred_at": "2026-11-25T21:30:05.123456+08:00", "company_id": 1,
     "data": {"target": {...}, "customer": {"id": 42, "code": "SZ0000042",
              "name": "王*", "phone": "139****5678", ...}, ...}}

and the headers

- ``X-Anju-Event``: the event verb (``webhook.ping`` for a test ping);
- ``X-Anju-Delivery``: the delivery id, the same on every retry of the same event —
  deduplicate on it (delivery is at least once);
- ``X-Anju-Timestamp``: Unix seconds of this attempt;
- ``X-Anju-Signature``: ``t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``.

Personal data (names, phones, ID numbers) comes masked as on screen unless the subscription
was granted ``may_unmask`` by someone who may see it in full (every such delivery is in
the personal-data access log). Answer 2xx within 5 seconds (queue the work, then answer);
anything else — a timeout, a redirect, 4xx, 5xx — is retried after 1 min, 5 min, 30 min,
2 h, 6 h, 12 h and 24 h, then the delivery is marked failed (redeliver it from the API).

Verifying a delivery
--------------------
Compute the HMAC over the *raw* body bytes (not re-serialised JSON), compare in constant
time, and refuse old timestamps (replays)::

    import hashlib, hmac, time

    def verify(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
        fields = dict(part.split("=", 1) for part in headers["X-Anju-Signature"].split(","))
        signed = fields["t"].encode() + b"." + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(fields["t"])) <= tolerance
        return fresh and hmac.compare_digest(expected, fields["v1"])

After rotating the secret (``POST /api/v1/webhooks/subscriptions/{id}/rotate-secret``) the
next attempt is signed with the new one.
"""
