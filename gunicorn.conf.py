"""gunicorn settings, read from the working directory (`gunicorn anju.wsgi -c gunicorn.conf.py`).

The access log writes the path without its query string (``%(U)s``, not ``%(r)s``): a
search for a phone number must not put the number in a log file (issue 7 item 9, SEC-2).
gunicorn writes no access log unless ``--access-logfile`` is given: Anju's own request line
(logger ``anju.request``, with the request id and the view) is the one to read.

The production profile (issue 10 item 4, ``make serve``): ANJU_WEB_WORKERS processes
(default 2 × cores + 1, at most 8) listening on ANJU_BIND (default 127.0.0.1:8000, behind
the reverse proxy). With PROMETHEUS_MULTIPROC_DIR set, the directory is emptied when the
server starts and a dead worker's live gauges are dropped (core/metrics.py).
"""

import os
import shutil
from pathlib import Path

MAX_DEFAULT_WORKERS = 8  # each holds a database connection and ~150 MB; more is a choice


def web_workers(environ, cpu_count: int) -> int:
    value = environ.get("ANJU_WEB_WORKERS", "").strip()
    if value:
        return max(1, int(value))
    return min(2 * cpu_count + 1, MAX_DEFAULT_WORKERS)


workers = web_workers(os.environ, os.cpu_count() or 1)
bind = os.environ.get("ANJU_BIND", "127.0.0.1:8000")

# No request-line limit of gunicorn's own: its 414 would be an HTML page, while Django
# answers an over-long or over-full query in the API's error shape (400/422; at most
# DATA_UPLOAD_MAX_NUMBER_FIELDS parameters). Bound URL length at the reverse proxy
# (docs/operations.md).
limit_request_line = 0
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


def on_starting(server):
    """Start with an empty metrics directory: files of an earlier run would count twice."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        if path.is_dir():
            shutil.rmtree(path)
        path.mkdir(parents=True)


def post_worker_init(worker):
    """Compile the templates and load the translations before the first request, not in
    it (anju/core/warmup.py): ~1 s per worker at start, not ~0.9 s on a user's first page."""
    from anju.core.warmup import warm_up

    try:
        worker.log.info("warmed up: %s templates compiled", warm_up())
    except Exception:  # an error here would stop the whole server: serve cold instead
        worker.log.exception("warm-up failed; the worker serves without it")


def child_exit(server, worker):
    """A worker died (or was recycled): its in-flight gauge must stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
