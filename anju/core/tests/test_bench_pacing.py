"""The load test's pacing (bench/pacing.py, issue 10 item 7): independent staff, not a
metronome. Each user's tasks start at random intervals whose mean gives the target rate,
the time a task took counted in; users who signed in together do not stay in step."""

import random
import statistics
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.append(str(Path(__file__).resolve().parents[3] / "bench"))
pacing = pytest.importorskip("pacing")
pytestmark = pytest.mark.once  # no database: the same on any


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(pacing.time, "monotonic", clock.monotonic)
    return clock


def run(user, wait_time, clock, *, tasks, task_seconds):
    """Task start times of ``user``: each task takes ``task_seconds``, then it waits."""
    starts = []
    for _ in range(tasks):
        starts.append(clock.now)
        clock.now += task_seconds
        clock.now += wait_time(user)
    return starts


def test_tasks_start_at_random_intervals_whose_mean_gives_the_rate(clock):
    wait_time = pacing.poisson_throughput(0.25)  # a task every 4 s on average
    user = SimpleNamespace(rng=random.Random(7))
    starts = run(user, wait_time, clock, tasks=4000, task_seconds=0.05)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert statistics.mean(gaps) == pytest.approx(4.0, rel=0.05)  # the rate, task time included
    # exponential, not fixed: its spread is about its mean (a metronome's is 0)
    assert statistics.pstdev(gaps) == pytest.approx(4.0, rel=0.1)
    assert min(gaps) >= 0.05 - 1e-9  # never a task before the last one ended


def test_users_who_start_together_drift_apart(clock):
    wait_time = pacing.poisson_throughput(0.25)
    users = [SimpleNamespace(rng=random.Random(n)) for n in range(2)]
    first, second = (run(u, wait_time, clock, tasks=50, task_seconds=0.05) for u in users)
    offsets = [(b - second[0]) - (a - first[0]) for a, b in zip(first, second, strict=True)]
    assert max(offsets) - min(offsets) > 10  # not in step, whatever their start
