"""The API contract run (issue 8 item 2): schemathesis with all checks against a live server.

    .venv/bin/python scripts/api_contract/run.py [--max-examples N] [--roles manager,admin]
        [--phases examples,coverage,fuzzing,stateful]

Builds a throwaway SQLite database with the demo data, starts gunicorn on a free port,
makes an API token per role, and runs ``st run --checks all`` for each role with
``hooks.py``. Fails (exit 1) on any server error, undocumented status code, response that
breaks its schema, schema-valid request refused or schema-invalid request accepted. CI
calls it after the test suites; it takes a few minutes.
"""

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
HOOKS = Path(__file__).with_name("hooks.py")
SERVER_LOG = ROOT / "test-artifacts" / "contract-gunicorn.log"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args, capture=False):
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    result = subprocess.run(
        command, env=env, cwd=ROOT, check=True, capture_output=capture, text=True
    )
    return result.stdout if capture else None


TOKEN_SCRIPT = """
from anju.core.services import api_token_create
from anju.org.models import User
print(api_token_create(by=User.objects.get(username={username!r}), name="contract run")[1])
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-examples", type=int, default=25)
    # The administrator last: the run may deactivate staff, and a deactivated user's token
    # answers only 401 (the other roles would then test nothing).
    parser.add_argument("--roles", default="consultant,manager,admin")
    parser.add_argument("--seed", default="")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    options = parser.parse_args()

    var = tempfile.mkdtemp(prefix="anju-contract-")
    env = {
        **os.environ,
        "ANJU_VAR_DIR": var,
        "ANJU_SECRET_KEY": secrets.token_urlsafe(48),
        "ANJU_DEBUG": "0",
        "ANJU_ALLOWED_HOSTS": "127.0.0.1",
        "ANJU_PHONE_SEARCHES_PER_HOUR": "100000",  # the run itself would trip the limit
        "ANJU_LOG_LEVEL": "WARNING",  # not one anju.request line per generated request
        "DJANGO_SETTINGS_MODULE": "anju.settings",
    }
    env.pop("DATABASE_URL", None)
    started = time.monotonic()
    manage(env, "migrate", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")  # production serves hashed static files
    manage(env, "seed_demo")
    tokens = {
        role: manage(env, "shell", "-c", TOKEN_SCRIPT.format(username=role), capture=True)
        .strip()
        .splitlines()[-1]
        for role in options.roles.split(",")
    }
    port = free_port()
    # The server's own log (a warning per refused request, thousands of lines) goes to a
    # file, so that CI's output stays readable; its tail is printed when a check fails.
    SERVER_LOG.parent.mkdir(exist_ok=True)
    server_log = SERVER_LOG.open("w")
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "anju.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        failed = False
        for role, token in tokens.items():
            print(f"\n=== schemathesis as {role} ===", flush=True)
            command = [
                str(VENV_BIN / "st"),
                "run",
                f"{base}/api/v1/openapi.json",
                "--checks",
                "all",
                # All four phases: examples, coverage (boundary values of every keyword),
                # fuzzing, and stateful (one answer's values fed into the next request).
                "--phases",
                options.phases,
                "--max-examples",
                str(options.max_examples),
                "--workers",
                "2",
                # The generator's own limit, not the server's: drawing a body for a long text
                # field sometimes overruns hypothesis's buffer (seen: POST /message-templates/
                # preview as manager, once in many runs). Such a case is skipped, not failed;
                # every other check still judges every request that is sent.
                "--suppress-health-check",
                "data_too_large",
                "-H",
                f"Authorization: Bearer {token}",
                "--no-color",
            ]
            if options.seed:
                command += ["--seed", options.seed]
            run_env = {**env, "SCHEMATHESIS_HOOKS": "hooks"}
            run_env["PYTHONPATH"] = str(HOOKS.parent)
            code = run_schemathesis(command, run_env, var)
            failed = failed or code != 0
        print(f"\ncontract run took {time.monotonic() - started:.0f} s", flush=True)
        if failed:
            print_tail(SERVER_LOG)
        return 1 if failed else 0
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()


def print_tail(path: Path, lines: int = 200) -> None:
    text = path.read_text(errors="replace").splitlines()[-lines:]
    print(f"\n=== the last {len(text)} lines of the server's log ({path}) ===", flush=True)
    print("\n".join(text), flush=True)


def run_schemathesis(command, env, cwd) -> int:
    """One run; repeated once when hypothesis itself crashed ("Runtime Error", no failure
    found: seen once as an index error in its optimise pass), never when a check failed."""
    for attempt in (1, 2):
        result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
        print(result.stdout, result.stderr, sep="\n", flush=True)
        crashed = "Runtime Error" in result.stdout and "Failures:" not in result.stdout
        if result.returncode == 0 or not crashed or attempt == 2:
            return result.returncode
        print("schemathesis crashed without finding a failure: running again", flush=True)
    return 1


def wait_until_up(base: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


if __name__ == "__main__":
    sys.exit(main())
