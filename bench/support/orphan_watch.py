"""Role processes that stop when the bench that started them dies.

The benches start each role in a session of its own (so a kill reaches its whole group);
without this watch an interrupted bench left its role processes running, holding PostgreSQL
connections and competing for the machine with the next run.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

PARENT_CHECK_SECONDS = 0.5
ORPHAN_GRACE_SECONDS = 10.0

log = logging.getLogger(__name__)


def stop_when_orphaned(
    check_every: float = PARENT_CHECK_SECONDS, grace: float = ORPHAN_GRACE_SECONDS
) -> threading.Thread:
    """Watch the parent process from a daemon thread; once it is gone, SIGTERM this process
    (a role stops cleanly on it) and exit outright if it still runs ``grace`` seconds later.

    Linux's ``PR_SET_PDEATHSIG`` would need ``preexec_fn`` in the parent, which is unsafe
    in a threaded process; a parent's death shows here as a change of ``getppid``.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(check_every)
        log.warning("the bench that started this role process is gone: stopping")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    thread = threading.Thread(target=watch, name="orphan-watch", daemon=True)
    thread.start()
    return thread
