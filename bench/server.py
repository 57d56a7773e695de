"""The benchmarks' gunicorn launcher and sign-in, shared by bench/http.py and bench/load.py.

The server runs as production does (issue 10 items 4 and 6): ``gunicorn -c gunicorn.conf.py``
with 4 workers on a loopback port, DEBUG off, a random secret key, persistent database
connections (``ANJU_CONN_MAX_AGE=60``) and collected static files (whitenoise).
"""

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench" / "server-var"  # collected static files, reused between runs
DEMO_PASSWORD = "anju2026"  # anju.core.demo_world.DEMO_PASSWORD (seed_demo, seed_customers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str) -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ANJU_DEBUG": "0",
        "ANJU_SECRET_KEY": secrets.token_urlsafe(50),
        "ANJU_CONN_MAX_AGE": os.environ.get("ANJU_CONN_MAX_AGE", "60"),
        "ANJU_VAR_DIR": str(VAR),
        "ANJU_LOG_LEVEL": os.environ.get("ANJU_LOG_LEVEL", "WARNING"),
        "ANJU_HTTPS": "0",
        # Phone searches are capped per user and hour (SEC-2, 120); a benchmark run searches
        # one login a few hundred times within the hour. The count query itself still runs.
        "ANJU_PHONE_SEARCHES_PER_HOUR": os.environ.get("ANJU_PHONE_SEARCHES_PER_HOUR", "2000"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


# Lists every static source file Django's finders see, with its size and modification time.
_LIST_STATIC = """
import os
import django
django.setup()
from django.contrib.staticfiles.finders import get_finders
for finder in get_finders():
    for path, storage in finder.list([]):
        st = os.stat(storage.path(path))
        print(path, st.st_size, st.st_mtime_ns)
"""


def collect_static(env: dict) -> None:
    """``collectstatic`` as production runs it, skipped when the files collected last time
    came from the same sources: whitenoise compresses every file (~57 MB, gzip and brotli)
    on each run, about two minutes of the two benchmark cores."""
    py = sys.executable
    listed = subprocess.run(
        [py, "-c", _LIST_STATIC],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "anju.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    fingerprint = hashlib.sha256("\n".join(sorted(listed.splitlines())).encode()).hexdigest()
    stamp = VAR / "static-sources.sha256"
    if (
        (VAR / "static" / "staticfiles.json").exists()
        and stamp.exists()
        and stamp.read_text() == fingerprint
    ):
        return
    stamp.unlink(missing_ok=True)
    subprocess.run(
        [py, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    stamp.write_text(fingerprint)


@contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int = 4,
    port: int | None = None,
    log=None,
    access_log=None,
    static: bool = True,
):
    """Run gunicorn for the duration of the block; yields the base URL. ``access_log``: a
    file for gunicorn's access log, whose last field is the server's time per request.
    ``static=False``: no collectstatic, for a run that asks only the API (a page would
    fail without the collected files' manifest); readiness is then the liveness probe."""
    port = port or free_port()
    env = server_env(database_url)
    py = sys.executable
    if static:
        collect_static(env)
    ready_path = "/login/" if static else "/healthz?probe=live"
    gunicorn_bin = str(Path(py).with_name("gunicorn"))
    log_file = open(VAR / "gunicorn.log", "a")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            gunicorn_bin,
            "anju.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--backlog",
            "2048",
            *(["--access-logfile", str(access_log)] if access_log else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=log_file,
        start_new_session=True,  # its own process group: stopped by our pid below
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {VAR}/gunicorn.log")
            try:
                if requests.get(f"{base}{ready_path}", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer; see {VAR}/gunicorn.log")
            time.sleep(0.5)
        # every worker up and connected: a few requests reach each of them
        for _ in range(workers * 3):
            requests.get(f"{base}{ready_path}", timeout=30)
        if log:
            log(f"gunicorn ({workers} workers) at {base}, pid {proc.pid}")
        yield base
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log_file.close()


def sign_in(base: str, username: str, password: str = DEMO_PASSWORD) -> requests.Session:
    """A session signed in through the login form, as a browser does (CSRF cookie + token)."""
    s = requests.Session()
    s.get(f"{base}/login/", timeout=30)
    token = s.cookies.get("csrftoken")
    r = s.post(
        f"{base}/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token,
            "next": "/",
        },
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if r.status_code != 302 or "sessionid" not in s.cookies:
        raise RuntimeError(f"sign-in as {username} failed: HTTP {r.status_code}")
    s.headers["X-CSRFToken"] = s.cookies.get("csrftoken")
    s.headers["Referer"] = f"{base}/"
    return s
