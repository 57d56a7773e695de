"""Customer merge handlers (CUS-3): other apps move their rows without editing this app.

An app registers from its AppConfig.ready()::

    register_merge_handler(move_my_rows)

``move_my_rows(*, duplicate, survivor) -> dict`` runs inside the merge's transaction, points
its rows of ``duplicate`` at ``survivor`` and returns counts for the merge event.
"""

from collections.abc import Callable

MergeHandler = Callable[..., dict]

_HANDLERS: list[MergeHandler] = []


def register_merge_handler(handler: MergeHandler) -> None:
    if handler not in _HANDLERS:
        _HANDLERS.append(handler)


def run_merge_handlers(*, duplicate, survivor) -> dict:
    moved: dict = {}
    for handler in _HANDLERS:
        moved.update(handler(duplicate=duplicate, survivor=survivor) or {})
    return moved
