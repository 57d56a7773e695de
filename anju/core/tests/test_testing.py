"""The shared runner of the concurrency tests (``core.testing.run_at_once``)."""

import threading
import types

from anju.core.errors import ApplicationError, Conflict
from anju.core.testing import run_at_once


def test_every_item_runs_in_its_own_thread_at_the_same_time():
    together = threading.Barrier(4)  # breaks unless all four are running at once

    def work(item):
        together.wait(timeout=5)
        return item, threading.get_ident()

    done, refused, errors = run_at_once(work, "abcd")
    assert not errors and not refused
    assert sorted(item for item, _thread in done) == list("abcd")
    assert len({thread for _item, thread in done}) == 4
    assert threading.get_ident() not in {thread for _item, thread in done}


def test_refusals_and_errors_are_collected_apart():
    def work(n):
        if n == 1:
            raise Conflict("taken", code="unit_taken")
        if n == 2:
            raise ApplicationError("bad")
        if n == 3:
            raise RuntimeError("broken")
        return n

    done, refused, errors = run_at_once(work, range(4))
    assert done == [0]
    assert sorted(exc.code for exc in refused) == ["invalid", "unit_taken"]
    assert [str(exc) for exc in errors] == ["broken"]


def test_pause_after_lets_every_thread_read_before_any_writes():
    state = {"value": 0}
    real_read = lambda: state["value"]  # noqa: E731
    owner = types.SimpleNamespace(read=real_read)

    def work(_n):
        seen = owner.read()
        state["value"] += 1
        return seen

    done, _refused, errors = run_at_once(work, range(3), pause_after=[(owner, "read")])
    assert not errors and done == [0, 0, 0]  # all read before anyone wrote
    assert owner.read is real_read  # unpatched afterwards
    # (without the pause each thread reads and writes in one go: 0, 1, 2)
