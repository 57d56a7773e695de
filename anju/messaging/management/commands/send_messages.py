"""The outbox worker (issue 11 item 6): ``manage.py send_messages``.

Runs until stopped (SIGTERM/SIGINT end it after the current batch), or with ``--once`` until
nothing is due. Run as many as the gateways' rate limits warrant: rows are claimed with
SKIP LOCKED, never shared; a worker killed outright leaves its rows to be sent again with the
same idempotency key when their lease ends.
"""

import signal

from django.core.management.base import BaseCommand

from anju.messaging.outbox import run_forever, run_until_idle


class Command(BaseCommand):
    help = "Send the messages of the outbox (runs until stopped)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send what is due, then stop.")
        parser.add_argument("--batch", type=int, default=None, help="Rows claimed per batch.")
        parser.add_argument(
            "--poll", type=float, default=1.0, help="Seconds to wait when nothing is due."
        )

    def handle(self, *args, once=False, batch=None, poll=1.0, **options):
        if once:
            result = run_until_idle(max_seconds=3600, batch=batch)
            self.stdout.write(
                f"sent {result.sent}, retrying {result.retrying}, failed {result.failed}, "
                f"cancelled {result.cancelled}, held {result.held}"
            )
            return
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        run_forever(poll_seconds=poll, batch=batch, stop=lambda: bool(stopping))
