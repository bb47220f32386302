"""Background work never overlaps a fork of the process (orchestration/background.py)."""

from __future__ import annotations

import os
import threading
import time

from orchestration import background


def test_work_waits_for_the_workers_and_a_later_fork_waits_for_the_work():
    started, finished = threading.Event(), threading.Event()

    def work():
        started.set()
        time.sleep(0.5)
        finished.set()

    background.after_workers_fork(work)
    time.sleep(0.1)
    assert not started.is_set()  # nothing runs before the loader has forked its workers

    background.start_after_fork()
    assert started.wait(5)
    pid = os.fork()  # must first wait for `work` to finish
    if pid == 0:
        os._exit(0 if finished.is_set() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
