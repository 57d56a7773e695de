"""How the load test's simulated staff space their actions (bench/load.py)."""

import time


def poisson_throughput(task_runs_per_second):
    """A wait time that starts a user's tasks at exponentially distributed intervals of mean
    ``1 / task_runs_per_second`` (less the time the last task took), so that independent
    staff together send a Poisson stream of requests, as independent people do.

    locust's ``constant_throughput`` starts them exactly every ``1 / rate`` seconds: users
    who signed in at the same moment (the sign-in wave drains in bursts) then act in step
    for the whole run, and the office's requests arrive in bursts every four seconds (an
    autocorrelation of 0.8 at a lag of 4 s was measured) — a metronome, not a sales office.
    """

    def wait_time(user):
        now = time.monotonic()
        ran = now - getattr(user, "_last_task_started", now)
        user._last_task_started = now + max(0.0, user.rng.expovariate(task_runs_per_second) - ran)
        return user._last_task_started - now

    return wait_time
