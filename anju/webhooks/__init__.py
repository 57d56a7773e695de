"""Signed webhooks (INT-2, issue 8 item 4): a company's business events POSTed to integrators.

A company's administrator subscribes a URL to event verbs (``GET /api/v1/webhooks/verbs``);
each event of that company with one of those verbs is POSTed once per subscription, through
the task queue, signed (``signing``), retried with backoff until the receiver answers 2xx
(``delivery``), to targets the SSRF guard allows (``targets``); payloads are built, masked
unless ``may_unmask``, by ``payloads``; apps add verbs with ``registry.register_webhook_verb``.

For receivers — subscribing, the payload and its headers, verifying the signature (with a
Python example), retries, deduplication on ``X-Anju-Delivery``, masking, private targets —
see the Webhooks section of docs/api.md.
"""
