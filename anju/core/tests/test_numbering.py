"""Gap-free numbering (QUE-1 and every numbered thing): sequential, no gap, no duplicate."""

import threading

import pytest
from django.db import connection, transaction

from anju.core.numbering import allocate_number, allocate_number_block, peek_last_number
from anju.core.testing import requires_postgres


@pytest.mark.django_db
def test_numbers_are_sequential_per_kind_and_scope():
    with transaction.atomic():
        assert [allocate_number(kind="queue", scope="test:1") for _ in range(3)] == [1, 2, 3]
        assert allocate_number(kind="queue", scope="test:2") == 1
        assert allocate_number(kind="ticket", scope="test:1") == 1
        assert allocate_number(kind="queue", scope="test:1") == 4


@pytest.mark.django_db
def test_rolled_back_allocation_leaves_no_gap():
    with transaction.atomic():
        assert allocate_number(kind="queue", scope="p") == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_number(kind="queue", scope="p")
        raise RuntimeError("the business write failed after taking a number")
    with transaction.atomic():
        assert allocate_number(kind="queue", scope="p") == 2


@pytest.mark.django_db
def test_a_block_continues_the_same_sequence_and_rolls_back_whole():
    """Bulk imports reserve a block: the numbers before and after it stay gap-free."""
    with transaction.atomic():
        assert allocate_number(kind="code", scope="c") == 1
        assert allocate_number_block(kind="code", scope="c", count=5) == 2
        assert allocate_number(kind="code", scope="c") == 7
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_number_block(kind="code", scope="c", count=100)
        raise RuntimeError("the import failed after reserving its block")
    assert peek_last_number(kind="code", scope="c") == 7


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused():
    """Outside the caller's transaction a later failure could not roll the number back."""
    with pytest.raises(RuntimeError):
        allocate_number(kind="queue", scope="p")
    assert peek_last_number(kind="queue", scope="p") == 0


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_allocations_give_exactly_1_to_200():
    """200 threads, each with its own connection and transaction, started together.

    PostgreSQL here allows 100 connections, so at most 60 are open at once (a semaphore);
    the rest queue for a connection, as web workers behind a pool would.
    """
    results, errors = [], []
    barrier = threading.Barrier(200)
    open_connections = threading.BoundedSemaphore(60)

    def worker():
        try:
            barrier.wait(timeout=60)
            with open_connections:
                try:
                    with transaction.atomic():
                        results.append(allocate_number(kind="queue", scope="project:42"))
                finally:
                    connection.close()  # before releasing the slot: never over 60 open
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert sorted(results) == list(range(1, 201))
    assert peek_last_number(kind="queue", scope="project:42") == 200
