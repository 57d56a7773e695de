"""`make run`: migrate, load the demo once, then run web server + task worker + scheduler.

Ctrl-C stops all three. DATABASE_URL selects PostgreSQL instead of the embedded SQLite.
The demo runs as production does (issue 7 item 8): DEBUG off (Chinese error pages, not
Django's technical page), static files collected and served by whitenoise, and a secret key
of its own, generated once into var/secret_key (mode 0600) and reused on every start.
DEBUG stays off even when ANJU_DEBUG=1 is exported for manage.py work (issue 9 item 4: the
demo always shows the product's 403/404/500 pages); for Django's debug pages run
`ANJU_DEBUG=1 python manage.py runserver` instead.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = os.environ.get("ANJU_HOST", "127.0.0.1")
PORT = os.environ.get("ANJU_PORT", "8000")


def ensure_secret_key() -> Path:
    """var/secret_key: created once with a random key, readable by this user only."""
    path = Path(
        os.environ.get("ANJU_SECRET_KEY_FILE")
        or Path(os.environ.get("ANJU_VAR_DIR", ROOT / "var")) / "secret_key"
    )
    if not path.exists() or not path.read_text().strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50) + "\n")
    os.chmod(path, 0o600)
    return path


def demo_environ(environ) -> dict:
    """The environment of the demo's processes: DEBUG off whatever the shell exported."""
    env = dict(environ)
    env["ANJU_DEBUG"] = "0"
    return env


def worker_command(environ) -> list[str]:
    """The task worker: the database queue's, or RQ's with ANJU_TASKS=rq (and REDIS_URL)."""
    if environ.get("ANJU_TASKS", "").strip().lower() == "rq":
        queues = ["default", "messaging", "reports"]  # settings.TASK_QUEUES
        return ["rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", *queues]
    return ["db_worker", "--queue-name", "*"]


def manage(*args, **kwargs):
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True, **kwargs)


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main():
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if not os.environ.get("ANJU_SECRET_KEY"):
        os.environ["ANJU_SECRET_KEY_FILE"] = str(ensure_secret_key())
    os.environ.update(demo_environ(os.environ))  # inherited by manage.py and the servers
    manage("migrate", "--no-input", "-v", "0")
    # DEBUG off: whitenoise serves the collected, hashed files (runserver serves none)
    manage("collectstatic", "--no-input", "-v", "0")
    manage("seed_demo", "--if-empty")
    from_demo = [
        ("admin", "administrator 系统管理员"),
        ("group", "group relations centre 集团客户关系中心"),
        ("management", "company management 城市公司管理层 (深圳)"),
        ("manager", "sales manager 销售经理 (滨海花园)"),
        ("consultant", "sales consultant 置业顾问 (滨海花园)"),
        ("consultant2", "sales consultant 置业顾问 (云境)"),
        ("service / servicemgr", "service agent / manager 客服"),
        ("callcentre", "call-centre agent 呼叫中心坐席"),
        ("engineer / steward", "engineer 工程师 / property steward 物业管家"),
        ("keyaccount / datasteward", "key-account rep / data steward"),
        ("manager_zh / consultant_zh", "珠海 sales manager / consultant"),
    ]
    procs = [
        subprocess.Popen([PY, "manage.py", "runserver", f"{HOST}:{PORT}"], cwd=ROOT),
        subprocess.Popen([PY, "manage.py", *worker_command(os.environ)], cwd=ROOT),
        subprocess.Popen([PY, "manage.py", "run_scheduler"], cwd=ROOT),
    ]
    time.sleep(2)
    dead = [p for p in procs if p.poll() is not None]
    if dead:  # e.g. the port is taken: say so instead of pretending to run
        for p in procs:
            if p.poll() is None:
                p.terminate()
        print(
            f"\n  Anju could not start: `{' '.join(dead[0].args[2:])}` exited "
            f"(is port {PORT} in use? try ANJU_PORT=8001 make run).",
            file=sys.stderr,
        )
        return 1
    print(f"\n  Anju is running at http://{HOST}:{PORT}/   (API docs: /api/docs)")
    print("  Demo logins (password for all: anju2026):")
    for login, role in from_demo:
        print(f"    {login:<28} {role}")
    print("  Ctrl-C stops the web server, the worker and the scheduler.\n", flush=True)
    status = 0
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    else:
        print("\n  A process stopped unexpectedly; stopping the others.", file=sys.stderr)
        status = 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
    return status


if __name__ == "__main__":
    sys.exit(main())
