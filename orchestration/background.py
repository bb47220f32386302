"""Work a run does in a background thread while its parse workers run.

The loader forks its parse workers (ingest/load.py), and a fork must not happen while
another thread is half-way through something: the child would inherit its locks. So
the work here starts only once the loader has forked its workers
(`start_after_fork`), and any later fork of this process first waits for it to finish
(`os.register_at_fork`). `wa-reports run` uses it to import Great Expectations (about
3 s) while the raw logs are parsed, instead of before.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

_pending: list[Callable[[], object]] = []
_running: list[threading.Thread] = []


def after_workers_fork(work: Callable[[], object]) -> None:
    """Run `work` in a background thread once the loader has forked its workers."""
    _pending.append(work)


def start_after_fork() -> None:
    """Start the pending work (the loader calls this once its workers are forked)."""
    while _pending:
        thread = threading.Thread(target=_pending.pop(0), name="background-work", daemon=True)
        thread.start()
        _running.append(thread)


def wait() -> None:
    """Block until the started work is done."""
    while _running:
        _running.pop(0).join()


os.register_at_fork(before=wait)
