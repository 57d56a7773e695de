"""Gap-free numbering (queue numbers per project, ticket numbers per company, customer codes).

A single ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` bumps the counter row and returns the
new value. The row stays locked until the caller's transaction ends, so concurrent callers on
the same (kind, scope) queue up behind each other; if the caller rolls back, the increment
rolls back with it. That is what makes the numbers strictly sequential with no gap and no
duplicate (QUE-1), unlike database sequences, which skip numbers on rollback.
"""

from django.db import connection, transaction

from .models import NumberSequence


def scope_key_for(scope) -> str:
    """'project:12' for a model instance, the string itself for a string."""
    if isinstance(scope, str):
        return scope
    return f"{scope._meta.model_name}:{scope.pk}"


def allocate_number(*, kind: str, scope) -> int:
    """The next number of ``kind`` within ``scope``. Must run inside the caller's transaction."""
    return allocate_number_block(kind=kind, scope=scope, count=1)


def allocate_number_block(*, kind: str, scope, count: int) -> int:
    """Reserve ``count`` consecutive numbers of ``kind`` in ``scope``; returns the first.

    One statement whatever ``count`` (bulk imports reserve a block); gap-free and rolled back
    with the caller's transaction, which it must run inside.
    """
    if count < 1:
        raise ValueError("count must be 1 or more")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_number() must run inside the caller's transaction.atomic()")
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    sql = (
        f"INSERT INTO {table} (kind, scope_key, last_value) VALUES (%s, %s, %s) "
        f"ON CONFLICT (kind, scope_key) DO UPDATE SET last_value = {table}.last_value + %s "
        f"RETURNING last_value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, scope_key_for(scope), count, count])
        return int(cursor.fetchone()[0]) - count + 1


def peek_last_number(*, kind: str, scope) -> int:
    row = NumberSequence.objects.filter(kind=kind, scope_key=scope_key_for(scope)).first()
    return row.last_value if row else 0
