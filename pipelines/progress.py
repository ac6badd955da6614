"""Progress of a build as it runs, for whoever is watching (the CLI shows bars).

Assets call ``report(stage, done, total)``; the run's ``progress`` logger turns Dagster's step
events into ``started``/``finished`` calls. Without a listener (the daemon, the UI), nothing
happens."""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[str, str, int | None, int | None], None]  # (event, stage, done, total)
_listeners: list[Listener] = []


def listen(fn: Listener) -> None:
    _listeners.append(fn)


def clear() -> None:
    _listeners.clear()


def emit(event: str, stage: str, done: int | None = None, total: int | None = None) -> None:
    for fn in list(_listeners):
        fn(event, stage, done, total)


def report(stage: str, done: int, total: int) -> None:
    """An asset's progress inside its step (e.g. sources parsed so far)."""
    emit("advance", stage, done, total)
