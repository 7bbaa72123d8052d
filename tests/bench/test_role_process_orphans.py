"""A role process the benches started does not outlive the bench: when its parent dies it
stops itself, so an interrupted bench leaves nothing holding the database or the machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The bench's stand-in: starts a "role process" (the watcher, then a long sleep) in a
# session of its own, as the supervisor does, prints its pid and dies at once.
BENCH = """
import subprocess, sys
child = subprocess.Popen(
    [sys.executable, "-c", "from bench.support.orphan_watch import stop_when_orphaned;"
     " import time; stop_when_orphaned(check_every=0.05); print('watching', flush=True);"
     " time.sleep(120)"],
    start_new_session=True, stdout=subprocess.PIPE,
)
assert child.stdout is not None and child.stdout.readline() == b"watching\\n"
print(child.pid, flush=True)
"""


def is_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_role_process_stops_when_the_bench_that_started_it_dies() -> None:
    bench = subprocess.run(
        [sys.executable, "-c", BENCH], cwd=ROOT, capture_output=True, check=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    orphan = int(bench.stdout.split()[-1])
    deadline = time.monotonic() + 30
    while is_running(orphan) and time.monotonic() < deadline:
        time.sleep(0.05)
    running = is_running(orphan)
    if running:
        os.kill(orphan, 9)
    assert not running, "the role process outlived the bench that started it"
